"""Where tensors live: pick a GPU when there is one, fall back to the CPU when not.

The book's `try_gpu` only knows CUDA; here Apple's MPS counts as a GPU too, so the same
notebook uses a Mac's GPU without edits. When tensors that must meet are on different devices,
`explain_device_errors` turns torch's terse error into one that says which tensor is where.
"""
import contextlib
import re

import torch

from ._checks import check_nonnegative_int


def cpu():
    """The CPU device, `torch.device('cpu')`."""
    return torch.device("cpu")


def num_gpus():
    """Number of CUDA GPUs visible to this process (0 when none or no CUDA build)."""
    return torch.cuda.device_count()


def _mps_available():
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def try_gpu(i=0):
    """Return GPU `i` if it exists, else the CPU.

    Order: CUDA device `i` (`cuda:i`), else Apple MPS (only one, so only for i=0), else CPU.
    """
    i = check_nonnegative_int("i", i)
    if num_gpus() > i:
        return torch.device(f"cuda:{i}")
    if i == 0 and _mps_available():
        return torch.device("mps")
    return cpu()


def try_all_gpus():
    """All CUDA GPUs as a list of devices; `[mps]` on a Mac with MPS; `[cpu]` if no GPU."""
    if num_gpus() > 0:
        return [torch.device(f"cuda:{i}") for i in range(num_gpus())]
    if _mps_available():
        return [torch.device("mps")]
    return [cpu()]


class DeviceMismatchError(RuntimeError):
    """Tensors that must meet in one operation live on different devices; the message says which is where."""


# torch's wordings for "these tensors are on different devices" (CPU/CUDA/MPS/meta kernels)
_DEVICE_ERROR = re.compile(r"on the same device|on the expected device|Expected object of device type"
                           r"|indices should be either on cpu or on the same device")


def where(obj):
    """Where a tensor or a module's tensors live, in words, for error messages."""
    if isinstance(obj, torch.Tensor):
        return str(obj.device)
    if isinstance(obj, torch.nn.Module):
        devices = sorted({str(t.device) for t in [*obj.parameters(), *obj.buffers()]})
        return " and ".join(devices) if devices else "no device (it has no parameters or buffers)"
    if callable(obj):
        return "wherever its own tensors were created (a plain function: d2lcore cannot see them)"
    return "no device"


@contextlib.contextmanager
def explain_device_errors(call, hint, **parts):
    """Re-raise torch's device-mismatch errors inside the block as a DeviceMismatchError that
    says where each of `parts` (name=tensor, module or function) lives, plus `hint` (a string, or
    a function returning one: it is only built when there is an error, not at every step)."""
    try:
        yield
    except RuntimeError as e:
        if isinstance(e, DeviceMismatchError) or not _DEVICE_ERROR.search(str(e)):
            raise
        places = "; ".join(f"{name} is on {where(v)}" for name, v in parts.items())
        hint = hint() if callable(hint) else hint
        raise DeviceMismatchError(f"{call} mixes devices: {places}. {hint} (torch said: {e})") from e
