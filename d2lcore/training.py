"""Training a classifier: the book's `train_ch3` (which `d2l` 1.0.3 no longer has), device-friendly.

The book's loop calls `float(l.sum())` and `float(accuracy(...))` at every step. On a GPU each
of those makes the host wait until the device has finished the step, so the GPU idles between
steps. Here the running sums stay on the device (`Accumulator` keeps tensors) and are read
once per epoch.
"""
import math

import torch
from torch import nn

from ._checks import check_callable, check_device, check_number, check_positive_int, iter_pairs
from .accumulator import Accumulator
from .animator import Animator
from .session import interactive
from .devices import explain_device_errors, try_gpu
from .metrics import accuracy, evaluate_accuracy, forward_hint, model_device


class NonFiniteLossError(FloatingPointError):
    """The training loss became nan or inf."""


def _progress_wanted(progress):
    """Progress bars only when a person watches: a bar's rate and ETA are never stable output."""
    if progress is not None:
        return bool(progress)
    return interactive()


class _FiniteGuard:
    """Notice a non-finite loss at once, without making the GPU wait at every step.

    On the CPU reading the loss costs nothing, so each step is checked before its update.
    On other devices the index of the first bad step is kept on the device; on CUDA it is
    copied to the host asynchronously and looked at as soon as the copy has landed (a step
    or two later); every epoch's end checks it exactly.
    """

    def __init__(self, device, epoch, num_steps):
        self.epoch, self.num_steps = epoch, num_steps
        self.on_device = device.type != "cpu"
        if self.on_device:
            self.first_bad = torch.full((), -1, dtype=torch.long, device=device)
            self.cuda = device.type == "cuda"
            if self.cuda:
                self.host = torch.empty((), dtype=torch.long, pin_memory=True)
                self.event = None

    def check(self, l_sum, step):
        if not self.on_device:
            if not math.isfinite(l_sum.item()):
                self._raise(step)
            return
        self.first_bad = torch.where(~torch.isfinite(l_sum) & (self.first_bad < 0), step, self.first_bad)
        if self.cuda:
            if self.event is not None and self.event.query():
                if int(self.host) >= 0:
                    self._raise(int(self.host))
                self.event = None
            if self.event is None:
                self.host.copy_(self.first_bad, non_blocking=True)
                self.event = torch.cuda.Event()
                self.event.record()

    def finish(self):
        if self.on_device and int(self.first_bad) >= 0:
            self._raise(int(self.first_bad))

    def _raise(self, step):
        of = f" of {self.num_steps}" if self.num_steps else ""
        raise NonFiniteLossError(
            f"the training loss is not finite (nan or inf) at epoch {self.epoch}, step {step}{of}; "
            f"training stopped. Likely causes: the learning rate is too large (try it 10x smaller), "
            f"or softmax/log is numerically unstable (exp overflowed, or log got 0): compute the loss "
            f"from logits with nn.CrossEntropyLoss instead of log(softmax(o)) (lesson 07).")


def _summed_loss(loss, l, n):
    """The minibatch's total loss, whatever the loss's reduction."""
    if l.dim() > 0:
        return l.sum()
    return l if getattr(loss, "reduction", "mean") == "sum" else l * n


def _clip_params(net, updater):
    if isinstance(updater, torch.optim.Optimizer):
        return [p for g in updater.param_groups for p in g["params"]]
    if isinstance(net, nn.Module):
        return list(net.parameters())
    raise ValueError("clip_grad_norm needs the parameters: pass an nn.Module net or a torch.optim "
                     "optimizer (a from-scratch updater can clip its own gradients)")


def train_epoch(net, train_iter, loss, updater, device=None, *, epoch=1, progress=None,
                clip_grad_norm=None, scheduler=None):
    """Train `net` for one pass over `train_iter`; return (mean train loss, train accuracy).

    Args:
        net: an nn.Module (put in train mode) or a plain function X -> scores (n, q).
        train_iter: yields X, y (int64 (n,) labels): d2lcore's loader or a torch DataLoader.
        loss: loss(y_hat, y), reduced (a scalar, e.g. nn.CrossEntropyLoss()) or not
            (per-example, e.g. reduction='none' or the lesson's cross_entropy).
        updater: a torch.optim.Optimizer, or a from-scratch `updater(batch_size)` that
            updates the parameters from the gradient of the *summed* minibatch loss.
        device: batches are moved there (default: where the model's parameters are; for a
            plain function, where the data are). The model itself is not moved.
        epoch: the epoch number used in messages; progress: tqdm bar over batches (None: only
            when interactive).
        clip_grad_norm: if given, rescale the gradients so their global L2 norm is at most this
            (torch.nn.utils.clip_grad_norm_), after backward and before the update.
        scheduler: a torch.optim.lr_scheduler stepped after every batch (for per-step schedules
            such as warm-up); `train` steps per-epoch schedules itself.

    Raises NonFiniteLossError naming the epoch and step if the loss becomes nan or inf, and
    DeviceMismatchError saying which tensor is where if the model, the batch or the loss's own
    tensors are on different devices.
    """
    check_callable("net", net, "an nn.Module or a function X -> scores")
    check_callable("loss", loss, "a function or module loss(y_hat, y)")
    if not isinstance(updater, torch.optim.Optimizer):
        check_callable("updater", updater, "a torch.optim optimizer or a function updater(batch_size)")
    if isinstance(net, nn.Module):
        net.train()
    device = check_device("device", device) or model_device(net)
    metric = Accumulator(3)  # summed loss, correct predictions, examples
    try:
        num_steps = len(train_iter)
    except TypeError:
        num_steps = None
    batches = train_iter
    if _progress_wanted(progress):
        from tqdm.auto import tqdm
        batches = tqdm(train_iter, total=num_steps, desc=f"epoch {epoch}", leave=False)
    guard = None
    clip_params = None
    if clip_grad_norm is not None:
        clip_grad_norm = check_number("clip_grad_norm", clip_grad_norm, positive=True)
        clip_params = _clip_params(net, updater)
    for step, (X, y) in enumerate(iter_pairs(batches, "train_iter"), start=1):
        if device is not None:
            X, y = X.to(device, non_blocking=True), y.to(device, non_blocking=True)
        if guard is None:
            guard = _FiniteGuard(X.device, epoch, num_steps)
        with explain_device_errors("net(X)", lambda: forward_hint(net, X.device), X=X, net=net):
            y_hat = net(X)
        with explain_device_errors("loss(y_hat, y)", "Create the loss's own tensors (e.g. a class weight) on the "
                                   "model's device, or move the loss module with loss.to(device).",
                                   y_hat=y_hat, y=y, loss=loss):
            l = loss(y_hat, y)
        n = y.numel()
        l_sum = _summed_loss(loss, l, n)
        guard.check(l_sum.detach(), step)
        if isinstance(updater, torch.optim.Optimizer):
            updater.zero_grad()
            (l.mean() if l.dim() > 0 else l).backward()
            if clip_params is not None:
                torch.nn.utils.clip_grad_norm_(clip_params, clip_grad_norm)
            updater.step()
        else:
            l_sum.backward()
            if clip_params is not None:
                torch.nn.utils.clip_grad_norm_(clip_params, clip_grad_norm)
            updater(n)
        if scheduler is not None:
            scheduler.step()
        metric.add(l_sum.detach(), accuracy(y_hat.detach(), y), n)
    if guard is None:
        raise ValueError("train_iter yielded no batches")
    guard.finish()
    return metric[0] / metric[2], metric[1] / metric[2]


