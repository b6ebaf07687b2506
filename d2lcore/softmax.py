"""Softmax that cannot overflow."""
import torch

from ._checks import check_nonempty_dim, check_tensor


def softmax(X, dim=-1):
    """Softmax along `dim` (default: the last, one row per example).

    X: float (..., q) scores (logits). Returns probabilities of X's shape and dtype: every
    entry in [0, 1], each slice along `dim` summing to 1.

    Subtracts the row maximum before exp: softmax(o) = softmax(o - c) for any c, and with
    c = max(o) the largest exponent is exp(0) = 1, so exp never overflows (the lesson's naive
    version returns nan for logits like 1000). Tiny probabilities can still underflow to 0;
    compute log-probabilities from the logits when you need their logarithm (lesson 07).
    """
    check_tensor("X", X, floating=True)
    if X.dim() == 0:
        raise ValueError("X must have at least one dimension (the classes), got a 0-d tensor")
    check_nonempty_dim("X", X, dim)
    X_exp = torch.exp(X - X.amax(dim=dim, keepdim=True))
    return X_exp / X_exp.sum(dim=dim, keepdim=True)
