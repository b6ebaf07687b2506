"""Is a person watching? Decides progress bars, servers and live widgets.

Headless runs (nbval, `jupyter execute`, CI) must store stable outputs and must never wait for a
person: `./course test` and `./course execute` set D2L_HEADLESS=1, and outside a Jupyter kernel
there is no front end at all.
"""
import contextlib
import os


def in_notebook():
    """True inside a Jupyter kernel (where display() reaches a front end)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


def interactive():
    """True in a notebook kernel that is not marked headless with D2L_HEADLESS."""
    return not os.environ.get("D2L_HEADLESS") and in_notebook()


@contextlib.contextmanager
def progress_bar(batches, epoch, progress=None):
    """`with progress_bar(batches, epoch) as b:` gives `batches` wrapped in a tqdm bar when
    `progress` is True, or None and a person watches; else `batches` themselves.

    Leaving the block removes the bar, also when the epoch ends in an error: tqdm's notebook bar
    would keep a stopped epoch's bar, frozen in red above the traceback. Headless runs get no bar:
    its rate and time left are never the same twice in stored output.
    """
    if not (interactive() if progress is None else progress):
        yield batches
        return
    from tqdm.auto import tqdm
    bar = tqdm(batches, total=len(batches) if hasattr(batches, "__len__") else None,
               desc=f"epoch {epoch}", leave=False)
    try:
        yield bar
    finally:
        bar.close()
        if hasattr(bar, "container"):  # the notebook widget
            bar.container.close()
