"""Static plots: the book's `plot` helper and its figure-size and axes settings."""
import matplotlib.pyplot as plt
import torch
from matplotlib.axes import Axes

from ._checks import describe


def set_figsize(figsize=(3.5, 2.5)):
    """Set the default matplotlib figure size (inches) for the plots that follow."""
    if (not isinstance(figsize, (tuple, list)) or len(figsize) != 2
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 for v in figsize)):
        raise ValueError(f"figsize must be (width, height) in inches, two positive numbers, got {describe(figsize)} "
                         f"{figsize!r}")
    plt.rcParams["figure.figsize"] = tuple(figsize)


def set_axes(axes, xlabel=None, ylabel=None, xlim=None, ylim=None, xscale="linear",
             yscale="linear", legend=None):
    """Set labels, limits, scales and legend of a matplotlib Axes, and draw a grid."""
    if not isinstance(axes, Axes):
        raise TypeError(f"axes must be a matplotlib Axes (e.g. plt.gca()), got {describe(axes)}")
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.set_xscale(xscale)
    axes.set_yscale(yscale)
    if xlim is not None:
        axes.set_xlim(xlim)
    if ylim is not None:
        axes.set_ylim(ylim)
    if legend:
        axes.legend(legend)
    axes.grid(True)


def _to_plain(v):
    """Tensors (maybe on a GPU, maybe requiring grad) become NumPy arrays matplotlib can draw."""
    if isinstance(v, torch.Tensor):
        return v.detach().cpu().numpy()
    return v


def _has_one_axis(X):
    """True for a single series (1-D tensor/array or flat list), False for a list of series."""
    return (hasattr(X, "ndim") and X.ndim == 1
            or isinstance(X, list) and not hasattr(X[0], "__len__"))


def plot(X, Y=None, xlabel=None, ylabel=None, legend=None, xlim=None, ylim=None,
         xscale="linear", yscale="linear", fmts=("-", "m--", "g-.", "r:"), figsize=(3.5, 2.5),
         axes=None):
    """Plot one or several curves, as the book's `d2l.plot`.

    X, Y: a series (1-D tensor, array or list) or a list of series. With Y None, X holds the
    y values and the x values are 0, 1, 2, ... . Tensors may live on any device.
    Draws into `axes` if given, else into a new figure of `figsize`. Returns None, so a
    notebook cell ending in `plot(...)` shows only the figure.
    """
    if legend is None:
        legend = []
    if axes is None:
        plt.figure(figsize=figsize)
        axes = plt.gca()
    X, Y = _to_plain(X), _to_plain(Y)
    if _has_one_axis(X):
        X = [X]
    if Y is None:
        X, Y = [[]] * len(X), X
    elif _has_one_axis(Y):
        Y = [Y]
    else:
        Y = [_to_plain(y) for y in Y]
    X = [_to_plain(x) for x in X]
    if len(X) != len(Y):
        X = X * len(Y)
    axes.cla()
    for x, y, fmt in zip(X, Y, fmts * (len(Y) // len(fmts) + 1)):
        if len(x):
            if len(x) != len(y):
                raise ValueError(f"x and y of a curve must have the same length, got {len(x)} and {len(y)}")
            axes.plot(x, y, fmt)
        else:
            axes.plot(y, fmt)
    set_axes(axes, xlabel, ylabel, xlim, ylim, xscale, yscale, legend)


def show_images(imgs, num_rows, num_cols, titles=None, scale=1.5):
    """Show images in a num_rows x num_cols grid, with optional titles.

    imgs: a tensor (N, H, W) or (N, 1, H, W) (any device), or a list of images.
    Returns the flat array of axes; in a notebook end the cell with `plt.show()` or assign
    the result (`_ = show_images(...)`) so only the figure is shown.
    """
    if isinstance(imgs, torch.Tensor):
        imgs = imgs.detach().cpu()
        if imgs.dim() == 4 and imgs.shape[1] == 1:
            imgs = imgs[:, 0]
    if len(imgs) < num_rows * num_cols:
        raise ValueError(f"need {num_rows * num_cols} images for a {num_rows}x{num_cols} grid, got {len(imgs)}")
    if titles is not None and len(titles) < num_rows * num_cols:
        raise ValueError(f"need a title per image ({num_rows * num_cols}), got {len(titles)}")
    figsize = (num_cols * scale, num_rows * scale)
    _, axes = plt.subplots(num_rows, num_cols, figsize=figsize, squeeze=False)
    axes = axes.flatten()
    for i, (ax, img) in enumerate(zip(axes, imgs)):
        ax.imshow(_to_plain(img), cmap="gray" if getattr(img, "ndim", 2) == 2 else None)
        ax.axes.get_xaxis().set_visible(False)
        ax.axes.get_yaxis().set_visible(False)
        if titles:
            ax.set_title(titles[i])
    return axes


def plot_histories(histories, key="test_acc", ylabel=None, **kwargs):
    """Compare training runs: one curve of `key` per epoch for each named history.

    histories: {name: history} with histories as returned by `d2lcore.train` (each has
    "epoch" and `key`). Other keyword arguments go to `plot` (xlim, yscale, figsize, ...).
    """
    if not histories:
        raise ValueError("histories is empty: pass {name: history, ...}")
    for name, h in histories.items():
        if key not in h or "epoch" not in h:
            raise KeyError(f"history {name!r} has no {key!r} (it has {sorted(h)})")
    names = list(histories)
    kwargs.setdefault("figsize", (4.5, 2.5))
    plot([histories[n]["epoch"] for n in names], [histories[n][key] for n in names],
         xlabel="epoch", ylabel=ylabel or key.replace("_", " "), legend=names, **kwargs)
