"""The book's compatibility surface: names D2L's PyTorch cells call on `d2l` that are not part of
d2lcore's own namespace.

`import d2lcore as d2l` serves these through the package's module-level `__getattr__`, so a
pasted book cell finds `d2l.reshape`, `d2l.plt` or `d2l.train_ch3`, while `dir(d2l)` and
`d2l.__all__` stay the names the lessons use. Each alias is one line with the book's meaning
and no checks; the `*_ch3` functions follow the book's contracts (what they take, return and
assert), built on d2lcore's train_epoch, train and predict.
"""
import torch
from matplotlib import pyplot as plt
from torch import nn

from .devices import cpu, num_gpus, try_all_gpus
from .infra.device_errors import model_device
from .infra.guards import guard_some_examples
from .plotting import predict, set_axes, set_figsize
from .training import train, train_epoch
from .utils import Accumulator

# one-line aliases, as the book's d2l.torch defines them
ones, zeros, tensor, arange, meshgrid = torch.ones, torch.zeros, torch.tensor, torch.arange, torch.meshgrid
sin, sinh, cos, cosh, tanh, linspace = torch.sin, torch.sinh, torch.cos, torch.cosh, torch.tanh, torch.linspace
exp, log, normal, rand, randn, matmul = torch.exp, torch.log, torch.normal, torch.rand, torch.randn, torch.matmul
int32, float32, concat, stack, abs, eye = torch.int32, torch.float32, torch.cat, torch.stack, torch.abs, torch.eye
sigmoid, batch_matmul = torch.sigmoid, torch.bmm
numpy = lambda x, *args, **kwargs: x.detach().numpy(*args, **kwargs)  # noqa: E731
size = lambda x, *args, **kwargs: x.numel(*args, **kwargs)  # noqa: E731
reshape = lambda x, *args, **kwargs: x.reshape(*args, **kwargs)  # noqa: E731
to = lambda x, *args, **kwargs: x.to(*args, **kwargs)  # noqa: E731
reduce_sum = lambda x, *args, **kwargs: x.sum(*args, **kwargs)  # noqa: E731
argmax = lambda x, *args, **kwargs: x.argmax(*args, **kwargs)  # noqa: E731
astype = lambda x, *args, **kwargs: x.type(*args, **kwargs)  # noqa: E731
transpose = lambda x, *args, **kwargs: x.t(*args, **kwargs)  # noqa: E731
reduce_mean = lambda x, *args, **kwargs: x.mean(*args, **kwargs)  # noqa: E731


def use_svg_display():
    """Draw inline figures as SVG in Jupyter (the book's first plotting call)."""
    from matplotlib_inline import backend_inline
    backend_inline.set_matplotlib_formats("svg")


# The book's epoch loop and predictions are d2lcore's (lesson 04 derives them): same arguments,
# same (mean loss, accuracy) floats, plus the device moves and the non-finite stop.
train_epoch_ch3 = train_epoch
predict_ch3 = predict


def train_ch3(net, train_iter, test_iter, loss, num_epochs, updater):
    """The book's train_ch3: trains where the model already is (it moves nothing, as the book's
    does not: a pasted cell's own CPU tensors keep working on a GPU machine), draws train loss,
    train and test accuracy live (d2l.train's figure and, when a person watches, its progress bar),
    returns None, and asserts what the book asserts after the last epoch."""
    device = model_device(net) if isinstance(net, nn.Module) else None
    h = train(net, train_iter, test_iter, loss, num_epochs, updater, device)
    held_out = next(key for key in h if key.endswith("_acc") and key != "train_acc")  # test_acc, or valid_acc
    train_loss, train_acc, test_acc = h["train_loss"][-1], h["train_acc"][-1], h[held_out][-1]
    assert train_loss < 0.5, train_loss
    assert 0.7 < train_acc <= 1, train_acc
    assert 0.7 < test_acc <= 1, test_acc


def evaluate_loss(net, data_iter, loss):
    """Mean per-example loss of `net` over `data_iter` (the book's, from model selection)."""
    metric = Accumulator(2)  # summed loss, number of losses
    with torch.no_grad():
        for X, y in data_iter:
            out = net(X)
            l = loss(out, y.reshape(out.shape))
            metric.add(l.sum(), l.numel())
    guard_some_examples(metric[1], data_iter, "evaluate_loss's data_iter")  # else ZeroDivisionError
    return metric[0] / metric[1]


__all__ = ["ones", "zeros", "tensor", "arange", "meshgrid", "sin", "sinh", "cos", "cosh", "tanh", "linspace",
           "exp", "log", "normal", "rand", "randn", "matmul", "int32", "float32", "concat", "stack", "abs", "eye",
           "sigmoid", "batch_matmul", "numpy", "size", "reshape", "to", "reduce_sum", "argmax", "astype",
           "transpose", "reduce_mean", "plt", "use_svg_display", "set_figsize", "set_axes", "cpu", "num_gpus",
           "try_all_gpus", "train_epoch_ch3", "train_ch3", "predict_ch3", "evaluate_loss"]
