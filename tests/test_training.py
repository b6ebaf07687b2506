import re
import types

import matplotlib.pyplot as plt
import pytest
import torch
from torch import nn
from torch.utils import data

import d2lcore as d2l


def _blobs(n=600, seed=0):
    """Three well-separated Gaussian blobs in 2-D: a task any linear classifier learns."""
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 3, (n,), generator=g)
    centers = torch.tensor([[3.0, 0.0], [-3.0, 0.0], [0.0, 3.0]])
    return centers[y] + torch.randn(n, 2, generator=g), y


def _iters(bs=50):
    X, y = _blobs()
    return (d2l.TensorLoader(X[:500], y[:500], bs, shuffle=True, seed=0),
            d2l.TensorLoader(X[500:], y[500:], bs))


def test_train_with_an_optimizer_returns_the_history_and_learns():
    train_iter, test_iter = _iters()
    net = nn.Sequential(nn.Linear(2, 3))
    hist = d2l.train(net, train_iter, test_iter, nn.CrossEntropyLoss(), 5,
                     torch.optim.SGD(net.parameters(), lr=0.1), device="cpu", animate=False)
    assert hist["epoch"] == [1, 2, 3, 4, 5]
    assert all(len(v) == 5 for v in hist.values())
    assert all(isinstance(v, float) for k in ("train_loss", "train_acc", "test_acc") for v in hist[k])
    assert hist["train_loss"][-1] < hist["train_loss"][0]
    assert hist["test_acc"][-1] >= 0.9


def test_train_names_its_held_out_curve_and_history_by_the_loaders_split(monkeypatch):
    X, y = _blobs()
    train_iter = d2l.TensorLoader(X[:500], y[:500], 50, shuffle=True, seed=0, split="train")
    valid_iter = d2l.TensorLoader(X[500:], y[500:], 50, split="valid")
    legends = []
    monkeypatch.setattr(d2l.training, "Animator", lambda **kw: legends.append(kw["legend"]) or types.SimpleNamespace(
        add=lambda *a: None))
    net = nn.Linear(2, 3)
    hist = d2l.train(net, train_iter, valid_iter, nn.CrossEntropyLoss(), 2, torch.optim.SGD(net.parameters(), lr=0.1),
                     device="cpu")
    assert "valid_acc" in hist and "test_acc" not in hist and len(hist["valid_acc"]) == 2
    assert legends == [["train loss", "train acc", "valid acc"]]
    # the training split as the held-out set would be reported as held-out accuracy: refused
    with pytest.raises(ValueError, match="training split"):
        d2l.train(net, train_iter, train_iter, nn.CrossEntropyLoss(), 1, torch.optim.SGD(net.parameters(), lr=0.1),
                  device="cpu", animate=False)


def test_from_scratch_updater_and_optimizer_take_the_same_steps():
    train_iter, _ = _iters()
    torch.manual_seed(0)
    W0, b0 = torch.randn(2, 3) * 0.01, torch.zeros(3)

    W, b = W0.clone().requires_grad_(True), b0.clone().requires_grad_(True)
    scratch_net = lambda X: d2l.softmax(X @ W + b)  # noqa: E731
    d2l.train_epoch(scratch_net, train_iter, d2l.cross_entropy, lambda n: d2l.sgd([W, b], 0.1, n))

    train_iter.generator.manual_seed(0)  # the same batches again
    net = nn.Linear(2, 3)
    with torch.no_grad():
        net.weight.copy_(W0.T)
        net.bias.copy_(b0)
    train_iter2, _ = _iters()
    d2l.train_epoch(net, train_iter2, nn.CrossEntropyLoss(), torch.optim.SGD(net.parameters(), lr=0.1))
    torch.testing.assert_close(net.weight.detach(), W.detach().T)
    torch.testing.assert_close(net.bias.detach(), b.detach())


@pytest.mark.parametrize("loss", [nn.CrossEntropyLoss(reduction="none"), nn.CrossEntropyLoss(reduction="sum")])
def test_train_epoch_reports_the_mean_loss_for_any_reduction(loss):
    X, y = _blobs(100)
    net = nn.Linear(2, 3)
    expected = nn.functional.cross_entropy(net(X), y).item()
    opt = torch.optim.SGD(net.parameters(), lr=1e-9)  # a negligible step: the loss barely moves
    mean_loss, acc = d2l.train_epoch(net, [(X, y)], loss, opt)
    assert mean_loss == pytest.approx(expected, rel=1e-5)
    assert 0 <= acc <= 1


