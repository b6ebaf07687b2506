"""Guards for the mistakes that would otherwise be silent, or get a misleading error from torch.

d2lcore does not validate input in general: a wrong type or a bad number gets torch's or
Python's own error. It guards only what would go wrong *quietly* (docs/guards.md;
each guard has its test in tests/test_guards.py):

- labels that are not int64 class indices (uint8 labels index as a boolean mask), of shape
  (n, 1) (they pick an (n, n) table), or out of range (-1 picks the last class);
- predictions of the wrong shape for `accuracy` (one float column against integer labels would be
  truncated to class numbers; (n, 1) labels broadcast against (n,) predictions);
- a loss that returns one number without saying whether it is a mean or a sum;
- an optimizer that holds none of the model's parameters (training would change nothing), and a
  scheduler built over another optimizer (its schedule would change nothing);
- a non-finite training loss (everything after it is nan), saying when the data hold the nan/inf;
  nan/inf inputs to `evaluate_accuracy` (their predictions are arbitrary);
- device='meta' for `train`, which would erase the model's weights;
- an empty loader, or a generator read up in an earlier epoch (a mean over no examples);
- counts that are not positive ints (batch_size, layer sizes), clip_grad_norm <= 0 (no step, or
  gradient ascent), a model with nothing to train, arrays that are not tensors.
"""
import copy
import math
import numbers
import operator

import torch


def describe(x):
    """A short description of a value for error messages: shape, dtype and device for tensors."""
    if isinstance(x, torch.Tensor):
        return f"tensor of shape {tuple(x.shape)}, dtype {x.dtype}, on {x.device}"
    if hasattr(x, "shape") and hasattr(x, "dtype"):  # a NumPy array: its repr could be pages long
        return f"{type(x).__module__.split('.')[0]}.{type(x).__name__} of shape {tuple(x.shape)}, dtype {x.dtype}"
    return f"{type(x).__name__} {x!r}"


def guard_labels(scores, y):
    """y must be int64 (n,) class indices in [0, q) for scores (n, q); the range only on the CPU
    (on a GPU reading y would make every step wait; there CUDA's index assert fires for q, while
    -1 wraps to the last class, as Python's indexing does)."""
    if y.dtype != torch.int64:
        raise TypeError(f"labels y must be int64 class indices, got {describe(y)}; convert them with y.long()")
    if y.shape != scores.shape[:1]:
        raise ValueError(f"labels y must have shape (n,) = ({len(scores)},), one class per row of the scores "
                         f"{tuple(scores.shape)}; got {describe(y)} (flatten (n, 1) labels with y.reshape(-1))")
    if y.device.type == "cpu" and len(y) and not 0 <= int(y.min()) <= int(y.max()) < scores.shape[1]:
        raise ValueError(f"labels must be in [0, {scores.shape[1]}) for {scores.shape[1]} classes, "
                         f"got values from {int(y.min())} to {int(y.max())}")


def guard_predictions(y_hat, y):
    """After the argmax, y_hat must be class predictions of y's shape. A float column, or (on the
    CPU) floats (n,) that are not whole numbers, against integer labels would be truncated to class
    numbers (the book's regression cells compare float (n, 1) predictions with float (n, 1)
    targets: no truncation, so no error)."""
    if y_hat.dim() > 1 and y_hat.is_floating_point() and not y.is_floating_point():
        raise ValueError(f"accuracy needs scores (n, q) with q >= 2 classes, or class predictions (n,); "
                         f"got float {describe(y_hat)}: one column of scores names no class (for a binary "
                         f"classifier compare (y_hat > 0).long() with y)")
    if y_hat.shape != y.shape:
        raise ValueError(f"predictions {tuple(y_hat.shape)} and labels y {tuple(y.shape)} must have the same shape; "
                         f"they would broadcast into a table of pairs")
    # float class numbers (1., 0., 2.) are predictions; other floats are scores squeezed to (n,), which the
    # comparison would truncate. Read on the CPU only (on a GPU it would make every step wait)
    if (y_hat.dim() == 1 and y_hat.is_floating_point() and not y.is_floating_point() and y_hat.device.type == "cpu"
            and not torch.equal(y_hat, y_hat.round())):
        raise ValueError(f"accuracy got float predictions (n,) that are not class numbers, e.g. "
                         f"{float(y_hat[y_hat != y_hat.round()][0]):g}: scores squeezed to (n,)? For a binary "
                         f"classifier compare (y_hat > 0).long() with y; else pass the (n, q) scores")


