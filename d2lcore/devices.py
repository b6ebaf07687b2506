"""Where tensors live: pick a GPU when there is one, fall back to the CPU when not.

The book's `try_gpu` only knows CUDA; here Apple's MPS counts as a GPU too, so the same
notebook uses a Mac's GPU without edits.
"""
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
