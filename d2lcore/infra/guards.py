"""Guards for the mistakes that would otherwise be silent, or get a misleading error from torch.

d2lcore does not validate input in general: a wrong type or a bad number gets torch's or
Python's own error. It guards only what would go wrong *quietly* (README, "Guarded mistakes";
each guard has its test in tests/test_guards.py):

- labels that are not int64 class indices (uint8 labels index as a boolean mask), of shape
  (n, 1) (they pick an (n, n) table), or out of range (-1 picks the last class);
- predictions of the wrong shape for `accuracy` (one float column against integer labels would be
  truncated to class numbers; (n, 1) labels broadcast against (n,) predictions);
- a loss that returns one number without saying whether it is a mean or a sum;
- an optimizer that holds none of the model's parameters (training would change nothing);
- a non-finite training loss (everything after it is nan);
- device='meta' for `train`, which would erase the model's weights.
"""
import math

import torch


def describe(x):
    """A short description of a value for error messages: shape, dtype and device for tensors."""
    if isinstance(x, torch.Tensor):
        return f"tensor of shape {tuple(x.shape)}, dtype {x.dtype}, on {x.device}"
    return f"{type(x).__name__} {x!r}"


def guard_labels(scores, y):
    """y must be int64 (n,) class indices in [0, q) for scores (n, q); the range only on the CPU
    (on a GPU reading y would make every step wait; torch's own index check fires there)."""
    if y.dtype != torch.int64:
        raise TypeError(f"labels y must be int64 class indices, got {describe(y)}; convert them with y.long()")
    if y.shape != scores.shape[:1]:
        raise ValueError(f"labels y must have shape (n,) = ({len(scores)},), one class per row of the scores "
                         f"{tuple(scores.shape)}; got {describe(y)} (flatten (n, 1) labels with y.reshape(-1))")
    if y.device.type == "cpu" and len(y) and not 0 <= int(y.min()) <= int(y.max()) < scores.shape[1]:
        raise ValueError(f"labels must be in [0, {scores.shape[1]}) for {scores.shape[1]} classes, "
                         f"got values from {int(y.min())} to {int(y.max())}")


def guard_predictions(y_hat, y):
    """After the argmax, y_hat must be class predictions of y's shape. A float column against
    integer labels would be truncated to class numbers (the book's regression cells compare
    float (n, 1) predictions with float (n, 1) targets: no truncation, so no error)."""
    if y_hat.dim() > 1 and y_hat.is_floating_point() and not y.is_floating_point():
        raise ValueError(f"accuracy needs scores (n, q) with q >= 2 classes, or class predictions (n,); "
                         f"got float {describe(y_hat)}: one column of scores names no class (for a binary "
                         f"classifier compare (y_hat > 0).long() with y)")
    if y_hat.shape != y.shape:
        raise ValueError(f"predictions {tuple(y_hat.shape)} and labels y {tuple(y.shape)} must have the same shape; "
                         f"they would broadcast into a table of pairs")


def reduce_loss(loss, l, n):
    """(mean, sum) of the minibatch loss `l` = loss(y_hat, y) over its n examples.

    A per-example loss (n values: the book's convention, and reduction='none') is reduced here.
    A loss that returns one number must say what it is: an nn loss module's `.reduction`
    ('mean' or 'sum'). A lambda or functools.partial that sums cannot be told from one that
    averages, and guessing wrong scales the reported loss and a from-scratch step by n.
    """
    if l.dim() > 0:
        if l.numel() != n:
            raise ValueError(f"the loss must return one value per example ({n}) or one number, got {describe(l)}; "
                             f"check that y_hat and y have matching shapes ((n,) vs (n, 1) broadcast to (n, n))")
        return l.mean(), l.sum()
    reduction = getattr(loss, "reduction", None)
    if reduction == "mean":
        return l, l * n
    if reduction == "sum":
        return l / n, l
    raise ValueError("the loss returned one number for the whole minibatch and does not say whether it is a mean "
                     "or a sum; return per-example losses (reduction='none', as the book's losses do) or pass an "
                     "nn loss module such as nn.CrossEntropyLoss(), whose .reduction says")


def guard_optimizer_matches(updater, net):
    """An optimizer built over another model's parameters would train nothing, silently."""
    if isinstance(updater, torch.optim.Optimizer) and isinstance(net, torch.nn.Module):
        held = {id(p) for group in updater.param_groups for p in group["params"]}
        if not any(id(p) in held for p in net.parameters()):
            raise ValueError("the optimizer holds none of the model's parameters, so training would change "
                             "nothing; build it from this model: torch.optim.SGD(net.parameters(), lr=...)")


def guard_train_device(device):
    device = torch.device(device)
    if device.type == "meta":
        raise ValueError("device='meta' holds no values: moving the model there would erase its weights")
    return device


class NonFiniteLossError(FloatingPointError):
    """The training loss became nan or inf."""


class FiniteGuard:
    """Notice a non-finite loss at once, without making the GPU wait at every step.

    On the CPU reading the loss costs nothing, so each step is checked before its update.
    On other devices the index of the first bad step is kept on the device; on CUDA it is
    copied to the host asynchronously and looked at as soon as the copy has landed (a step
    or two later); `finish()` at the epoch's end checks it exactly.
    """

    def __init__(self, epoch, batches):
        self.epoch, self.num_steps = epoch, len(batches) if hasattr(batches, "__len__") else None
        self.first_bad = self.host = self.event = None

    def check(self, l_sum, step):
        l_sum = l_sum.detach()
        if l_sum.device.type == "cpu":
            if not math.isfinite(l_sum.item()):
                self._raise(step)
            return
        if self.first_bad is None:
            self.first_bad = torch.full((), -1, dtype=torch.long, device=l_sum.device)
        self.first_bad = torch.where(~torch.isfinite(l_sum) & (self.first_bad < 0), step, self.first_bad)
        if l_sum.device.type == "cuda":
            if self.event is not None and self.event.query():
                if int(self.host) >= 0:
                    self._raise(int(self.host))
                self.event = None
            if self.event is None:
                if self.host is None:
                    self.host = torch.empty((), dtype=torch.long, pin_memory=True)
                self.host.copy_(self.first_bad, non_blocking=True)
                self.event = torch.cuda.Event()
                self.event.record()

    def finish(self):
        if self.first_bad is not None and int(self.first_bad) >= 0:
            self._raise(int(self.first_bad))

    def _raise(self, step):
        of = f" of {self.num_steps}" if self.num_steps else ""
        raise NonFiniteLossError(
            f"the training loss is not finite (nan or inf) at epoch {self.epoch}, step {step}{of}; "
            f"training stopped. Likely causes: the learning rate is too large (try it 10x smaller), "
            f"or softmax/log is numerically unstable (exp overflowed, or log got 0): compute the loss "
            f"from logits with nn.CrossEntropyLoss instead of log(softmax(o)) (lesson 07).")
