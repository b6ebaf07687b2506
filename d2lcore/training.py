"""Training a classifier (lesson 04): the book's `train_epoch_ch3` and `train_ch3`, device-friendly.

`d2l` 1.0.3 no longer ships `train_ch3`. `train_epoch` is lesson 04's loop, line for line
(tests/test_lesson_code.py holds it to the lesson), plus the lines marked `# +`. The loop has one
shape, the book's from-scratch one: backward() of the summed loss, then `updater(batch_size)`. A
torch optimizer is brought to that shape once (`as_updater`), and so is a loss module that
averages. The book's loop calls `float(l.sum())` and `float(accuracy(...))` every step: on a GPU
each makes the host wait until the step has finished. Here the running sums stay on the device
(`Accumulator` keeps them) and are read once per epoch.
"""
import torch
from torch import nn

from .animator import Animator
from .devices import to_device, try_gpu
from .infra.device_errors import explain_device_errors, model_device
from .infra.guards import (FiniteGuard, NonFiniteLossError, guard_clip_grad_norm, guard_optimizer_matches,
                           guard_scheduler_matches, guard_some_examples, guard_train_device, guard_trainable,
                           summed_loss)
from .infra.session import one_progress_bar, progress_bar
from .metrics import accuracy, evaluate_accuracy
from .utils import Accumulator


def as_updater(updater, *, clip_grad_norm=None, scheduler=None):
    """A torch optimizer as the book's `updater(batch_size)`: the one shape lesson 04's loop steps.

    The loop calls backward() on the *summed* loss, then `updater(batch_size)`, as the book's
    from-scratch `sgd` expects. A torch optimizer expects the *mean*'s gradient, so the returned
    updater divides the gradients by batch_size (one foreach call), then rescales them to a global
    L2 norm of at most `clip_grad_norm` if given (lesson 13), steps the optimizer, sets the
    gradients to None (as `sgd` zeroes them), and steps `scheduler` (a torch lr_scheduler built over
    this optimizer) once per batch. Gradients left by earlier cells are cleared here, once.

    `d2l.train` and `train_epoch` adapt the updater they are given; call this yourself only for
    clipping or a schedule: `d2l.train(..., d2l.as_updater(opt, clip_grad_norm=1.0))`. A schedule
    in epochs is counted in batches (`StepLR(opt, step_size=k * len(train_iter))`); one that reads a
    metric (ReduceLROnPlateau) belongs in your own epoch loop around `train_epoch` (lesson 11's).
    A from-scratch updater (any other function of batch_size) is returned unchanged; it clips in
    its own code. The result keeps the optimizer as `.optimizer`.
    """
    if not isinstance(updater, torch.optim.Optimizer):
        if not callable(updater):
            raise TypeError(f"updater must be a torch.optim optimizer or a function updater(batch_size), "
                            f"got {type(updater).__name__}")
        if clip_grad_norm is not None or scheduler is not None:
            raise TypeError("as_updater clips and schedules a torch.optim optimizer's steps; a from-scratch "
                            "updater(batch_size) clips in its own code, and has no learning rate a scheduler could set")
        return updater
    guard_clip_grad_norm(clip_grad_norm)
    guard_scheduler_matches(scheduler, updater)
    if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):  # else torch: "missing 'metrics'"
        raise ValueError("ReduceLROnPlateau is stepped once per epoch with a metric (a validation accuracy or "
                         "loss): step it in your own epoch loop around train_epoch and evaluate_accuracy (lesson 11)")
    optimizer = updater
    params = [p for group in optimizer.param_groups for p in group["params"]]
    optimizer.zero_grad()

    def step(batch_size):
        grads = [p.grad for p in params if p.grad is not None]
        if grads:
            torch._foreach_div_(grads, batch_size)  # the summed loss's gradient -> the mean's: one call
        if clip_grad_norm is not None:
            nn.utils.clip_grad_norm_(params, clip_grad_norm)
        optimizer.step()
        optimizer.zero_grad()
        if scheduler is not None:
            scheduler.step()

    step.optimizer = optimizer
    return step


