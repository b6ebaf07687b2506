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


# The display slot that a cell's progress bars share: (execution count, display id, the bar that
# one_progress_bar keeps shown between epochs, or None).
_slot = [None, None, None]
_one_bar = [False]  # inside one_progress_bar()


@contextlib.contextmanager
def one_progress_bar():
    """`with one_progress_bar():` around a loop of epochs (d2l.train): in a notebook the epochs share
    one bar, kept shown (full) between epochs and reset by the next, so that the live figure and
    everything below it stay put; emptying the slot between epochs made them jump by a bar's height
    (about 30 px) every epoch. Leaving the block removes the bar, as an error in an epoch does.
    """
    outer = _one_bar[0]
    _one_bar[0] = True
    try:
        yield
    finally:
        _one_bar[0] = outer
        if not outer and _slot[2] is not None:
            bar, _slot[2] = _slot[2], None
            _remove(bar)


def _remove(bar):
    """Close a notebook bar's widget and empty the cell's slot (nothing left where it was)."""
    from IPython.display import display
    bar.close()
    bar.container.close()
    display({"text/plain": ""}, raw=True, display_id=_slot[1], update=True)


@contextlib.contextmanager
def progress_bar(batches, epoch, progress=None):
    """`with progress_bar(batches, epoch) as b:` gives `batches` wrapped in a tqdm bar when
    `progress` is True, or None and a person watches; else `batches` themselves.

    Leaving the block removes the bar, also when the epoch ends in an error: tqdm's notebook bar
    would keep a stopped epoch's bar, frozen in red above the traceback. In a notebook all the
    epochs of one cell take turns in one output slot, emptied at the end: one bar per epoch would
    leave a blank gap per epoch under the figure, and where widgets do not render (RISE) a frozen
    "epoch N: 0%" line each. Within one_progress_bar() an epoch that ends well leaves its bar for
    the next epoch to reuse. Headless runs get no bar: its rate and time left are never the same
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
    cell = getattr(get_ipython(), "execution_count", None)
    bar, _slot[2] = (_slot[2] if _slot[0] == cell else None), None
    if bar is not None:  # the epoch before's, still shown: the same widget, so nothing moves
        bar.reset(total=total)
        bar.set_description_str(f"epoch {epoch}", refresh=False)
        bar.refresh()
    else:
        # counted here rather than by iterating the bar: tqdm closes a bar (and its widget) at the
        # end of the iteration, and a closed bar cannot be reused
        bar = tqdm(total=total, desc=f"epoch {epoch}", leave=False, display=False)
        again = _slot[0] == cell and _slot[1] is not None
        if not again:
            _slot[:] = [cell, uuid.uuid4().hex, None]
        display(bar.container, display_id=_slot[1], update=again)

    def counted():
        for b in batches:
            yield b
            bar.update()
        bar.refresh()  # the last steps, within tqdm's refresh interval, shown too

    ended_well = False
    try:
        yield counted()
        ended_well = True
    finally:
        if ended_well and _one_bar[0]:
            _slot[2] = bar
        else:
            _remove(bar)
