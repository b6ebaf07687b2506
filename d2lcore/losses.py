"""Loss functions written from scratch (the lessons' reference versions)."""
import torch

from ._checks import check_nonempty_dim, check_number, check_same_device, check_tensor, describe


def squared_loss(y_hat, y):
    """Per-example squared loss 1/2 (y_hat - y)^2, not reduced.

    Args:
        y_hat: float predictions, any shape, e.g. (n, 1).
        y: targets with the same number of elements as y_hat, e.g. (n,) or (n, 1);
           reshaped to y_hat's shape so (n,) vs (n, 1) cannot broadcast into (n, n).

    Returns:
        float tensor of y_hat's shape. The 1/2 makes the gradient exactly (y_hat - y).
    """
    return _residual(y_hat, y) ** 2 / 2


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
    _check_labels("y_hat", y_hat, y)
    return -torch.log(y_hat[torch.arange(len(y_hat), device=y_hat.device), y])


def _residual(y_hat, y):
    check_tensor("y_hat", y_hat, floating=True)
    check_tensor("y", y)
    check_same_device("y", y, "y_hat", y_hat)
    if y.numel() != y_hat.numel():
        raise ValueError(f"y must have as many elements as y_hat: y_hat is {describe(y_hat)}, "
                         f"y is {describe(y)}")
    return y_hat - y.reshape(y_hat.shape).to(y_hat.dtype)


def l1_loss(y_hat, y):
    """Per-example absolute error |y_hat - y|, not reduced (torch: F.l1_loss(..., reduction='none')).

    y is reshaped to y_hat's shape, as in `squared_loss`. Minimising it fits the median.
    """
    return _residual(y_hat, y).abs()


def huber_loss(y_hat, y, delta=1.0):
    """Per-example Huber loss, not reduced: 1/2 r^2 where |r| <= delta, else delta (|r| - delta/2).

    r = y_hat - y (y reshaped to y_hat's shape); delta > 0. This is torch's F.huber_loss
    convention (quadratic near 0, slope delta beyond). F.smooth_l1_loss(beta=delta) is the same
    curve divided by delta; for delta = 1 the two coincide.
    """
    delta = check_number("delta", delta, positive=True)
    r = _residual(y_hat, y).abs()
    return torch.where(r <= delta, 0.5 * r ** 2, delta * (r - 0.5 * delta))


def _upcast(X):
    """Half-precision inputs are computed in float32 (as torch's kernels accumulate), then cast back."""
    return X.float() if X.dtype in (torch.float16, torch.bfloat16) else X


def _row_max(Xc, dim):
    """The max along dim, kept; rows of -inf give 0 so that X - max stays -inf, not nan."""
    m = Xc.amax(dim=dim, keepdim=True)
    return torch.where(torch.isfinite(m), m, torch.zeros_like(m))


def logsumexp(X, dim=-1):
    """log(sum(exp(X))) along `dim`, without overflow: max + log(sum(exp(X - max))). Keeps no dim."""
    check_tensor("X", X, floating=True)
    check_nonempty_dim("X", X, dim)
    Xc = _upcast(X)
    m = _row_max(Xc, dim)
    return (m + torch.log(torch.exp(Xc - m).sum(dim=dim, keepdim=True))).squeeze(dim).to(X.dtype)


def log_softmax(X, dim=-1):
    """log(softmax(X)) along `dim`, computed as (X - max) - log(sum(exp(X - max))).

    X: float (..., q) logits. Returns log-probabilities of X's shape and dtype (float16 and
    bfloat16 are computed in float32). Never takes the log of an underflowed probability, and
    finite whenever the spread of a row (max - min) is below the dtype's largest number.
    Not X - logsumexp(X): for logits like [512, 512] logsumexp = 512.69 is rounded to float32's
    spacing there (6e-5), and that error would land in the small result, -0.6931.
    """
    check_tensor("X", X, floating=True)
    if X.dim() == 0:
        raise ValueError("X must have at least one dimension (the classes), got a 0-d tensor")
    check_nonempty_dim("X", X, dim)
    Xc = _upcast(X)
    shifted = Xc - _row_max(Xc, dim)
    return (shifted - torch.log(torch.exp(shifted).sum(dim=dim, keepdim=True))).to(X.dtype)