def summed_loss(loss):
    """`loss` as lesson 04's loop uses it: `l = loss(y_hat, y)`, then `l.sum()` is the batch's summed loss.

    A per-example loss (n values: the book's convention, and reduction='none') is used as it is,
    checked to give n values. A loss module that averages (reduction='mean', the default) is used
    with reduction='sum' (a shallow copy): the sum of the per-example losses the book's own
    `reduction='none'` would give, so a torch optimizer's step, which divides by the batch size
    (`as_updater`), is the module's mean wherever the mean is over the examples (no class weights).
    A loss that returns one number must say what it is: a lambda or functools.partial that sums
    cannot be told from one that averages, and guessing wrong scales the loss and every step by n.
    """
    reduction = getattr(loss, "reduction", None)
    if isinstance(loss, torch.nn.Module) and reduction in ("mean", "sum"):
        if reduction == "mean":
            loss = copy.copy(loss)  # the caller's module keeps its reduction
            loss.reduction = "sum"
        return loss

    def per_example(y_hat, y):
        l = loss(y_hat, y)
        if l.dim() == 0 and reduction != "sum":
            raise ValueError("the loss returned one number for the whole minibatch and does not say whether it is a "
                             "mean or a sum; return per-example losses (reduction='none', as the book's losses do) or "
                             "pass an nn loss module such as nn.CrossEntropyLoss(), whose .reduction says")
        if l.dim() > 0 and l.numel() != len(y):
            raise ValueError(f"the loss must return one value per example ({len(y)}) or one number, got {describe(l)}; "
                             f"check that y_hat and y have matching shapes ((n,) vs (n, 1) broadcast to (n, n))")
        return l

    return per_example


def guard_optimizer_matches(updater, net):
    """An optimizer built over another model's parameters would train nothing, silently."""
    if isinstance(updater, torch.optim.Optimizer) and isinstance(net, torch.nn.Module):
        held = {id(p) for group in updater.param_groups for p in group["params"]}
        if not any(id(p) in held for p in net.parameters()):
            raise ValueError("the optimizer holds none of the model's parameters, so training would change "
                             "nothing; build it from this model: torch.optim.SGD(net.parameters(), lr=...)")


def guard_scheduler_matches(scheduler, optimizer):
    """A learning-rate scheduler sets the rates of the optimizer it was built over. Over another one
    (one of two cells re-run, which rebuilt the optimizer) it would change nothing, silently: the
    run would look like one with that schedule."""
    built_over = getattr(scheduler, "optimizer", None)  # torch's schedulers; anything else is not checked
    if built_over is not None and built_over is not optimizer:
        raise ValueError("the scheduler was built over another optimizer than the one passed, so it would change "
                         "no learning rate of this training; build it from that optimizer "
                         "(torch.optim.lr_scheduler.StepLR(opt, ...)), re-running both cells together")


def guard_train_device(device):
    device = torch.device(device)
    if device.type == "meta":
        raise ValueError("device='meta' holds no values: moving the model there would erase its weights")
    return device


def as_int(value):
    """`value` as a Python int if it is an integer (NumPy and 0-d tensor ints too), else None:
    a float such as 256.0 fails later in range(), and a bool is no count (True would mean 1)."""
    try:
        return None if isinstance(value, bool) else operator.index(value)
    except TypeError:
        return None


def guard_count(name, value, what, minimum=1):
    """`value` as a Python int >= minimum (see `as_int`); `what` says what it counts."""
    n = as_int(value)
    if n is None or n < minimum:
        raise (TypeError if n is None else ValueError)(
            f"{name} must be an int >= {minimum} ({what}), got {describe(value)}")
    return n


def guard_tensors(name, arrays):
    """`load_array`'s tuple of tensors: one tensor would be split into its rows, and a NumPy array
    fails deep inside TensorDataset. Converting silently would make float64 tensors that clash with
    a model's float32 weights, so say how to convert instead."""
    if isinstance(arrays, torch.Tensor) or not isinstance(arrays, (tuple, list)):
        raise TypeError(f"{name} must be a tuple of tensors sharing their first dimension, e.g. (features, labels); "
                        f"got {describe(arrays)}; for one tensor pass (features,)")
    for i, a in enumerate(arrays):
        guard_tensor(f"{name}[{i}]", a)


def guard_tensor(name, a):
    if not isinstance(a, torch.Tensor):
        raise TypeError(f"{name} must be a torch tensor, got {describe(a)}; convert a NumPy array with "
                        f"torch.tensor(a, dtype=torch.float32) (labels: dtype=torch.long): NumPy's float64 "
                        f"would not match a model's float32 weights")


