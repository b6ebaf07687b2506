"""Live training curves that update in place.

The book's Animator calls `display(fig)` then `clear_output(wait=True)` on every point:
the output area flickers, and a notebook re-run by nbval (this course's test) piles up one
figure per update, because nbval does not apply clear_output (nbclient, which runs nbconvert
and `jupyter execute`, does). Here the figure is shown once with a display id and later points replace
that same output (`update_display_data`), which JupyterLab, classic Notebook and VS Code
render in place; headless runners store the single, final figure.
"""
import io
import threading

import torch
from matplotlib.figure import Figure

from .infra.session import in_notebook
from .plotting import set_axes


# Widget callbacks run on a kernel thread of their own (JupyterLab 4.6) while cells run on the main
# thread; matplotlib is not thread-safe, so d2lcore's own drawings take turns.
DRAW_LOCK = threading.RLock()


def figure_bundle(fig):
    """A figure as a display bundle (PNG and its text form) for `display(bundle, raw=True)`.

    Rendered here rather than left to the inline backend's formatter, which is missing when
    MPLBACKEND points elsewhere (e.g. Agg inherited by the kernel), and which works through pyplot.
    """
    buf = io.BytesIO()
    with DRAW_LOCK:
        fig.savefig(buf, format="png", bbox_inches="tight")
    return {"image/png": buf.getvalue(), "text/plain": repr(fig)}


def _as_list(v):
    """A number, a 0-d or 1-d tensor, or a sequence, as a list of values (None kept)."""
    if isinstance(v, torch.Tensor):
        return v.detach().flatten().tolist()
    if v is None or not hasattr(v, "__len__"):
        return [v]
    return list(v)


class Animator:
    """Plot data incrementally, e.g. loss and accuracy after every epoch.

    Same arguments as the book's: labels, limits, scales and legend of the (first) axes,
    `fmts` the line formats of the curves, `nrows`/`ncols` subplots, `figsize` in inches.
    `add(x, y)` appends one point to each curve (y a number, a tensor or a list, one value
    per curve; None skips that curve). Tensors may be on a GPU: reading them is the one
    host sync per call. The points are kept in `X` and `Y` (lists of lists).
    Outside a notebook nothing is shown; `fig` can still be saved.
    """

    def __init__(self, xlabel=None, ylabel=None, legend=None, xlim=None, ylim=None,
                 xscale="linear", yscale="linear", fmts=("-", "m--", "g-.", "r:"),
                 nrows=1, ncols=1, figsize=(3.5, 2.5)):
        if isinstance(legend, str):  # matplotlib would label the curves 'l', 'o', 's', 's'
            raise TypeError(f"legend must be a list of labels, one per curve (e.g. ['train loss']), got {legend!r}")
        legend = [] if legend is None else list(legend)
        # A bare Figure, not plt.subplots: pyplot would also show it at the end of the
        # cell, giving a second copy of the plot under the live one.
        self.fig = Figure(figsize=figsize)
        axes = self.fig.subplots(nrows, ncols, squeeze=False)
        self.axes = list(axes.flat)
        self._config = dict(xlabel=xlabel, ylabel=ylabel, xlim=xlim, ylim=ylim,
                            xscale=xscale, yscale=yscale, legend=legend)
        self.fmts = fmts
        self.X, self.Y = None, None
        self._handle = None

    def add(self, x, y):
        """Add a point to each curve and redraw. x: number or list; y: number or list."""
        y = _as_list(y)
        n = len(y)
        x = _as_list(x)
        if len(x) == 1 and n > 1:
            x = x * n
        if self.X is None:
            self.X = [[] for _ in range(n)]
            self.Y = [[] for _ in range(n)]
        if n != len(self.Y):
            raise ValueError(f"Animator.add got {n} y values, but the curves started with {len(self.Y)}")
        for i, (a, b) in enumerate(zip(x, y)):
            if a is not None and b is not None:
                self.X[i].append(float(a))
                self.Y[i].append(float(b))
        self._redraw()
        self.show()

    def _redraw(self):
        ax = self.axes[0]
        with DRAW_LOCK:
            ax.cla()
            for xs, ys, fmt in zip(self.X, self.Y, self.fmts * (len(self.Y) // len(self.fmts) + 1)):
                ax.plot(xs, ys, fmt)
            set_axes(ax, **self._config)

    def show(self):
        """Show the figure in the notebook: the first call displays it, later calls update it."""
        if not in_notebook():
            return
        from IPython.display import display
        bundle = figure_bundle(self.fig)
        if self._handle is None:
            self._handle = display(bundle, raw=True, display_id=True)
        else:
            self._handle.update(bundle, raw=True)
