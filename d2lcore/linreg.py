"""The linear-regression model written out by hand: y_hat = Xw + b."""
from ._checks import check_tensor, describe

import torch


def linreg(X, w, b):
    """Linear model.

    Args:
        X: float (n, d) features.
        w: float (d, 1) weights (a 1-D (d,) vector also works and gives (n,) output).
        b: float bias, a 0-d or (1,) tensor or a number; broadcast over examples.

    Returns:
        y_hat = X @ w + b, float (n, 1) for w of shape (d, 1).
    """
    check_tensor("X", X, ndim=2, floating=True)
    check_tensor("w", w, ndim=(1, 2), floating=True)
    if w.shape[0] != X.shape[1]:
        raise ValueError(f"w must have one row per feature: X is (n, d) = {tuple(X.shape)}, so w must be "
                         f"({X.shape[1]}, 1); got {describe(w)}")
    if isinstance(b, torch.Tensor) and b.numel() != 1:
        raise ValueError(f"b must be a single number (0-d or (1,) tensor), got {describe(b)}")
    return torch.matmul(X, w) + b
