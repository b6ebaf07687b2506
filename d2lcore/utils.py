"""Small tools: the book's Accumulator (lesson 04) and Timer (lesson 01), and set_seed (not the book's)."""
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
    A kept tensor is summed with the value it had when added: a parameter (which an optimizer
    changes in place) is copied when added, and a tensor changed in place after it was added
    (`+=`, `.add_`) makes summing it fail, saying so, rather than sum its new value: when read, or
    at the `add` that folds a very long epoch's values.
    """

    def __init__(self, n):
        self.data = [[] for _ in range(n)]  # per quantity: what was added since it was last summed
        self.versions = [[] for _ in range(n)]  # per quantity: (tensor, its in-place version when added)

    def add(self, *args):
        if len(args) != len(self.data):  # zip would silently drop the extra values
            raise ValueError(f"Accumulator({len(self.data)}).add expects {len(self.data)} values, got {len(args)}")
        for kept, versions, b in zip(self.data, self.versions, args):
            if isinstance(b, torch.Tensor):
                if b.requires_grad:  # no autograd graph kept alive; a parameter is copied: sgd updates it in place
                    b = b.detach().clone() if b.is_leaf else b.detach()
                if not b.is_inference():  # made under torch.inference_mode(): it keeps no version count
                    versions.append((b, b._version))
            kept.append(b)
        if max(len(kept) for kept in self.data) > 4096:  # a very long epoch: keep the memory bounded
            for i in range(len(self.data)):
                self._fold(i)

    def reset(self):
        self.data = [[] for _ in self.data]
        self.versions = [[] for _ in self.data]

    def __getstate__(self):
        """For copy.deepcopy and pickle: the totals, checked here (a copied tensor starts a new version count,
        so the kept counts would no longer apply to it)."""
        for i in range(len(self.data)):
            self._fold(i)
        return {"data": self.data, "versions": [[] for _ in self.data]}

    def __getitem__(self, idx):
        self._fold(idx)
        return float(self.data[idx][0])

    def _fold(self, idx):
        """Replace quantity idx's kept values by their total, once none was changed since it was added."""
        for t, version in self.versions[idx]:
            if t._version != version:
                raise ValueError(f"Accumulator: a tensor added to quantity {idx} was changed in place after add() "
                                 f"(+=, .add_, an optimizer's step), so its value when added is gone; add a copy "
                                 f"(x.clone(), or float(x) as the book does) or a new tensor (x = x + 1)")
        self.data[idx] = [_total(self.data[idx])]
        self.versions[idx] = []


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
