"""Static plots: the book's `plot`, `show_images` and `predict_ch3` (as `predict`), and run comparisons."""
import matplotlib.pyplot as plt
import torch

from .fashion_mnist import get_fashion_mnist_labels
from .infra.device_errors import explain_device_errors, model_device
from .infra.guards import guard_count
from .infra.modes import eval_mode


def set_figsize(figsize=(3.5, 2.5)):
    """Set the default matplotlib figure size (inches) for the plots that follow."""
    plt.rcParams["figure.figsize"] = tuple(figsize)


def set_axes(axes, xlabel=None, ylabel=None, xlim=None, ylim=None, xscale="linear",
             yscale="linear", legend=None):
    """Set labels, limits, scales and legend of a matplotlib Axes, and draw a grid."""
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
        X, Y = [[]] * len(X), [_to_plain(y) for y in X]
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
    names = list(histories)
    kwargs.setdefault("figsize", (4.5, 2.5))
    plot([histories[n]["epoch"] for n in names], [histories[n][key] for n in names],
         xlabel="epoch", ylabel=ylabel or key.replace("_", " "), legend=names, **kwargs)


def predict(net, test_iter, n=6, device=None):
    """Show the first `n` Fashion-MNIST images of `test_iter` titled true / predicted (the book's predict_ch3).

    Batches go where the model is (or to `device`); a module is in eval mode for the prediction,
    and each submodule's mode is restored afterwards. n is at most the first batch's size.
    """
    X, y = next(iter(test_iter))
    if guard_count("n", n, "how many images to show") > len(y):  # else a reshape error naming no n
        raise ValueError(f"predict shows the first n images of test_iter's first batch, which has {len(y)}; "
                         f"got n={n}: pass n <= {len(y)}")
    device = device or model_device(net)
    if device is not None:
        X, y = X.to(device), y.to(device)
    with torch.no_grad(), eval_mode(net), explain_device_errors(net, device=device):
        preds = net(X).argmax(dim=1)
    trues, guesses = get_fashion_mnist_labels(y[:n]), get_fashion_mnist_labels(preds[:n])
    titles = [f"{t}\n{p}" for t, p in zip(trues, guesses)]
    show_images(X[:n].reshape(n, *X.shape[-2:]), 1, n, titles=titles)