def test_train_works_with_a_plain_torch_dataloader():
    X, y = _blobs()
    train_iter = data.DataLoader(data.TensorDataset(X, y), batch_size=50, shuffle=True)
    net = nn.Linear(2, 3)
    hist = d2l.train(net, train_iter, train_iter, nn.CrossEntropyLoss(), 3,
                     torch.optim.SGD(net.parameters(), lr=0.1), device="cpu", animate=False)
    assert hist["test_acc"][-1] >= 0.9


def test_a_non_finite_loss_stops_training_at_once_naming_epoch_and_step():
    X, y = _blobs(200)
    batches = [(X[i:i + 50], y[i:i + 50]) for i in range(0, 200, 50)]
    calls = {"n": 0}

    def loss(y_hat, y):  # becomes nan on the 3rd step of the 2nd epoch (step 7 overall)
        calls["n"] += 1
        l = nn.functional.cross_entropy(y_hat, y, reduction="none")
        return l * float("nan") if calls["n"] == 7 else l

    net = nn.Linear(2, 3)
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    d2l.train_epoch(net, batches, loss, opt, epoch=1)
    before = [p.detach().clone() for p in net.parameters()]
    with pytest.raises(d2l.NonFiniteLossError, match=r"epoch 2, step 3 of 4.*learning rate.*logits"):
        d2l.train_epoch(net, batches, loss, opt, epoch=2)
    assert calls["n"] == 7  # stopped at once, not after the epoch
    # on the CPU the bad step is caught before its update: the model is still finite
    assert all(torch.isfinite(p).all() for p in net.parameters())
    assert not all(torch.equal(a, b) for a, b in zip(before, net.parameters()))  # steps 1-2 did run


def test_a_too_large_learning_rate_with_a_naive_softmax_is_caught():
    X, y = _blobs(200)
    X = X * 1000  # huge inputs: exp overflows in a naive softmax
    W = torch.randn(2, 3, requires_grad=True)
    b = torch.zeros(3, requires_grad=True)

    def naive_net(X):
        e = torch.exp(X @ W + b)
        return e / e.sum(1, keepdim=True)

    with pytest.raises(d2l.NonFiniteLossError, match="epoch 1, step 1"):
        d2l.train_epoch(naive_net, [(X, y)], d2l.cross_entropy, lambda n: d2l.sgd([W, b], 0.1, n))


def test_an_interrupted_run_leaves_a_usable_model():
    train_iter, test_iter = _iters()
    net = nn.Linear(2, 3)
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    steps = {"n": 0}
    real_step = opt.step

    def step_then_interrupt(*a, **k):
        steps["n"] += 1
        if steps["n"] == len(train_iter) + 3:  # a few steps into epoch 2
            raise KeyboardInterrupt
        return real_step(*a, **k)

    opt.step = step_then_interrupt
    with pytest.raises(KeyboardInterrupt) as interrupted:
        d2l.train(net, train_iter, test_iter, nn.CrossEntropyLoss(), 5, opt, device="cpu", animate=False)
    assert all(torch.isfinite(p).all() for p in net.parameters())
    assert d2l.evaluate_accuracy(net, test_iter) >= 0.8
    # the return value is lost with the interrupt: the finished epoch's history travels with it, and says so
    history = interrupted.value.history
    assert history["epoch"] == [1] and len(history["train_loss"]) == len(history["test_acc"]) == 1
    assert history["test_acc"][0] >= 0.8
    assert any("sys.last_value.history" in note for note in interrupted.value.__notes__)


