"""Losses for regression and binary labels (lesson 06). All per-example, not reduced.

y is reshaped to y_hat's shape, as in `squared_loss`, so (n,) targets cannot broadcast against
(n, 1) predictions.
"""
import torch


def l1_loss(y_hat, y):
    """|y_hat - y| per example (torch: F.l1_loss(..., reduction='none')). Fits the median."""
    return (y_hat - y.reshape(y_hat.shape)).abs()


def huber_loss(y_hat, y, delta=1.0):
    """Huber loss per example: r²/2 where |r| <= delta, else delta (|r| - delta/2), r = y_hat - y.

    torch's F.huber_loss convention; F.smooth_l1_loss(beta=delta) is the same curve / delta.
    """
    r = (y_hat - y.reshape(y_hat.shape)).abs()
    return torch.where(r <= delta, 0.5 * r ** 2, delta * (r - 0.5 * delta))


def binary_cross_entropy_from_logits(z, y):
    """-(y log p + (1 - y) log(1 - p)) with p = sigmoid(z), per example (lesson 06).

    z: float logits, any shape; y: targets in [0, 1], reshaped to z's shape. Equals
    F.binary_cross_entropy_with_logits(z, y, reduction='none'): softplus(z) - z y, written so
    that no exp can overflow and the gradient is exactly sigmoid(z) - y, also at z = 0.
    """
    t = y.reshape(z.shape).to(z.dtype)
    # (1 - t) z + log(1 + exp(-z)) for z >= 0 and -t z + log(1 + exp(z)) for z < 0: each exp sees
    # only inputs <= 0. `where` picks the safe inputs (clamp would pass no gradient at z = 0), so the
    # unused branch cannot make an inf whose zero-weighted gradient would still be nan.
    pos = z >= 0
    zero = torch.zeros_like(z)
    return torch.where(pos, (1 - t) * z + torch.log1p(torch.exp(-torch.where(pos, z, zero))),
                       -t * z + torch.log1p(torch.exp(torch.where(pos, zero, z))))
