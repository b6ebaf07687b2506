"""Small tools from the book's `d2l` package: Accumulator (lesson 04), Timer (lesson 01), set_seed."""
import random
import time

import numpy as np
import torch


class Accumulator:
    """Running sums of n quantities: `acc.add(loss_sum, num_correct, batch_size)`; `acc[i]` reads one.

    The book's version calls float() on every value. Here a 0-d tensor stays a tensor on its
    device, so adding it does not make the host wait for the GPU; reading `acc[i]` (typically
    once per epoch) is the one sync. Totals are float64, so many float32 batches lose no digits.
    """

    def __init__(self, n):
        self.data = [0.0] * n

    def add(self, *args):
        if len(args) != len(self.data):  # zip would silently drop the extra values
            raise ValueError(f"Accumulator({len(self.data)}).add expects {len(self.data)} values, got {len(args)}")
        self.data = [a + (b.detach().reshape(()).to(_total_dtype(b)) if isinstance(b, torch.Tensor) else b)
                     for a, b in zip(self.data, args)]

    def reset(self):
        self.data = [0.0] * len(self.data)

    def __getitem__(self, idx):
        return float(self.data[idx])


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