def guard_some_examples(count, batches, what):
    """A pass over no examples would end in ZeroDivisionError ("float division by zero") where the
    mean is taken. The usual cause: a generator or iter(loader), used up by an earlier epoch."""
    if count:
        return
    if hasattr(batches, "__next__"):
        why = ("it is an iterator (a generator, or iter(loader)), which can be read only once: pass the loader "
               "itself, not iter(loader), so that every pass starts anew")
    else:
        size = f" ({len(batches)} batches)" if hasattr(batches, "__len__") else ""
        why = f"it is empty{size}: check its dataset, and that batch_size is not above its size with drop_last=True"
    raise ValueError(f"{what} yielded no examples; {why}")


def guard_clip_grad_norm(max_norm):
    """clip_grad_norm=0 scales every gradient to 0 (nothing trains, silently); a negative one flips
    them (gradient ascent); nan makes every weight nan."""
    if max_norm is None:
        return
    number = isinstance(max_norm, (numbers.Real, torch.Tensor)) and not isinstance(max_norm, bool)
    value = float(max_norm) if number else math.nan
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"clip_grad_norm must be a positive number, the largest global L2 norm of the gradients "
                         f"(e.g. 1.0), or None for no clipping; got {describe(max_norm)}: 0 would scale every "
                         f"gradient to 0 (nothing trains), a negative value would turn every step uphill")


def guard_trainable(net):
    """A model whose parameters are all frozen, or training under torch.no_grad(), gets torch's
    "element 0 of tensors does not require grad", which names neither."""
    if not torch.is_grad_enabled():
        raise RuntimeError("gradients are switched off here (inside torch.no_grad() or torch.inference_mode(), or "
                           "after torch.set_grad_enabled(False)), so backward() cannot train: train outside that block")
    if isinstance(net, torch.nn.Module):
        params = list(net.parameters())
        if not any(p.requires_grad for p in params):
            raise ValueError(f"no parameter of the model requires grad ({len(params)} parameters, all frozen with "
                             f"requires_grad=False), so there is nothing to train; unfreeze the ones to train: "
                             f"for p in net.parameters(): p.requires_grad_(True)" if params else
                             "the model has no parameters, so there is nothing to train (an empty nn.Sequential?)")


def input_checksum(X):
    """The sum of X's values, a 0-d tensor on X's device: nan or inf when X holds a nan or an inf
    (they survive the sum). One vectorised reduction and no host sync per batch (isfinite().all()
    costs 50x more on a CPU): keep the sums, test their total once. Half-precision batches are
    summed in float32, whose range finite pixels cannot overflow; float32 inputs would need values
    near 1e33 to overflow it, far beyond any data a model can use."""
    if not (isinstance(X, torch.Tensor) and X.is_floating_point()):
        return torch.zeros((), device=getattr(X, "device", None))  # integers are finite
    return X.sum(dtype=torch.float32) if X.element_size() < 4 else X.sum()


def guard_finite_inputs(checksums):
    """evaluate_accuracy over inputs that hold nan/inf: their predictions are arbitrary (the argmax of
    nan scores), so the accuracy would mean nothing. Refused rather than warned about: a warning is shown
    once per place in the code and would be gone by the next evaluation."""
    if checksums and not math.isfinite(float(torch.stack(checksums).sum())):
        raise ValueError("evaluate_accuracy: the inputs X contain nan or inf, so the predictions for them are "
                         "arbitrary and no accuracy is reported; the rows where torch.isfinite(X).reshape(len(X), -1)"
                         ".all(1) is False hold them: drop or fix those examples")


class NonFiniteLossError(FloatingPointError):
    """The training loss became nan or inf."""


