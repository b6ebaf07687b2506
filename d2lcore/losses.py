"""Loss functions written from scratch (the lessons' reference versions)."""
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
