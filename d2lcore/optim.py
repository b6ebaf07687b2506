"""Optimisers written from scratch."""
import torch

from ._checks import check_number, check_positive_int, describe


def sgd(params, lr, batch_size):
    """Minibatch stochastic gradient descent, in place: p -= lr * p.grad / batch_size.

    Args:
        params: iterable of float tensors with requires_grad=True whose .grad holds the
            gradient of the *summed* minibatch loss (hence the division by batch_size,
            which turns it into the mean and keeps the step size independent of batch size).
        lr: learning rate, a positive number.
        batch_size: number of examples the summed loss covered, a positive int.

    Zeroes each .grad afterwards so the next backward() does not add to it.
    """
    if isinstance(params, torch.Tensor):
        raise TypeError("params must be a list of tensors, e.g. [w, b], got a single tensor; wrap it in a list")
    params = list(params)
    if not params:
        raise ValueError("params must hold at least one tensor, e.g. [w, b], got an empty list")
    lr = check_number("lr", lr, positive=True)
    batch_size = check_positive_int("batch_size", batch_size)
    for i, p in enumerate(params):
        if not isinstance(p, torch.Tensor):
            raise TypeError(f"params[{i}] must be a torch.Tensor, got {describe(p)}")
        if p.grad is None:
            raise ValueError(f"params[{i}] ({describe(p)}) has no gradient: create it with "
                             f"requires_grad=True and call loss.backward() before sgd")
    with torch.no_grad():
        for p in params:
            p -= lr * p.grad / batch_size
            p.grad.zero_()