def train(net, train_iter, test_iter, loss, num_epochs, updater, device=None, *,
          animate=True, progress=None, clip_grad_norm=None, scheduler=None, scheduler_step="epoch"):
    """Train a classifier for `num_epochs`, evaluating on `test_iter` after every epoch.

    Same arguments as `train_epoch`. `device`: for an nn.Module, default `try_gpu()`, and the
    module is moved there (an optimizer built before keeps working: `.to` moves parameters in
    place); for a plain function net, batches go to `device` if given, else stay where they are.
    `animate`: draw train loss, train accuracy and test accuracy live with `Animator` (a single
    final figure when the notebook runs headless).

    `clip_grad_norm`: clip the global gradient norm to this value at every step.
    `scheduler`: a torch.optim.lr_scheduler, stepped once per epoch (`scheduler_step="epoch"`) or
    after every batch (`"batch"`, e.g. for linear warm-up measured in steps).

    Returns the history as data: {"epoch": [...], "train_loss": [...], "train_acc": [...],
    "test_acc": [...], "lr": [...]}, one float per epoch ("lr": the first parameter group's
    learning rate at the start of the epoch, when `updater` is an optimizer, else None). Interrupting (Ctrl-C, the stop button) keeps the
    model as trained so far and the figure as drawn.
    """
    num_epochs = check_positive_int("num_epochs", num_epochs)
    if scheduler_step not in ("epoch", "batch"):
        raise ValueError(f"scheduler_step must be 'epoch' or 'batch', got {scheduler_step!r}")
    device = check_device("device", device)
    if isinstance(net, nn.Module):
        device = device or try_gpu()
        net.to(device)
    animator = None
    if animate:
        animator = Animator(xlabel="epoch", xlim=[1, num_epochs],
                            legend=["train loss", "train acc", "test acc"])
    history = {"epoch": [], "train_loss": [], "train_acc": [], "test_acc": [], "lr": []}
    for epoch in range(1, num_epochs + 1):
        lr = updater.param_groups[0]["lr"] if isinstance(updater, torch.optim.Optimizer) else None
        train_loss, train_acc = train_epoch(
            net, train_iter, loss, updater, device, epoch=epoch, progress=progress,
            clip_grad_norm=clip_grad_norm, scheduler=scheduler if scheduler_step == "batch" else None)
        if scheduler is not None and scheduler_step == "epoch":
            scheduler.step()
        test_acc = evaluate_accuracy(net, test_iter, device)
        for k, v in zip(history, (epoch, train_loss, train_acc, test_acc, float(lr) if lr is not None else None)):
            history[k].append(v)
        if animator is not None:
            animator.add(epoch, (train_loss, train_acc, test_acc))
    return history


def predict(net, test_iter, n=6, device=None):
    """Show the first `n` images of `test_iter` titled with their true and predicted labels."""
    from .fashion_mnist import get_fashion_mnist_labels
    from .plotting import show_images
    n = check_positive_int("n", n)
    first = next(iter_pairs(test_iter, "test_iter"), None)
    if first is None:
        raise ValueError("test_iter yielded no batches: predict needs one batch of images")
    X, y = first
    if n > len(X):
        raise ValueError(f"n must be at most the batch size ({len(X)}), got {n}: predict shows images of one batch")
    device = check_device("device", device) or model_device(net)
    if device is not None:
        X, y = X.to(device), y.to(device)
    if isinstance(net, nn.Module):
        net.eval()
    with torch.no_grad(), explain_device_errors("net(X)", lambda: forward_hint(net, X.device), X=X, net=net):
        preds = net(X).argmax(dim=1)
    trues, guesses = get_fashion_mnist_labels(y[:n]), get_fashion_mnist_labels(preds[:n])
    titles = [f"{t}\n{p}" for t, p in zip(trues, guesses)]
    show_images(X[:n].reshape(n, *X.shape[-2:]), 1, n, titles=titles)
