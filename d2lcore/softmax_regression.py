"""Softmax regression (lessons 04 and 07): softmax, cross-entropy, and their stable forms.

softmax and log_softmax share one max shift, `_shift` (lesson 07, "The max trick").
"""
import torch

from .infra.guards import guard_labels


def _shift(X):
    """X minus each row's maximum: softmax is unchanged, and the largest exponent is exp(0) = 1."""
    return X - X.max(dim=1, keepdim=True).values


def softmax(X):
    """Softmax of each row (lesson 07's stable_softmax): X float (n, q) -> probabilities (n, q).

    Cannot overflow (lesson 04's naive version returns nan for scores like 1000); tiny
    probabilities can still underflow to 0, so take logarithms with `log_softmax`.
    """
    X_exp = torch.exp(_shift(X))
    return X_exp / X_exp.sum(dim=1, keepdim=True)


def log_softmax(X):
    """log(softmax(X)) of each row from scores X float (n, q) (lesson 07) -> (n, q).

    Lesson 07 writes it as X - logsumexp(X). Here the shifted scores are kept and the log of
    their exp-sum (between 0 and log q) subtracted: for scores like [512, 512] logsumexp = 512.69
    is rounded to float32's spacing there (6e-5), and X - logsumexp(X) would carry that error.
    """
    S = _shift(X)
    return S - torch.log(torch.exp(S).sum(dim=1, keepdim=True))


def cross_entropy(y_hat, y):
    """Per-example cross-entropy -log y_hat[i, y[i]] (lesson 04), not reduced: (n,).

    y_hat: float (n, q) probabilities (softmax rows); y: int64 (n,) classes in [0, q).
    A probability that underflowed to 0 gives inf: use `cross_entropy_from_logits`.
    """
    guard_labels(y_hat, y)  # uint8 labels would index as a mask, (n, 1) ones pick an (n, n) table
    # torch.arange on y_hat's device: indexing with Python's range would copy an index to the GPU every step
    return -torch.log(y_hat[torch.arange(len(y_hat), device=y_hat.device), y])


def cross_entropy_from_logits(o, y):
    """Per-example cross-entropy from scores (lesson 07): -log_softmax(o)[i, y[i]], (n,).

    o: float (n, q) raw scores (no softmax applied); y: int64 (n,) classes in [0, q).
    Equals F.cross_entropy(o, y, reduction='none'); finite whenever the scores are.
    """
    guard_labels(o, y)
    return -log_softmax(o)[torch.arange(len(o), device=o.device), y]
