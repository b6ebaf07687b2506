"""pytest set-up shared by the unit tests and nbval.

nbval resolves --nbval-sanitize-with from the current directory; pointing it at the
absolute path here lets `pytest` run from any folder (e.g. `cd notebooks && pytest .`).

A notebook's kernel that dies while it starts is started again (twice at most): jupyter_client
picks the kernel's TCP ports by binding and freeing them, and another process can take one
before the kernel binds it (jupyter_client#154). `./course test` starts kernels in three streams
side by side, and once every cell of a lesson errored with "Kernel died before replying to
kernel_info" before running any code. Any kernel that dies before it answers is retried; one
that dies three times, or fails in another way, fails its notebook as before.
"""
import pathlib

SANITIZE = pathlib.Path(__file__).parent / "tests" / "nbval_sanitize.cfg"
KERNEL_STARTS = 3
DIED_STARTING = "Kernel died before replying to kernel_info"


def pytest_configure(config):
    if hasattr(config.option, "nbval_sanitize_with") and not config.option.nbval_sanitize_with:
        config.option.nbval_sanitize_with = str(SANITIZE)
    try:
        import nbval.kernel
    except ImportError:  # nbval is only needed for the notebooks
        return
    if not getattr(nbval.kernel.start_new_kernel, "retries_a_kernel_that_died_starting", False):
        nbval.kernel.start_new_kernel = _started_again(nbval.kernel.start_new_kernel)


def _started_again(start_new_kernel):
    def start(*args, **kwargs):
        for attempt in range(1, KERNEL_STARTS + 1):
            try:
                return start_new_kernel(*args, **kwargs)
            except RuntimeError as e:  # nbval has shut the dead kernel down and closed its channels
                if DIED_STARTING not in str(e) or attempt == KERNEL_STARTS:
                    raise
    start.retries_a_kernel_that_died_starting = True
    return start
