"""Loss functions written from scratch (the lessons' reference versions)."""
import torch

from ._checks import check_tensor, describe


def squared_loss(y_hat, y):
    """Per-example squared loss 1/2 (y_hat - y)^2, not reduced.

    Args:
        y_hat: float predictions, any shape, e.g. (n, 1).
        y: targets with the same number of elements as y_hat, e.g. (n,) or (n, 1);
           reshaped to y_hat's shape so (n,) vs (n, 1) cannot broadcast into (n, n).

    Returns:
        float tensor of y_hat's shape. The 1/2 makes the gradient exactly (y_hat - y).
    """
    check_tensor("y_hat", y_hat, floating=True)
    check_tensor("y", y)
    if y.numel() != y_hat.numel():
        raise ValueError(f"y must have as many elements as y_hat: y_hat is {describe(y_hat)}, "
                         f"y is {describe(y)}")
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2


def cross_entropy(y_hat, y):
    """Per-example cross-entropy -log y_hat[i, y[i]] of predicted probabilities, not reduced.

    Args:
        y_hat: float (n, q) probabilities (rows of a softmax).
        y: int64 (n,) true class indices in [0, q).

    Returns float (n,). Picks each row's probability of the true class by integer-array
    indexing, y_hat[range(n), y]. A probability of exactly 0 gives inf: use logits and
    torch's F.cross_entropy (or lesson 07's stable version) when that can happen.
    Labels are range-checked on the CPU; on a GPU that check would make every step wait
    for the device, so there an out-of-range label surfaces as torch's indexing error.
    """
    check_tensor("y_hat", y_hat, ndim=2, floating=True)
    check_tensor("y", y, ndim=1)
    if y.is_floating_point() or y.dtype == torch.bool:
        raise TypeError(f"y must hold integer class indices (e.g. torch.int64), got {describe(y)}")
    if len(y) != len(y_hat):
        raise ValueError(f"y must have one label per row of y_hat: y_hat is {describe(y_hat)}, y is {describe(y)}")
    if y.device.type == "cpu" and len(y) and (int(y.min()) < 0 or int(y.max()) >= y_hat.shape[1]):
        raise ValueError(f"labels must be in [0, {y_hat.shape[1]}) for {y_hat.shape[1]} classes, "
                         f"got values from {int(y.min())} to {int(y.max())}")
    return -torch.log(y_hat[torch.arange(len(y_hat), device=y_hat.device), y])