def train_epoch(net, train_iter, loss, updater, device=None, *, epoch=1):
    """Train `net` for one pass over `train_iter`; return (mean training loss, training accuracy) (lesson 04).

    net: an nn.Module or a function X -> scores (n, q). train_iter yields X, y (int64 (n,)).
    loss(y_hat, y): per-example (the book's losses, reduction='none') or an nn loss module whose
        `.reduction` says 'mean' or 'sum'; a bare function returning one number is refused.
    updater: the book's `updater(batch_size)`, called after backward() of the summed loss, or a
        torch.optim optimizer (adapted by `as_updater`, which also clips and schedules).
    device: batches go there (d2l.train passes the one it chose); default: where the model's
        parameters are (a plain function's batches stay where they are).
    epoch: for messages. A progress bar is shown when a person watches.

    Raises NonFiniteLossError naming the step where the loss became nan or inf (and the data, when
    they hold the nan/inf), DeviceMismatchError saying which tensor is where when devices are mixed,
    and ValueError when train_iter yields nothing (a generator is read up by one epoch).
    """
    if isinstance(net, nn.Module):  # +
        net.train()  # +
    device = device or model_device(net)  # + d2l.train passes its device; called alone: the model's
    guard_trainable(net)  # + else torch's "element 0 of tensors does not require grad", at the first step
    updater = as_updater(updater)  # + one shape for the loop: updater(batch_size) after the summed loss
    guard_optimizer_matches(getattr(updater, "optimizer", None), net)  # +
    metric = Accumulator(3)  # summed loss, correct predictions, examples
    finite = FiniteGuard(epoch, train_iter)  # + nan/inf stops training, with no GPU wait per step
    loader = train_iter  # + the name is the progress bar's below, as in the lesson
    # + explain_device_errors says which tensor is on which device; the bar is closed even on an error
    with explain_device_errors(net, loss, device), progress_bar(loader, epoch) as train_iter:
        loss = summed_loss(loss)  # + l.sum() is the batch's summed loss whatever the loss's reduction
        for X, y in train_iter:
            if device is not None:  # + to a GPU without waiting: the copy overlaps the previous step's work
                X, y = to_device(X, y, device)  # +
            y_hat = net(X)
            l = loss(y_hat, y)
            finite.check(l, X, y)  # +
            l.sum().backward()
            updater(X.shape[0])
            metric.add(l.sum().detach(), accuracy(y_hat.detach(), y), y.numel())
    finite.finish()  # +
    guard_some_examples(metric[2], loader, f"the training data (train_iter) in epoch {epoch}")  # +
    return metric[0] / metric[2], metric[1] / metric[2]


def train(net, train_iter, test_iter, loss, num_epochs, updater, device=None, *, animate=True):
    """Train a classifier for `num_epochs`, evaluating on `test_iter` after each (the book's train_ch3).

    Arguments as `train_epoch`; the updater is adapted once (`as_updater`: pass its result for
    gradient clipping or a learning-rate schedule). device: decided here, once: for an
    nn.Module, default `try_gpu()`, and the module is moved there (an optimizer built before keeps
    working: `.to` moves parameters in place); a plain function's batches go to `device` if given.
    animate: draw train loss, train accuracy and test accuracy live (`Animator`; one final
    figure when run headless).

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
    if isinstance(net, nn.Module):
        device = guard_train_device(device or try_gpu())  # refuses 'meta', which would erase the weights
        net.to(device)
    updater = as_updater(updater)
    optimizer = getattr(updater, "optimizer", None)
    held_out = getattr(test_iter, "split", None) or "test"  # what the third curve measures, by name
    if held_out == "train":  # would be reported as held-out accuracy, and overwrite train_acc
        raise ValueError("test_iter is the training split; pass held-out data: the validation or the test split")
    animator = Animator(xlabel="epoch", xlim=[1, num_epochs],
                        legend=["train loss", "train acc", f"{held_out} acc"]) if animate else None
    history = {"epoch": [], "train_loss": [], "train_acc": [], f"{held_out}_acc": [], "lr": []}
    try:
        # one_progress_bar: the epochs' bars are one widget, kept between epochs (the figure stays put)
        with one_progress_bar():
            for epoch in range(1, num_epochs + 1):
                lr = float(optimizer.param_groups[0]["lr"]) if optimizer is not None else None
                train_loss, train_acc = train_epoch(net, train_iter, loss, updater, device, epoch=epoch)
                test_acc = evaluate_accuracy(net, test_iter, device)
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

