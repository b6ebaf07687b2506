"""Small tools from the book's `d2l` package: Accumulator (lesson 04), Timer (lesson 01), set_seed."""
import random
import time

import numpy as np
import torch


class Accumulator:
    """Running sums of n quantities: `acc.add(loss_sum, num_correct, batch_size)`; `acc[i]` reads one.

    The book's version calls float() on every value. Here a 0-d tensor stays a tensor on its
    device: `add` only keeps it (no kernel, no wait for the GPU), and reading `acc[i]` (typically
    once per epoch) sums what was kept, in one stack and one sum, and is the one sync. Totals are
    float64 (float32 on Apple's MPS, which has no float64), so many float32 batches lose no digits.
    """

    def __init__(self, n):
        self.data = [[] for _ in range(n)]  # per quantity: what was added since it was last summed

    def add(self, *args):
        if len(args) != len(self.data):  # zip would silently drop the extra values
            raise ValueError(f"Accumulator({len(self.data)}).add expects {len(self.data)} values, got {len(args)}")
        for kept, b in zip(self.data, args):
            kept.append(b.detach() if isinstance(b, torch.Tensor) else b)
        if len(kept) > 4096:  # a very long epoch: keep the memory bounded
            self.data = [[_total(kept)] for kept in self.data]

    def reset(self):
        self.data = [[] for _ in self.data]

    def __getitem__(self, idx):
        self.data[idx] = [_total(self.data[idx])]
        return float(self.data[idx][0])


def _total(values):
    """The sum of numbers and one-value tensors: the tensors stacked on the first one's device, summed in
    float64 (a tensor of more than one value fails in reshape: a running sum takes one number at a time)."""
    numbers = sum(v for v in values if not isinstance(v, torch.Tensor))
    tensors = [v for v in values if isinstance(v, torch.Tensor)]
    if not tensors:
        return numbers
    device = tensors[0].device
    return torch.stack([t.reshape(()).to(device) for t in tensors]).sum(dtype=_total_dtype(tensors[0])) + numbers


def _total_dtype(t):
    return torch.float32 if t.device.type == "mps" else torch.float64  # MPS has no float64


class Timer:
    """Record several running times (seconds, from time.perf_counter); starts at once, like the book's.

    On a GPU call torch.cuda.synchronize() before stop(): kernels run asynchronously.
    """

    def __init__(self):
        self.times = []
        self.start()

    def start(self):
        self.tik = time.perf_counter()

    def stop(self):
        """Record the time since start() and return it."""
        self.times.append(time.perf_counter() - self.tik)
        return self.times[-1]

    def avg(self):
        if not self.times:  # else ZeroDivisionError
            raise ValueError("Timer.avg(): no time recorded yet; call stop() at least once first")
        return sum(self.times) / len(self.times)

    def sum(self):
        return sum(self.times)

    def cumsum(self):
        return np.array(self.times).cumsum().tolist()


def set_seed(seed):
    """Seed Python's `random`, NumPy and torch (CPU and every GPU) with one int in [0, 2**32 - 1]."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
