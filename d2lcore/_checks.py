"""Input checks shared by d2lcore's public functions.

Every check raises an error that names the argument, what was expected and what came,
so a student sees "batch_size must be a positive int, got 0" instead of a traceback
from deep inside torch.
"""
import math
import numbers

import torch


def describe(x):
    """A short description of a value for error messages: type, and shape/dtype for tensors."""
    if isinstance(x, torch.Tensor):
        return f"tensor of shape {tuple(x.shape)}, dtype {x.dtype}, on {x.device}"
    return f"{type(x).__name__} {x!r}" if isinstance(x, (numbers.Number, str)) else type(x).__name__


def check_tensor(name, x, *, ndim=None, floating=False):
    """Require a torch.Tensor, optionally with `ndim` dimensions and a floating dtype."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {describe(x)}")
    if ndim is not None and x.dim() not in (ndim if isinstance(ndim, tuple) else (ndim,)):
        raise ValueError(f"{name} must have {ndim} dimension(s), got {describe(x)}")
    if floating and not x.is_floating_point():
        raise TypeError(
            f"{name} must have a floating dtype (e.g. torch.float32), got {describe(x)}; "
            f"convert it with .to(torch.float32)")
    return x


def check_device(name, device):
    """A torch.device from a device or its name; None stays None (meaning: decide automatically)."""
    if device is None or isinstance(device, torch.device):
        return device
    try:
        return torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(f"{name} must be a torch.device or a name such as 'cpu' or 'cuda:0', "
                         f"got {describe(device)}") from None


def check_same_device(name, x, other_name, other):
    """Require x on other's device (checked without reading any value: no GPU sync)."""
    if x.device != other.device:
        raise ValueError(f"{name} must be on the same device as {other_name} ({other.device}), got {x.device}; "
                         f"move it with .to({other_name}.device)")


def iter_pairs(batches, name):
    """Iterate over (X, y) batches, saying so clearly when an item is not such a pair."""
    for item in batches:
        if not (isinstance(item, (tuple, list)) and len(item) == 2):
            raise ValueError(f"{name} must yield (X, y) pairs of tensors, got an item that is {describe(item)}"
                             + (f" of length {len(item)}" if isinstance(item, (tuple, list)) else ""))
        yield item


def check_callable(name, v, what="a function"):
    if not callable(v):
        raise TypeError(f"{name} must be {what}, got {describe(v)}")
    return v


def check_nonempty_dim(name, X, dim):
    """Require at least one entry along `dim` (a max or a sum over nothing has no answer)."""
    if X.dim() > 0 and X.shape[dim] == 0:
        raise ValueError(f"{name} must have at least one entry along dim {dim} (the classes), got {describe(X)}")


def check_positive_int(name, v):
    """Require an int > 0 (bool is rejected: True is not a batch size)."""
    if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v <= 0:
        raise ValueError(f"{name} must be a positive int, got {describe(v)}")
    return int(v)


def check_nonnegative_int(name, v):
    if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 0:
        raise ValueError(f"{name} must be an int >= 0, got {describe(v)}")
    return int(v)


def check_number(name, v, *, positive=False, nonnegative=False):
    """Require a finite real number (Python or 0-d tensor), optionally > 0 or >= 0."""
    if isinstance(v, torch.Tensor) and v.numel() == 1:
        v = v.item()
    if isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(v):
        raise TypeError(f"{name} must be a finite number, got {describe(v)}")
    if positive and v <= 0:
        raise ValueError(f"{name} must be a positive number, got {v!r}")
    if nonnegative and v < 0:
        raise ValueError(f"{name} must be a number >= 0, got {v!r}")
    return float(v)
