"""Is a person watching? Decides progress bars, servers and live widgets.

Headless runs (nbval, `jupyter execute`, CI) must store stable outputs and must never wait for a
person: `./course test` and `./course execute` set D2L_HEADLESS=1, and outside a Jupyter kernel
there is no front end at all.
"""
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


def progress_bar(batches, epoch, progress=None):
    """`batches` wrapped in a tqdm bar when `progress` is True, or None and a person watches.

    Headless runs get none: a bar's rate and time left are never the same twice in stored output.
    """
    if not (interactive() if progress is None else progress):
        return batches
    from tqdm.auto import tqdm
    return tqdm(batches, total=len(batches) if hasattr(batches, "__len__") else None,
                desc=f"epoch {epoch}", leave=False)
