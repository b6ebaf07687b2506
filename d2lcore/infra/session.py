"""Is a person watching? Decides progress bars, servers and live widgets.

Headless runs (nbval, `jupyter execute`, CI) must store stable outputs and must never wait for a
person: `./course test` and `./course execute` set D2L_HEADLESS=1, and outside a Jupyter kernel
there is no front end at all.
"""
import contextlib
import os
import uuid


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


# The display slot that a cell's progress bars share: (execution count, display id).
_slot = [None, None]


@contextlib.contextmanager
def progress_bar(batches, epoch, progress=None):
    """`with progress_bar(batches, epoch) as b:` gives `batches` wrapped in a tqdm bar when
    `progress` is True, or None and a person watches; else `batches` themselves.

    Leaving the block removes the bar, also when the epoch ends in an error: tqdm's notebook bar
    would keep a stopped epoch's bar, frozen in red above the traceback. In a notebook all the
    epochs of one cell take turns in one output slot, emptied at the end: one bar per epoch would
    leave a blank gap per epoch under the figure, and where widgets do not render (RISE) a frozen
    "epoch N: 0%" line each. Headless runs get no bar: its rate and time left are never the same
    twice in stored output.
    """
    if not (interactive() if progress is None else progress):
        yield batches
        return
    total = len(batches) if hasattr(batches, "__len__") else None
    if not in_notebook():
        from tqdm import tqdm
        with tqdm(batches, total=total, desc=f"epoch {epoch}", leave=False) as bar:
            yield bar
        return
    from IPython import get_ipython
    from IPython.display import display
    from tqdm.notebook import tqdm
    bar = tqdm(batches, total=total, desc=f"epoch {epoch}", leave=False, display=False)
    cell = getattr(get_ipython(), "execution_count", None)
    again = _slot[0] == cell and _slot[1] is not None
    if not again:
        _slot[:] = [cell, uuid.uuid4().hex]
    display(bar.container, display_id=_slot[1], update=again)
    try:
        yield bar
    finally:
        bar.close()
        bar.container.close()
        display({"text/plain": ""}, raw=True, display_id=_slot[1], update=True)
