"""Where tensors live: a GPU when there is one, else the CPU (the book's `try_gpu`, lesson 02).

The book's `try_gpu` knows only CUDA; here Apple's MPS counts as a GPU too, so the same notebook
uses a Mac's GPU without edits.
"""
import torch


def cpu():
    return torch.device("cpu")


def num_gpus():
    """Number of CUDA GPUs visible to this process."""
    return torch.cuda.device_count()


def _mps():
    return getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()


def try_gpu(i=0):
    """CUDA device `i` if it exists, else Apple MPS (for i = 0), else the CPU."""
    if num_gpus() > i:
        return torch.device(f"cuda:{i}")
    return torch.device("mps") if i == 0 and _mps() else cpu()


def try_all_gpus():
    """All CUDA GPUs; [mps] on a Mac with MPS; [cpu] when there is no GPU."""
    if num_gpus():
        return [torch.device(f"cuda:{i}") for i in range(num_gpus())]
    return [torch.device("mps")] if _mps() else [cpu()]


def to_device(X, y, device):
    """A batch (X, y) moved to `device`, as d2l.train and evaluate_accuracy move each batch.

    Towards a GPU the copy does not wait (it overlaps the previous step's work, and the GPU runs it
    before the kernels that read it). Towards the CPU it must wait: a CPU tensor read before a
    non-blocking copy from the GPU has landed holds whatever was in its memory, with no error.
    """
    non_blocking = torch.device(device).type != "cpu"
    return X.to(device, non_blocking=non_blocking), y.to(device, non_blocking=non_blocking)