def _check_labels(name, logits, y):
    """Scores (n, q) float and labels (n,) integer in [0, q); the range check only on the CPU."""
    check_tensor(name, logits, ndim=2, floating=True)
    check_tensor("y", y, ndim=1)
    if y.is_floating_point() or y.dtype == torch.bool:
        raise TypeError(f"y must hold integer class indices (e.g. torch.int64), got {describe(y)}")
    check_same_device("y", y, name, logits)
    if len(y) != len(logits):
        raise ValueError(f"y must have one label per row of {name}: {name} is {describe(logits)}, y is {describe(y)}")
    if y.device.type == "cpu" and len(y) and (int(y.min()) < 0 or int(y.max()) >= logits.shape[1]):
        raise ValueError(f"labels must be in [0, {logits.shape[1]}) for {logits.shape[1]} classes, "
                         f"got values from {int(y.min())} to {int(y.max())}")


def cross_entropy_from_logits(logits, y):
    """Per-example cross-entropy computed from scores: -log_softmax(logits)[i, y[i]], not reduced.

    logits: float (n, q) raw scores (no softmax applied); y: int64 (n,) classes in [0, q).
    Returns float (n,), finite with finite gradients whenever a row's spread (max - min) is below
    the dtype's largest number: no exp can overflow and no log of 0 is taken.
    Equals F.cross_entropy(logits, y, reduction='none').
    """
    _check_labels("logits", logits, y)
    return -log_softmax(logits, dim=1)[torch.arange(len(y), device=logits.device), y]


def binary_cross_entropy(logits, y):
    """Per-example binary cross-entropy from a logit z (like F.binary_cross_entropy_with_logits).

    logits: float, any shape, z with p = sigmoid(z); y: targets in [0, 1] with as many elements
    (reshaped to logits' shape). Returns -(y log p + (1 - y) log(1 - p)) = softplus(z) - z y with
    softplus(z) = log(1 + exp(z)), evaluated so that no exp can overflow: finite for any finite z,
    accurate to float rounding, with the exact gradient sigmoid(z) - y (also at z = 0).
    """
    check_tensor("logits", logits, floating=True)
    check_tensor("y", y)
    check_same_device("y", y, "logits", logits)
    if y.numel() != logits.numel():
        raise ValueError(f"y must have as many elements as logits: logits is {describe(logits)}, y is {describe(y)}")
    z = _upcast(logits)
    t = y.reshape(logits.shape).to(z.dtype)
    if t.device.type == "cpu" and t.numel() and (float(t.min()) < 0 or float(t.max()) > 1):
        raise ValueError(f"binary targets must be in [0, 1], got values from {float(t.min())} to {float(t.max())}")
    # softplus(z) - z t, rearranged as (1 - t) z + log(1 + exp(-z)) for z >= 0 and
    # -t z + log(1 + exp(z)) for z < 0: no exp can overflow, and no large z is subtracted from a
    # nearly equal z t (which would lose the digits of a small loss). Each branch only sees inputs
    # where its exp is <= 1, so the unused branch cannot produce inf (whose zero-weighted gradient
    # would still be nan). `where`, not clamp, selects the safe inputs: clamp passes no gradient at
    # its boundary z = 0, where the gradient must be sigmoid(0) - t = 0.5 - t.
    pos = z >= 0
    zero = torch.zeros_like(z)
    loss = torch.where(pos, (1 - t) * z + torch.log1p(torch.exp(-torch.where(pos, z, zero))),
                       -t * z + torch.log1p(torch.exp(torch.where(pos, zero, z))))
    return loss.to(logits.dtype)