class FiniteGuard:
    """Notice a non-finite loss soon, without making the GPU wait at any step.

    `check(l, X, y)` is called once per step with the step's loss (per-example or summed). On the
    CPU reading the loss costs nothing, so each step is checked before its update. On other devices
    the losses are kept (references, no work) and every `every` steps one flag says whether the
    last ones were all finite: on CUDA it is copied to the host asynchronously and looked at once
    it has landed (the steps after it go on meanwhile), elsewhere read at once. `finish()` at the
    epoch's end checks the rest. A few kernels per `every` steps; only a failure looks further,
    for the first bad step.

    Only once the loss is non-finite are the data looked at (so the check costs nothing before):
    the failing batch when it is at hand (the CPU), else the loader's stored tensors. nan/inf in
    the data is then named as the cause instead of the learning rate.
    """

    at_once = None  # None: check each step at once on the CPU only; False: batch the checks anywhere (tests)

    def __init__(self, epoch, batches, every=16):
        self.epoch, self.num_steps = epoch, len(batches) if hasattr(batches, "__len__") else None
        self.batches, self.every = batches, every
        self.step = 0
        self.pending = []  # the losses of the steps not yet looked at
        self.in_flight = None  # (first step, its losses, host flag, event) of the CUDA check under way
        self.host = None  # pinned memory the flag is copied into

    def check(self, l, X=None, y=None):
        self.step += 1
        l = l.detach()
        if l.device.type == "cpu" if self.at_once is None else self.at_once:
            if not math.isfinite((l.sum() if l.dim() else l).item()):
                self._raise(self.step, [("inputs X", X), ("labels y", y)])
            return
        self.pending.append(l)
        if l.device.type == "cuda" and self.in_flight is not None and self.in_flight[3].query():
            self._landed()
        if len(self.pending) >= self.every and self.in_flight is None:
            first, losses = self.step - len(self.pending) + 1, self.pending
            self.pending = []
            flag = torch.isfinite(torch.cat([t.reshape(-1) for t in losses])).all()
            if l.device.type != "cuda":
                self._look(first, losses, flag)
                return
            if self.host is None:
                self.host = torch.empty((), dtype=torch.bool, pin_memory=True)
            self.host.copy_(flag, non_blocking=True)
            event = torch.cuda.Event()
            event.record()
            self.in_flight = (first, losses, self.host, event)

    def finish(self):
        if self.in_flight is not None:
            self.in_flight[3].synchronize()
            self._landed()
        if self.pending:
            losses, self.pending = self.pending, []
            self._look(self.step - len(losses) + 1, losses, torch.isfinite(torch.cat([t.reshape(-1) for t in losses])).all())

    def _landed(self):
        first, losses, host, _ = self.in_flight
        self.in_flight = None
        self._look(first, losses, host)

    def _look(self, first, losses, flag):
        if not bool(flag):  # the first bad one, read step by step: this happens once
            self._raise(next(first + i for i, t in enumerate(losses) if not bool(torch.isfinite(t).all())))

    def _raise(self, step, batch=None):
        of = f" of {self.num_steps}" if self.num_steps else ""
        where = (f"the training loss is not finite (nan or inf) at epoch {self.epoch}, step {step}{of}; "
                 f"training stopped.")
        # the batch is at hand on the CPU; on a GPU it is gone by the time the loss is read: the stored data
        whose, tensors = ("The batch's", batch) if batch is not None else ("The training data's", _stored(self.batches))
        bad = [f"{name} ({n} of {t.numel()} values)" for name, t in tensors or [] if (n := _nonfinite(t))]
        if bad:
            raise NonFiniteLossError(
                f"{where} {whose} {' and '.join(bad)} are nan or inf: the data, not the learning rate, are the cause. "
                f"The rows where torch.isfinite(X).reshape(len(X), -1).all(1) is False hold them (for X, and for "
                f"float labels): drop or fix those examples.")
        unchecked = "" if tensors is not None else (
            " If the data may hold nan or inf, check them too: on this device the failing batch is gone before "
            "its loss is read.")
        raise NonFiniteLossError(
            f"{where} Likely causes: the learning rate is too large (try it 10x smaller), "
            f"or softmax/log is numerically unstable (exp overflowed, or log got 0): compute the loss "
            f"from logits with nn.CrossEntropyLoss instead of log(softmax(o)) (lesson 07).{unchecked}")


def _nonfinite(t):
    """How many values of a float tensor are nan or inf (0 for anything else)."""
    return int((~torch.isfinite(t)).sum()) if isinstance(t, torch.Tensor) and t.is_floating_point() else 0


def _stored(batches):
    """(name, tensor) pairs of the data a loader cuts its batches from, when it keeps them whole
    (a TensorLoader, a DataLoader over a TensorDataset); None when it does not."""
    if isinstance(getattr(batches, "images", None), torch.Tensor):
        return [("images", batches.images), ("labels", batches.labels)]
    tensors = getattr(getattr(batches, "dataset", None), "tensors", None)
    if isinstance(tensors, tuple):
        return [(f"dataset.tensors[{i}]", t) for i, t in enumerate(tensors)]
    return None