def test_a_generator_is_named_when_it_is_empty_in_epoch_2_instead_of_a_division_by_zero():
    X, y = _blobs(200)
    batches = ((X[i:i + 50], y[i:i + 50]) for i in range(0, 200, 50))  # read up by epoch 1
    net = nn.Linear(2, 3)
    steps = []
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    step = d2l.as_updater(opt)
    with pytest.raises(ValueError, match=r"training data \(train_iter\) in epoch 2 yielded no examples; it is an "
                                         r"iterator .* pass the loader itself, not iter\(loader\)"):
        d2l.train(net, batches, [(X, y)], nn.CrossEntropyLoss(), 3, lambda n: steps.append(n) or step(n),
                  device="cpu", animate=False)
    assert steps == [50] * 4  # epoch 1 trained
    # the same for the held-out data: iter(loader) is read up by the first evaluation
    loader = d2l.TensorLoader(X, y, 50)
    with pytest.raises(ValueError, match=r"evaluate_accuracy's data_iter \(in d2l.train: test_iter\) yielded no"):
        d2l.train(net, loader, iter(loader), nn.CrossEntropyLoss(), 2, opt, device="cpu", animate=False)


def test_a_planted_nan_in_the_data_is_named_also_when_the_failing_batch_is_gone():
    # on a GPU the non-finite loss is read a step or more late; the loader's stored tensors are checked then
    from d2lcore.infra.guards import FiniteGuard
    X, y = _blobs(100)
    X[37, 1] = float("inf")
    X[80, 0] = float("nan")
    nan = float("nan")
    losses = [torch.tensor(1.0), torch.tensor([0.5, nan]), torch.tensor(float("inf"))]  # kept on the device
    guard = FiniteGuard(3, d2l.TensorLoader(X, y, 25))
    # what a device's check does once a flag says the kept losses of steps 1-3 are not all finite
    with pytest.raises(d2l.NonFiniteLossError, match=r"epoch 3, step 2 of 4; training stopped. The training data's "
                                                     r"images \(2 of 200 values\) are nan or inf: the data, not"):
        guard._look(1, losses, torch.tensor(False))
    guard._look(1, losses[:1], torch.tensor(True))  # all finite: nothing to say
    # a DataLoader over a TensorDataset keeps its tensors too; finite data keep the learning-rate message
    guard = FiniteGuard(1, data.DataLoader(data.TensorDataset(torch.ones(4, 2), torch.zeros(4)), batch_size=2))
    with pytest.raises(d2l.NonFiniteLossError, match=r"step 1 of 2; training stopped. Likely causes: the learning "
                                                     r"rate .*\(lesson 07\).$"):
        guard._look(1, losses[2:], torch.tensor(False))
    # data that cannot be looked at again: the message says they were not checked
    guard = FiniteGuard(1, [(X[:50], y[:50])])
    with pytest.raises(d2l.NonFiniteLossError, match=r"If the data may hold nan or inf, check them too"):
        guard._look(1, losses[1:2], torch.tensor(False))


@pytest.mark.parametrize("bad_step", [21, 40])  # found 16 steps at a time; or by finish() at the epoch's end
def test_off_the_cpu_the_losses_checked_in_batches_still_name_the_first_bad_step(monkeypatch, bad_step):
    # a GPU's path, taken here on the CPU: the losses are kept and checked every 16 steps, not one by one
    monkeypatch.setattr("d2lcore.infra.guards.FiniteGuard.at_once", False)
    X, y = _blobs(800)
    X[(bad_step - 1) * 20 + 5, 0] = float("nan")  # one value in the batch of that step (20 a batch, in order)
    net = nn.Linear(2, 3)
    with pytest.raises(d2l.NonFiniteLossError, match=rf"epoch 2, step {bad_step} of 40; training stopped. The "
                                                     r"training data's .*\(1 of 1600 values\) are nan or inf"):
        d2l.train_epoch(net, d2l.TensorLoader(X, y, 20), nn.CrossEntropyLoss(),
                        torch.optim.SGD(net.parameters(), lr=0.1), epoch=2)


