"""Training a classifier (lesson 04): the book's `train_epoch_ch3` and `train_ch3`, device-friendly.

`d2l` 1.0.3 no longer ships `train_ch3`; lesson 04 writes the epoch loop and `train_epoch` is that
loop plus a few marked lines. The book's loop calls `float(l.sum())` and `float(accuracy(...))`
every step: on a GPU each makes the host wait until the step has finished. Here the running sums
stay on the device (`Accumulator` keeps tensors) and are read once per epoch.
"""
import torch
from torch import nn

from .animator import Animator
from .devices import try_gpu
from .infra.device_errors import explain_device_errors, model_device
from .infra.guards import (FiniteGuard, NonFiniteLossError, guard_clip_grad_norm, guard_optimizer_matches,
                           guard_scheduler_matches, guard_some_examples, guard_train_device, guard_trainable,
                           reduce_loss)
from .infra.session import one_progress_bar, progress_bar
from .metrics import accuracy, evaluate_accuracy
from .utils import Accumulator


def train_epoch(net, train_iter, loss, updater, device=None, *, epoch=1, progress=None,
                clip_grad_norm=None, scheduler=None):
    """Train `net` for one pass over `train_iter`; return (mean training loss, training accuracy).

    net: an nn.Module or a function X -> scores (n, q). train_iter yields X, y (int64 (n,)).
    loss(y_hat, y): per-example (the book's losses, reduction='none') or an nn loss module whose
        `.reduction` says 'mean' or 'sum'; a bare function returning one number is refused.
    updater: a torch.optim optimizer (stepped on the mean loss's gradient), or the book's
        `updater(batch_size)`, called after backward() of the *summed* loss.
    device: batches go there (default: where the model's parameters are); the model is not moved.
    epoch: for messages; progress: a tqdm bar (None: only when a person watches).
    clip_grad_norm: rescale the gradients to at most this global L2 norm before each update.
    scheduler: a torch.optim.lr_scheduler stepped after every batch.

    Raises NonFiniteLossError naming the step where the loss became nan or inf (and the data, when
    they hold the nan/inf), DeviceMismatchError saying which tensor is where when devices are mixed,
    and ValueError when train_iter yields nothing (a generator is read up by one epoch).
    """
    if isinstance(net, nn.Module):
        net.train()
    device = device or model_device(net)
    guard_optimizer_matches(updater, net)
    guard_scheduler_matches(scheduler, updater)
    guard_trainable(net)  # else torch's "element 0 of tensors does not require grad", at the first step
    guard_clip_grad_norm(clip_grad_norm)
    optimizer = isinstance(updater, torch.optim.Optimizer)
    metric = Accumulator(3)  # summed loss, correct predictions, examples
    finite = FiniteGuard(epoch, train_iter)  # nan/inf stops training, with no GPU wait per step
    # explain_device_errors says which tensor is on which device; the bar is closed even on an error
    with explain_device_errors(net, loss, device), progress_bar(train_iter, epoch, progress) as batches:
        for step, (X, y) in enumerate(batches, start=1):
            if device is not None:  # non_blocking: the copy overlaps the previous step's work
                X, y = X.to(device, non_blocking=True), y.to(device, non_blocking=True)
            y_hat = net(X)
            l_mean, l_sum = reduce_loss(loss, loss(y_hat, y), len(y))  # the reduction is stated, never guessed
            finite.check(l_sum, step, X, y)
            if optimizer:
                updater.zero_grad()
            # torch optimizers expect the mean's gradient; the book's updater(n) divides the sum's by n
            (l_mean if optimizer else l_sum).backward()
            if clip_grad_norm is not None:
                params = [p for g in updater.param_groups for p in g["params"]] if optimizer else net.parameters()
                nn.utils.clip_grad_norm_(params, clip_grad_norm)
            updater.step() if optimizer else updater(X.shape[0])
            if scheduler is not None:
                scheduler.step()
            metric.add(l_sum.detach(), accuracy(y_hat.detach(), y), y.numel())
    finite.finish()
    guard_some_examples(metric[2], train_iter, f"the training data (train_iter) in epoch {epoch}")
    return metric[0] / metric[2], metric[1] / metric[2]


