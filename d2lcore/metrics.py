"""Classification accuracy (lesson 04, "Classification accuracy"), counted on the device."""
import torch

from .devices import to_device
from .infra.device_errors import explain_device_errors, model_device
from .infra.guards import guard_finite_inputs, guard_predictions, guard_some_examples, input_checksum
from .infra.modes import eval_mode
from .utils import Accumulator


def accuracy(y_hat, y):
    """Number of correct predictions, as a 0-d tensor on y's device (lesson 04).

    y_hat: (n, q) scores or probabilities (the prediction is each row's argmax), or (n,) integer
    class predictions; y: (n,) class indices. The book's version calls float() on the count;
    that would make the GPU wait every step, so read it with float() or an Accumulator instead.
    """
    if len(y_hat.shape) > 1 and y_hat.shape[1] > 1:
        y_hat = y_hat.argmax(axis=1)
    guard_predictions(y_hat, y)  # one float column, or (n, 1) labels, would count nonsense
    cmp = y_hat.type(y.dtype) == y
    return cmp.sum()


def evaluate_accuracy(net, data_iter, device=None):
    """Accuracy of `net` over all of `data_iter`, a float in [0, 1] (lesson 04).

    Beyond the lesson's loop: batches go to `device` (default: where the model's parameters
    are; for a plain function, where the data are), and a module is put in eval mode (dropout
    off, batch norm's running statistics) for the pass. Unlike the book's, each submodule's mode is
    restored afterwards, even when interrupted: a model evaluated mid-training keeps training as
    before, and a layer frozen with `.eval()` stays frozen (train_epoch, like the book's, sets
    every layer training at each epoch's start).
    Inputs that hold nan or inf are refused (ValueError): their predictions would be arbitrary. The
    check is one sum per batch, kept on the device and read once at the end.
    """
    device = device or model_device(net)
    metric = Accumulator(2)  # correct predictions, predictions
    checksums = []  # one sum per batch, nan/inf if an input is: kept on the device, read once at the end
    with torch.no_grad(), eval_mode(net), explain_device_errors(net, device=device):
        for X, y in data_iter:
            if device is not None:
                X, y = to_device(X, y, device)
            metric.add(accuracy(net(X), y), y.numel())
            checksums.append(input_checksum(X))
    guard_some_examples(metric[1], data_iter, "evaluate_accuracy's data_iter (in d2l.train: test_iter)")
    guard_finite_inputs(checksums)
    return metric[0] / metric[1]