def test_off_the_cpu_a_diverging_run_is_stopped_within_16_steps_and_a_finite_one_is_not(monkeypatch):
    X, y = _blobs(800)
    runs, named = {}, {}
    for at_once in (None, False):  # the CPU's check at every step, then the batched one
        monkeypatch.setattr("d2lcore.infra.guards.FiniteGuard.at_once", at_once)
        torch.manual_seed(0)
        net = nn.Linear(2, 3)
        runs[at_once] = d2l.train_epoch(net, d2l.TensorLoader(X, y, 20), nn.CrossEntropyLoss(),
                                        torch.optim.SGD(net.parameters(), lr=0.1))
        steps = []
        updater = d2l.as_updater(torch.optim.SGD(net.parameters(), lr=1e38))  # overflows at once
        with pytest.raises(d2l.NonFiniteLossError, match=r"epoch 1, step \d+ of 40; training stopped. Likely "
                                                         r"causes: the learning rate") as e:
            d2l.train_epoch(net, d2l.TensorLoader(X, y, 20), nn.CrossEntropyLoss(),
                            lambda n: steps.append(n) or updater(n))
        bad = int(re.search(r"step (\d+) of", str(e.value))[1])
        named[at_once] = bad
        # the CPU stops before the bad step's update; batched, the steps go on until steps 1-16 are read, at
        # step 16 before its update
        assert len(steps) == (bad - 1 if at_once is None else 15), (bad, len(steps))
    assert runs[None] == runs[False]  # the check does not change what is trained
    assert named[None] == named[False] <= 16  # ... nor which step is named


def test_clip_grad_norm_of_zero_or_less_is_refused():
    # unguarded, 0 trained nothing (the loss stayed where it was) and -1 climbed the loss
    net = nn.Linear(2, 3)
    for max_norm in (0, -1, float("inf"), float("nan"), True):
        with pytest.raises(ValueError, match="clip_grad_norm must be a positive number"):
            d2l.as_updater(torch.optim.SGD(net.parameters(), lr=0.1), clip_grad_norm=max_norm)


def test_as_updater_refuses_what_it_cannot_do_with_what_to_do_instead():
    net = nn.Linear(2, 3)
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    with pytest.raises(TypeError, match="a from-scratch updater.*clips in its own code"):
        d2l.as_updater(lambda n: d2l.sgd(list(net.parameters()), 0.1, n), clip_grad_norm=1.0)
    with pytest.raises(TypeError, match=r"torch.optim optimizer or a function updater\(batch_size\), got float"):
        d2l.as_updater(0.1)
    # torch would say only "step() missing 1 required positional argument: 'metrics'", at the first batch
    with pytest.raises(ValueError, match="ReduceLROnPlateau.*your own epoch loop around train_epoch"):
        d2l.as_updater(opt, scheduler=torch.optim.lr_scheduler.ReduceLROnPlateau(opt))


def test_an_optimizer_adapted_takes_torchs_own_steps_on_the_mean_loss():
    X, y = _blobs(96)
    nets = [nn.Linear(2, 3) for _ in range(2)]
    nets[1].load_state_dict(nets[0].state_dict())
    opts = [torch.optim.SGD(n.parameters(), lr=0.5, momentum=0.9, weight_decay=1e-3) for n in nets]
    step = d2l.as_updater(opts[0])
    for _ in range(5):  # as lesson 04's loop: the summed loss, then updater(batch_size)
        nn.functional.cross_entropy(nets[0](X), y, reduction="sum").backward()
        step(len(y))
        opts[1].zero_grad()  # torch's own loop: the mean loss
        nn.functional.cross_entropy(nets[1](X), y).backward()
        opts[1].step()
    for a, b in zip(*(n.parameters() for n in nets)):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
    assert all(p.grad is None for p in nets[0].parameters())  # zeroed after the step, as sgd does


def test_train_takes_at_most_eight_parameters():
    import inspect
    assert len(inspect.signature(d2l.train).parameters) <= 8


def test_a_scheduler_built_over_another_optimizer_is_refused_before_anything_is_trained():
    # #28: re-running the cell that builds the optimizer but not the scheduler's trained at a constant
    # learning rate, silently: the history showed lr 0.5 throughout, as if no schedule had been asked for
    train_iter, test_iter = _iters(bs=500)  # one batch per epoch
    net = nn.Linear(2, 3)
    sched = torch.optim.lr_scheduler.StepLR(torch.optim.SGD(net.parameters(), lr=0.5), step_size=1, gamma=0.1)
    opt = torch.optim.SGD(net.parameters(), lr=0.5)  # the re-run cell's new optimizer
    with pytest.raises(ValueError, match="the scheduler was built over another optimizer"):
        d2l.as_updater(opt, scheduler=sched)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.1)  # built over it: the schedule applies
    hist = d2l.train(net, train_iter, test_iter, nn.CrossEntropyLoss(), 3, d2l.as_updater(opt, scheduler=sched),
                     device="cpu", animate=False)
    assert hist["lr"] == pytest.approx([0.5, 0.05, 0.005])


