"""Classification accuracy, counted on the device."""
import torch
from torch import nn

from ._checks import check_device, check_same_device, check_tensor, describe, iter_pairs
from .accumulator import Accumulator
from .devices import explain_device_errors


def accuracy(y_hat, y):
    """Number of correct predictions, as a 0-d tensor on y's device.

    y_hat: (n, q) scores or probabilities (the prediction is the argmax of each row), or
    (n,) predicted class indices. y: (n,) true class indices.
    Unlike the book's version it does not call float(): reading the count would make the GPU
    wait every step. `float(accuracy(...))` or an Accumulator reads it when needed.
    """
    check_tensor("y_hat", y_hat, ndim=(1, 2))
    check_tensor("y", y, ndim=1)
    check_same_device("y", y, "y_hat", y_hat)
    if len(y_hat) != len(y):
        raise ValueError(f"y_hat and y must have the same number of examples, got {describe(y_hat)} and {describe(y)}")
    if y_hat.dim() == 2 and y_hat.shape[1] > 1:
        y_hat = y_hat.argmax(dim=1)
    return (y_hat.reshape(y.shape).to(y.dtype) == y).sum()


def forward_hint(net, device):
    """What to do when net(X) mixes devices, for DeviceMismatchError messages."""
    if isinstance(net, nn.Module):
        return (f"Move the model to the batch's device (net.to({str(device)!r}); d2l.train does this for you), "
                f"or leave device=None so batches go where the model is.")
    return (f"net is a plain function: create the tensors it uses (its weights) on the batch's device "
            f"({device}), or pass device= so the batches go where the weights are.")


def model_device(net):
    """The device of a module's first parameter, or None (a function, or no parameters)."""
    if isinstance(net, nn.Module):
        for p in net.parameters():
            return p.device
    return None


def evaluate_accuracy(net, data_iter, device=None):
    """Accuracy of `net` over all of `data_iter`, as a float in [0, 1].

    Batches are moved to `device` (default: where the model's parameters are; for a plain
    function, where the data are). A module is put in eval mode for the pass and restored
    afterwards. Counts stay on the device: one host sync at the end, not one per batch.
    """
    device = check_device("device", device) or model_device(net)
    was_training = isinstance(net, nn.Module) and net.training
    if isinstance(net, nn.Module):
        net.eval()
    metric = Accumulator(2)  # correct predictions, predictions
    try:
        with torch.no_grad():
            for X, y in iter_pairs(data_iter, "data_iter"):
                if device is not None:
                    X, y = X.to(device, non_blocking=True), y.to(device, non_blocking=True)
                with explain_device_errors("net(X)", lambda: forward_hint(net, X.device), X=X, net=net):
                    y_hat = net(X)
                metric.add(accuracy(y_hat, y), y.numel())
    finally:
        if was_training:
            net.train()
    if metric[1] == 0:
        raise ValueError("data_iter yielded no examples")
    return metric[0] / metric[1]