def train(net, train_iter, test_iter, loss, num_epochs, updater, device=None, *,
          animate=True, ylim=None, progress=None, clip_grad_norm=None, scheduler=None, scheduler_step="epoch"):
    """Train a classifier for `num_epochs`, evaluating on `test_iter` after each (the book's train_ch3).

    Arguments as `train_epoch`. device: for an nn.Module, default `try_gpu()`, and the module is
    moved there (an optimizer built before keeps working: `.to` moves parameters in place); a
    plain function's batches go to `device` if given. animate: draw train loss, train accuracy
    and test accuracy live (`Animator`; one final figure when run headless), `ylim` its y range.
    scheduler: stepped once per epoch (scheduler_step="epoch") or after every batch ("batch"). A
    ReduceLROnPlateau is stepped once per epoch with a metric: the epoch's mean training loss
    (mode='min', its default) or, with mode='max', the held-out accuracy.

    test_iter: the held-out data evaluated after every epoch. Give it a validation set
    (`load_data_fashion_mnist(..., validation=10000)`) whenever the curves are used to choose
    something; its `.split` ("valid", "test"; a loader without one counts as "test") names the
    curve and the history key.

    Returns the history as data: {"epoch", "train_loss", "train_acc", "test_acc" (or "valid_acc"),
    "lr"}, one value per epoch ("lr": the first parameter group's at the epoch's start; None for a
    from-scratch updater). Interrupting (Ctrl-C, the stop button) keeps the model as trained so
    far and the figure as drawn, and the KeyboardInterrupt carries the finished epochs' history
    as `.history` (in a notebook's next cell: `sys.last_value.history`).
    """
    if scheduler_step not in ("epoch", "batch"):  # a typo would silently never step it
        raise ValueError(f"scheduler_step must be 'epoch' or 'batch', got {scheduler_step!r}")
    plateau = isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau)
    if plateau and scheduler_step == "batch":  # it needs a metric, and one batch's loss is noise
        raise ValueError("ReduceLROnPlateau is stepped once per epoch with a metric: use scheduler_step='epoch'")
    guard_clip_grad_norm(clip_grad_norm)  # before the figure is drawn
    guard_scheduler_matches(scheduler, updater)
    if isinstance(net, nn.Module):
        device = guard_train_device(device or try_gpu())  # refuses 'meta', which would erase the weights
        net.to(device)
    held_out = getattr(test_iter, "split", None) or "test"  # what the third curve measures, by name
    if held_out == "train":  # would be reported as held-out accuracy, and overwrite train_acc
        raise ValueError("test_iter is the training split; pass held-out data: the validation or the test split")
    animator = Animator(xlabel="epoch", xlim=[1, num_epochs], ylim=ylim,
                        legend=["train loss", "train acc", f"{held_out} acc"]) if animate else None
    history = {"epoch": [], "train_loss": [], "train_acc": [], f"{held_out}_acc": [], "lr": []}
    try:
        # one_progress_bar: the epochs' bars are one widget, kept between epochs (the figure stays put)
        with one_progress_bar():
            for epoch in range(1, num_epochs + 1):
                lr = float(updater.param_groups[0]["lr"]) if isinstance(updater, torch.optim.Optimizer) else None
                train_loss, train_acc = train_epoch(
                    net, train_iter, loss, updater, device, epoch=epoch, progress=progress,
                    clip_grad_norm=clip_grad_norm, scheduler=scheduler if scheduler_step == "batch" else None)
                test_acc = evaluate_accuracy(net, test_iter, device)
                if plateau:
                    scheduler.step(test_acc if scheduler.mode == "max" else train_loss)
                elif scheduler is not None and scheduler_step == "epoch":
                    scheduler.step()
                for key, v in zip(history, (epoch, train_loss, train_acc, test_acc, lr)):
                    history[key].append(v)
                if animator is not None:
                    animator.add(epoch, (train_loss, train_acc, test_acc))
    except KeyboardInterrupt as e:
        # the return value is lost with the interrupt; the finished epochs' numbers travel with it instead
        e.history = history
        e.add_note(f"d2l.train: the history of the epochs that finished ({len(history['epoch'])}) is the "
                   f"exception's .history (in a notebook's next cell: import sys; sys.last_value.history)")
        raise
    return history