def test_predict_titles_images_with_true_and_predicted_labels():
    X = torch.zeros(8, 1, 28, 28)
    y = torch.tensor([0, 1, 2, 3, 4, 5, 6, 7])
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    with torch.no_grad():
        net[1].weight.zero_()
        net[1].bias.copy_(torch.arange(10.0))  # always predicts class 9, "ankle boot"
    d2l.predict(net, [(X, y)], n=3)
    titles = [ax.get_title() for ax in plt.gcf().axes]
    plt.close("all")
    assert titles == ["t-shirt\nankle boot", "trouser\nankle boot", "pullover\nankle boot"]


def test_predict_gives_the_model_back_in_the_mode_it_was_in():
    # the book's predict_ch3 switches no mode; one that left eval on would train on without dropout, silently
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 10), nn.Dropout(0.5), nn.BatchNorm1d(10))
    net.train()
    net[3].eval()  # a batch norm the student froze
    d2l.predict(net, [(torch.rand(4, 1, 28, 28), torch.tensor([0, 1, 2, 3]))], n=2)
    plt.close("all")
    assert [m.training for m in net] == [True, True, True, False]


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_train_epoch_on_a_gpu_does_not_synchronise_per_step():
    import warnings
    X, y = _blobs()
    it = d2l.TensorLoader(X[:500].cuda(), y[:500].cuda(), 25, shuffle=True, seed=0)  # 20 steps
    net = nn.Linear(2, 3).cuda()
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    d2l.train_epoch(net, it, nn.CrossEntropyLoss(), opt)  # warm-up: lazy initialisation may sync
    torch.cuda.set_sync_debug_mode("warn")  # torch warns at every host-device synchronisation
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            d2l.train_epoch(net, it, nn.CrossEntropyLoss(), opt)
    finally:
        torch.cuda.set_sync_debug_mode("default")
    syncs = [w for w in caught if "synchroniz" in str(w.message).lower()]
    assert len(syncs) < 8, [str(w.message) for w in syncs]  # a few per epoch, not one per step


def test_progress_bar_over_batches_when_a_person_watches(capsys, monkeypatch):
    monkeypatch.setattr("d2lcore.infra.session.interactive", lambda: True)
    X, y = _blobs(200)
    batches = [(X[i:i + 50], y[i:i + 50]) for i in range(0, 200, 50)]
    net = nn.Linear(2, 3)
    d2l.train_epoch(net, batches, nn.CrossEntropyLoss(), torch.optim.SGD(net.parameters(), lr=0.1), epoch=3)
    err = capsys.readouterr().err
    assert "epoch 3" in err and "/4 [" in err  # a bar over the 4 batches
    assert err.endswith("\r")  # leave=False: cleared when the epoch ends, nothing stays behind


def test_progress_is_off_when_headless_or_outside_a_notebook(monkeypatch):
    from d2lcore.infra.session import progress_bar
    batches = [1, 2]

    def shown(progress=None):
        with progress_bar(batches, 1, progress) as b:
            return b is not batches

    monkeypatch.delenv("D2L_HEADLESS", raising=False)
    assert not shown()  # pytest is no notebook
    monkeypatch.setattr("d2lcore.infra.session.in_notebook", lambda: True)
    assert shown()
    monkeypatch.setenv("D2L_HEADLESS", "1")
    assert not shown()
    assert shown(True) and not shown(False)


class _Notebook:
    """A notebook kernel's display() and tqdm.notebook bars, as stand-ins that record."""

    def __init__(self, monkeypatch):
        import IPython
        import IPython.display
        import tqdm.notebook
        from tqdm import tqdm as console_tqdm
        self.shown, self.closed, self.cell = [], [], 1
        notebook = self

        class Bar(console_tqdm):  # tqdm.notebook's bar: a widget it keeps, in red, after an error
            def __init__(self, *args, display=True, **kwargs):
                super().__init__(*args, **kwargs)
                self.container = type("Widget", (), {"close": lambda _: notebook.closed.append(self.desc)})()

        monkeypatch.setattr(tqdm.notebook, "tqdm", Bar)
        monkeypatch.setattr(IPython.display, "display",
                            lambda obj, raw=False, display_id=None, update=False:
                            self.shown.append(("" if isinstance(obj, dict) else "bar", display_id, update)))
        monkeypatch.setattr(IPython, "get_ipython", lambda: types.SimpleNamespace(execution_count=self.cell))
        monkeypatch.setattr("d2lcore.infra.session.in_notebook", lambda: True)
        monkeypatch.setattr("d2lcore.infra.session.interactive", lambda: True)  # a person watches
        monkeypatch.setattr("d2lcore.infra.session._slot", [None, None, None])  # a fresh kernel


def test_an_epoch_that_ends_in_an_error_removes_its_notebook_progress_bar(monkeypatch):
    notebook = _Notebook(monkeypatch)
    X, y = _blobs(200)
    batches = [(X[:50], y[:50]), (torch.full((50, 2), float("nan")), y[50:100]), (X[100:], y[100:])]
    net = nn.Linear(2, 3)
    with pytest.raises(d2l.NonFiniteLossError):
        d2l.train_epoch(net, batches, nn.CrossEntropyLoss(), torch.optim.SGD(net.parameters(), lr=0.1))
    assert notebook.closed == ["epoch 1"]
    assert [what for what, _, _ in notebook.shown] == ["bar", ""]  # the slot is emptied


def test_the_epochs_of_one_cell_share_one_output_slot_in_a_notebook(monkeypatch):
    # one slot per epoch left a blank gap per epoch under lesson 04's figure (a frozen line each in RISE)
    notebook = _Notebook(monkeypatch)
    X, y = _blobs(200)
    net = nn.Linear(2, 3)
    d2l.train(net, [(X, y)], [(X, y)], nn.CrossEntropyLoss(), 3, torch.optim.SGD(net.parameters(), lr=0.1),
              animate=False)
    first = notebook.shown[0][1]
    # one bar, shown once and reset by each epoch: emptying the slot between epochs made the live
    # figure below it jump by a bar's height every epoch; removed when training ends
    assert notebook.shown == [("bar", first, False), ("", first, True)]
    assert notebook.closed == ["epoch 3"]
    notebook.cell, notebook.shown = 2, []  # the next cell gets a slot of its own
    d2l.train_epoch(net, [(X, y)], nn.CrossEntropyLoss(), torch.optim.SGD(net.parameters(), lr=0.1))
    assert notebook.shown[0][1] != first and notebook.shown[0][2] is False


def test_training_that_fails_between_epochs_removes_the_kept_progress_bar(monkeypatch):
    notebook = _Notebook(monkeypatch)
    X, y = _blobs(200)
    net = nn.Linear(2, 3)
    wrong = [(torch.randn(5, 7), y[:5])]  # the held-out data do not fit the model: evaluation fails
    with pytest.raises(Exception):
        d2l.train(net, [(X, y)], wrong, nn.CrossEntropyLoss(), 3, torch.optim.SGD(net.parameters(), lr=0.1),
                  animate=False)
    assert [what for what, _, _ in notebook.shown] == ["bar", ""] and notebook.closed == ["epoch 1"]


def test_gradient_clipping_caps_the_global_norm_before_each_step():
    X, y = _blobs(100)
    net = nn.Linear(2, 3)
    seen = []

    class Recording(torch.optim.SGD):
        def step(self, *a, **k):
            seen.append(torch.cat([p.grad.flatten() for p in net.parameters()]).norm().item())
            return super().step(*a, **k)

    opt = Recording(net.parameters(), lr=0.1)
    d2l.train_epoch(net, [(X * 100, y)] * 3, nn.CrossEntropyLoss(), d2l.as_updater(opt, clip_grad_norm=0.5))
    assert len(seen) == 3 and all(n <= 0.5 + 1e-5 for n in seen)


def test_a_scheduler_steps_after_every_batch_and_the_history_records_the_lr():
    train_iter, test_iter = _iters(bs=100)  # 5 batches per epoch
    net = nn.Linear(2, 3)
    opt = torch.optim.SGD(net.parameters(), lr=1.0)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=len(train_iter), gamma=0.5)  # an epoch, in batches
    hist = d2l.train(net, train_iter, test_iter, nn.CrossEntropyLoss(), 3, d2l.as_updater(opt, scheduler=sched),
                     device="cpu", animate=False)
    assert hist["lr"] == [1.0, 0.5, 0.25]
    opt = torch.optim.SGD(net.parameters(), lr=1.0)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: 1 / (1 + step))
    hist = d2l.train(net, train_iter, test_iter, nn.CrossEntropyLoss(), 2, d2l.as_updater(opt, scheduler=sched),
                     device="cpu", animate=False)
    assert hist["lr"] == [1.0, pytest.approx(1 / 6)]  # 5 steps in epoch 1


INTERRUPTED_RUN = """
import time, torch
from torch import nn
import d2lcore as d2l
d2l.set_seed(0)
g = torch.Generator().manual_seed(0)
y = torch.randint(0, 3, (600,), generator=g)
X = torch.tensor([[3.0, 0.0], [-3.0, 0.0], [0.0, 3.0]])[y] + torch.randn(600, 2, generator=g)
train_iter, test_iter = d2l.TensorLoader(X[:500], y[:500], 50, shuffle=True, seed=0), d2l.TensorLoader(X[500:], y[500:], 50)
net = nn.Linear(2, 3)
opt = torch.optim.SGD(net.parameters(), lr=0.1)
slow_step = opt.step
def step():
    time.sleep(0.02)  # ~0.2 s per epoch: time for the test to press 'stop' mid-run
    slow_step()
opt.step = step
d2l.train(net, train_iter, test_iter, nn.CrossEntropyLoss(), 1000, opt, device="cpu")
"""


def test_an_interrupted_notebook_run_keeps_its_figure_and_a_usable_model():
    """A real kernel, a real interrupt (SIGINT, as the stop button sends) after epoch 2 is drawn."""
    from jupyter_client import KernelManager
    km = KernelManager(kernel_name="python3")
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=60)

        def run(code, on_message=lambda msg: None):
            msg_id = kc.execute(code)
            msgs = []
            while True:
                msg = kc.get_iopub_msg(timeout=120)
                if msg["parent_header"].get("msg_id") != msg_id:
                    continue
                msgs.append(msg)
                on_message(msg)
                if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                    return msgs

        drawn = []

        def interrupt_after_two_epochs(msg):
            # (a progress bar may be displayed too when the run is interactive: figures only)
            if msg["msg_type"] in ("display_data", "update_display_data") and "image/png" in msg["content"]["data"]:
                drawn.append(msg)
                if len(drawn) == 2:
                    km.interrupt_kernel()

        msgs = run(INTERRUPTED_RUN, interrupt_after_two_epochs)
        errors = [m["content"] for m in msgs if m["msg_type"] == "error"]
        assert [e["ename"] for e in errors] == ["KeyboardInterrupt"]
        # the live figure: shown once, then updated in place; the last frame is a real PNG
        kinds = [m["msg_type"] for m in drawn]
        assert kinds[0] == "display_data" and set(kinds[1:]) <= {"update_display_data"}
        assert 2 <= len(drawn) < 1000
        png = __import__("base64").b64decode(drawn[-1]["content"]["data"]["image/png"])
        assert png.startswith(b"\x89PNG") and len(png) > 5000
        # the model, as trained so far, works: finite weights, good accuracy, in training mode
        out = run("import math\n"
                  "print(all(torch.isfinite(p).all() for p in net.parameters()), net.training,\n"
                  "      d2l.evaluate_accuracy(net, test_iter) >= 0.8)")
        text = "".join(m["content"].get("text", "") for m in out if m["msg_type"] == "stream")
        assert text.strip() == "True True True", text
        # the finished epochs' history, which the interrupted cell never assigned, as its traceback says
        assert "sys.last_value.history" in "\n".join(errors[0]["traceback"])
        out = run("import sys\nh = sys.last_value.history\nprint(len(h['epoch']) >= 2, h['epoch'] == list(range(1, "
                  "len(h['epoch']) + 1)), len(h['test_acc']) == len(h['epoch']))")
        text = "".join(m["content"].get("text", "") for m in out if m["msg_type"] == "stream")
        assert text.strip() == "True True True", text
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
