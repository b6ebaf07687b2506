"""The self-checks added for lessons 00, 02, 03, 04/05, 06, 10–15: each passes the lesson's own
implementation and catches plausible wrong ones with the hint that fits."""
import math

import pytest
import torch
import torch.nn.functional as F

import d2lcore as d2l


def fails_saying(check, impl, says, capsys):
    assert not check(*impl) if isinstance(impl, tuple) else not check(impl)
    out = capsys.readouterr().out
    assert out.startswith("✗") and says in out, out


# --- gradient (lesson 00) ------------------------------------------------------------------------

A = torch.randn(4, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(3))


def test_check_gradient_passes_the_right_formula(capsys):
    assert d2l.check_gradient(lambda x: x @ A @ x, lambda x: (A + A.T) @ x)
    assert capsys.readouterr().out.startswith("✓ gradient")


@pytest.mark.parametrize("wrong, says", [
    (lambda x: 2 * A @ x, "symmetric"),  # only right when A = Aᵀ
    (lambda x: (A + A.T) @ x[:2], "shape"),
    (lambda x: float(x.sum()), "shape"),
])
def test_check_gradient_catches_wrong_formulas(wrong, says, capsys):
    fails_saying(lambda g: d2l.check_gradient(lambda x: x @ A @ x, g), wrong, says, capsys)


def test_check_gradient_needs_a_scalar_function(capsys):
    fails_saying(lambda g: d2l.check_gradient(lambda x: A @ x, g), lambda x: A.T @ x, "scalar", capsys)


# --- squared loss (lesson 02) ---------------------------------------------------------------------

def test_check_squared_loss_passes_the_books_loss():
    assert d2l.check_squared_loss(d2l.squared_loss)
    assert d2l.check_squared_loss(lambda y_hat, y: (y_hat - y.reshape(y_hat.shape)) ** 2 / 2)
    assert d2l.check_squared_loss(lambda y_hat, y: F.mse_loss(y_hat, y.reshape(y_hat.shape), reduction="none") / 2)


@pytest.mark.parametrize("wrong, says", [
    (lambda y_hat, y: (y_hat - y) ** 2 / 2, "broadcast a column against a row"),  # lesson 01, exercise 4
    (lambda y_hat, y: (y_hat - y.reshape(y_hat.shape)) ** 2, "left out the 1/2"),
    (lambda y_hat, y: (y_hat.detach() - y.reshape(y_hat.shape)) ** 2 / 2, "gradient"),
])
def test_check_squared_loss_catches_wrong_versions(wrong, says, capsys):
    fails_saying(d2l.check_squared_loss, wrong, says, capsys)


# --- data loader (lesson 03) --------------------------------------------------------------

class LessonDataLoader:  # lesson 03's class, trimmed
    def __init__(self, X, y, batch_size, shuffle=False):
        self.X, self.y, self.batch_size, self.shuffle = X, y, batch_size, shuffle

    def __len__(self):
        return math.ceil(len(self.X) / self.batch_size)

    def __iter__(self):
        order = torch.randperm(len(self.X)) if self.shuffle else torch.arange(len(self.X))
        for start in range(0, len(self.X), self.batch_size):
            idx = order[start:start + self.batch_size]
            yield self.X[idx], self.y[idx]


class ShufflesOnce(LessonDataLoader):
    def __init__(self, X, y, batch_size, shuffle=False):
        super().__init__(X, y, batch_size, shuffle)
        self.order = torch.randperm(len(X)) if shuffle else torch.arange(len(X))

    def __iter__(self):
        for start in range(0, len(self.X), self.batch_size):
            idx = self.order[start:start + self.batch_size]
            yield self.X[idx], self.y[idx]


class ReturnsSelf(LessonDataLoader):  # the notes' version: one pass shared by every iter()
    def __iter__(self):
        self.i = 0
        self.order = torch.randperm(len(self.X)) if self.shuffle else torch.arange(len(self.X))
        return self

    def __next__(self):
        if self.i >= len(self.X):
            raise StopIteration
        idx = self.order[self.i:self.i + self.batch_size]
        self.i += self.batch_size
        return self.X[idx], self.y[idx]


class DropsLast(LessonDataLoader):
    def __len__(self):
        return len(self.X) // self.batch_size

    def __iter__(self):
        for xb, yb in super().__iter__():
            if len(xb) == self.batch_size:
                yield xb, yb


class SeparatesPairs(LessonDataLoader):
    def __iter__(self):
        a, b = torch.randperm(len(self.X)), torch.randperm(len(self.X))
        for start in range(0, len(self.X), self.batch_size):
            yield self.X[a[start:start + self.batch_size]], self.y[b[start:start + self.batch_size]]


def test_check_data_loader_passes_the_lessons_class_and_tensorloader():
    assert d2l.check_data_loader(LessonDataLoader)
    assert d2l.check_data_loader(d2l.TensorLoader)
    assert d2l.check_data_loader(lambda X, y, batch_size, shuffle: torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(X, y), batch_size=batch_size, shuffle=shuffle))


@pytest.mark.parametrize("wrong, says", [
    (ShufflesOnce, "draw a new order"), (ReturnsSelf, "make __iter__ a generator"),
    (DropsLast, "short batch is missing"), (SeparatesPairs, "separated"),
])
def test_check_data_loader_catches_wrong_versions(wrong, says, capsys):
    fails_saying(d2l.check_data_loader, wrong, says, capsys)


# --- accuracy and cross-entropy from logits (lessons 04, 05, 07) ----------------------------------

def lesson_accuracy(y_hat, y):
    if len(y_hat.shape) > 1 and y_hat.shape[1] > 1:
        y_hat = y_hat.argmax(axis=1)
    return (y_hat.type(y.dtype) == y).sum()


def test_check_accuracy_passes_the_lessons_version():
    assert d2l.check_accuracy(lesson_accuracy)
    assert d2l.check_accuracy(d2l.accuracy)


@pytest.mark.parametrize("wrong, says", [
    (lambda y_hat, y: (y_hat.argmax(1) == y).float().mean(), "That is the fraction"),
    (lambda y_hat, y: (y_hat.argmax(1) == y).sum(), "predicted labels"),  # argmax of (n,) is a scalar
    (lambda y_hat, y: (y_hat.numpy().argmax(1) == y.numpy()).sum() if y_hat.dim() > 1 else (y_hat == y).sum(),
     "network's output"),  # .numpy() on a tensor that requires grad raises
])
def test_check_accuracy_catches_wrong_versions(wrong, says, capsys):
    fails_saying(d2l.check_accuracy, wrong, says, capsys)


def lesson_cross_entropy_from_logits(o, y):
    m = o.max(dim=1, keepdim=True).values
    lse = (m + torch.log(torch.exp(o - m).sum(dim=1, keepdim=True))).squeeze(1)
    return lse - o[range(len(o)), y]


def test_check_cross_entropy_from_logits_passes_right_versions():
    assert d2l.check_cross_entropy_from_logits(lesson_cross_entropy_from_logits)
    assert d2l.check_cross_entropy_from_logits(d2l.cross_entropy_from_logits)
    assert d2l.check_cross_entropy_from_logits(torch.nn.CrossEntropyLoss(reduction="none"))


@pytest.mark.parametrize("wrong, says", [
    (torch.nn.CrossEntropyLoss(), "you averaged"),
    (lambda o, y: -torch.log(torch.softmax(o, 1)[range(len(o)), y]), "logits of ±1000"),  # log of an underflowed 0
    (lambda o, y: torch.log(torch.exp(o).sum(1)) - o[range(len(o)), y], "logits of ±1000"),  # naive logsumexp
    (lambda o, y: torch.logsumexp(o, 1) - o[:, 0], "logsumexp(o_i) - o_i[y_i]"),
])
def test_check_cross_entropy_from_logits_catches_wrong_versions(wrong, says, capsys):
    fails_saying(d2l.check_cross_entropy_from_logits, wrong, says, capsys)


# --- Huber (lesson 06) ----------------------------------------------------------------------------

def test_check_huber_loss_passes_right_versions():
    assert d2l.check_huber_loss(d2l.huber_loss)
    assert d2l.check_huber_loss(lambda a, b, delta: F.huber_loss(a, b, reduction="none", delta=delta))


@pytest.mark.parametrize("wrong, says", [
    (lambda a, b, delta: F.smooth_l1_loss(a, b, reduction="none", beta=delta), "δ(|r| - δ/2)"),  # off by a factor δ
    (lambda a, b, delta: torch.where((a - b).abs() <= delta, (a - b) ** 2 / 2, (a - b).abs()), "pieces meet"),
    (lambda a, b, delta: F.huber_loss(a, b, delta=delta), "one loss per element"),
])
def test_check_huber_loss_catches_wrong_versions(wrong, says, capsys):
    fails_saying(d2l.check_huber_loss, wrong, says, capsys)


# --- optimizers (lesson 10) -----------------------------------------------------------------------

class Momentum(torch.optim.Optimizer):  # lesson 10's
    def __init__(self, params, lr, momentum=0.9):
        super().__init__(params, dict(lr=lr, momentum=momentum))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if "v" not in state:
                    state["v"] = p.grad.clone()
                else:
                    state["v"].mul_(group["momentum"]).add_(p.grad)
                p -= group["lr"] * state["v"]


class MomentumOneGroupLr(Momentum):  # ignores per-group learning rates
    def __init__(self, params, lr, momentum=0.9):
        super().__init__(params, lr, momentum)
        self.lr = lr

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            group["lr"] = self.lr
        super().step()


class MomentumResetsState(Momentum):  # forgets the velocity: plain SGD after all
    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    p -= group["lr"] * p.grad


class MomentumTouchesFrozen(Momentum):
    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    p.mul_(0.5)  # e.g. a weight decay applied to every parameter
        super().step()


def test_check_optimizer_passes_the_lessons_momentum():
    assert d2l.check_optimizer(Momentum, torch.optim.SGD, lr=0.1, momentum=0.9)


@pytest.mark.parametrize("wrong, says", [
    (MomentumResetsState, "after step 2"), (MomentumOneGroupLr, "check 2 of 3 failed — two parameter groups"),
    (MomentumTouchesFrozen, "left unchanged"),
])
def test_check_optimizer_catches_wrong_versions(wrong, says, capsys):
    fails_saying(lambda cls: d2l.check_optimizer(cls, torch.optim.SGD, lr=0.1, momentum=0.9), wrong, says, capsys)


# --- clipping (lesson 13) -------------------------------------------------------------------------

def lesson_clip(params, max_norm):
    grads = [p.grad for p in params if p.grad is not None]
    norm = torch.sqrt(sum((g ** 2).sum() for g in grads))
    if norm > max_norm:
        for g in grads:
            g *= max_norm / norm
    return norm


def clip_each(params, max_norm):
    for p in params:
        if p.grad is not None:
            n = p.grad.norm()
            if n > max_norm:
                p.grad *= max_norm / n


def clip_always(params, max_norm):
    grads = [p.grad for p in params if p.grad is not None]
    norm = torch.sqrt(sum((g ** 2).sum() for g in grads))
    for g in grads:
        g *= max_norm / norm
    return norm


def test_check_clip_gradients_passes_the_lessons_version():
    assert d2l.check_clip_gradients(lesson_clip)
    assert d2l.check_clip_gradients(torch.nn.utils.clip_grad_norm_)


@pytest.mark.parametrize("wrong, says", [
    (clip_each, "clipped each tensor by its own norm"), (clip_always, "only shrinks"),
    (lambda params, m: (lesson_clip(params, m), None)[1], "return the total norm"),
])
def test_check_clip_gradients_catches_wrong_versions(wrong, says, capsys):
    fails_saying(d2l.check_clip_gradients, wrong, says, capsys)


# --- dropout (lesson 12) --------------------------------------------------------------------------

def lesson_dropout(X, p):
    assert 0 <= p <= 1
    if p == 1:
        return torch.zeros_like(X)
    return (torch.rand_like(X) > p).to(X.dtype) * X / (1.0 - p)


def test_check_dropout_passes_right_versions():
    assert d2l.check_dropout(lesson_dropout)
    assert d2l.check_dropout(lambda X, p: F.dropout(X, p, training=True))


@pytest.mark.parametrize("wrong, says", [
    (lambda X, p: torch.zeros_like(X) if p == 1 else (torch.rand(X.shape) > p).float() * X / (1 - p), "dtype"),
    (lambda X, p: (torch.rand_like(X) > p).to(X.dtype) * X / (1 - p), "p = 1 must return all zeros"),
    (lambda X, p: torch.zeros_like(X) if p == 1 else (torch.rand_like(X) > p).to(X.dtype) * X, "scaled by 1/(1-p)"),
    (lambda X, p: torch.zeros_like(X) if p == 1 else (torch.rand_like(X) < p).to(X.dtype) * X / (1 - p), "zeroed"),
])
def test_check_dropout_catches_wrong_versions(wrong, says, capsys):
    fails_saying(d2l.check_dropout, wrong, says, capsys)


def test_check_dropout_catches_a_mask_made_on_the_cpu(capsys):
    # right on CPU in any dtype, but the mask is always made on the CPU: X on a GPU would fail
    def cpu_mask(X, p):
        return torch.zeros_like(X) if p == 1 else (torch.rand(X.shape) > p).to(X.dtype) * X / (1 - p)
    fails_saying(d2l.check_dropout, cpu_mask, "mask on X's device", capsys)


# --- batch norm (lesson 14) -----------------------------------------------------------------------

class BatchNorm(torch.nn.Module):  # lesson 14's
    def __init__(self, num_features, eps=1e-5, momentum=0.1, unbiased_running_var=True, buffers=True, swapped=False):
        super().__init__()
        self.eps, self.momentum, self.unbiased = eps, momentum, unbiased_running_var
        if swapped:  # γ and β as buffers (never trained), the running statistics as frozen parameters
            self.register_buffer("gamma", torch.ones(num_features))
            self.register_buffer("beta", torch.zeros(num_features))
            self.running_mean = torch.nn.Parameter(torch.zeros(num_features), requires_grad=False)
            self.running_var = torch.nn.Parameter(torch.ones(num_features), requires_grad=False)
            return
        self.gamma = torch.nn.Parameter(torch.ones(num_features))
        self.beta = torch.nn.Parameter(torch.zeros(num_features))
        if buffers:
            self.register_buffer("running_mean", torch.zeros(num_features))
            self.register_buffer("running_var", torch.ones(num_features))
        else:
            self.running_mean = torch.nn.Parameter(torch.zeros(num_features), requires_grad=False)
            self.running_var = torch.nn.Parameter(torch.ones(num_features), requires_grad=False)

    def forward(self, X):
        if self.training:
            mean, var = X.mean(0), ((X - X.mean(0)) ** 2).mean(0)
            n = X.shape[0] if self.unbiased else 2  # 2 / (2 - 1) = 2 is wrong on purpose below
            with torch.no_grad():
                self.running_mean.mul_(1 - self.momentum).add_(self.momentum * mean)
                self.running_var.mul_(1 - self.momentum).add_(
                    self.momentum * var * (n / (n - 1) if self.unbiased else 1))
        else:
            mean, var = self.running_mean, self.running_var
        return self.gamma * (X - mean) / torch.sqrt(var + self.eps) + self.beta


class AlwaysBatchStats(BatchNorm):
    def forward(self, X):
        self.train()
        return super().forward(X)


def test_check_batch_norm_passes_the_lessons_class():
    assert d2l.check_batch_norm(BatchNorm)
    assert d2l.check_batch_norm(torch.nn.BatchNorm1d)
    assert d2l.check_batch_norm(lambda n: torch.nn.BatchNorm1d(n, affine=True, track_running_stats=True))


@pytest.mark.parametrize("wrong, says", [
    (lambda n: BatchNorm(n, buffers=False), "register_buffer"),
    # every number right, 6 parameter numbers, but γ and β never train (issue 37's false pass)
    (lambda n: BatchNorm(n, swapped=True), "γ and β are nn.Parameter"),
    (lambda n: BatchNorm(n, unbiased_running_var=False), "unbiased variance"),
    (lambda n: BatchNorm(n, momentum=0.9), "momentum 0.1"),
    (AlwaysBatchStats, "in evaluation mode your layer changed its running statistics"),
])
def test_check_batch_norm_catches_wrong_versions(wrong, says, capsys):
    fails_saying(d2l.check_batch_norm, wrong, says, capsys)


# --- quantization (lesson 15) ---------------------------------------------------------------------

def qparams(x, qmin=0, qmax=255):
    lo, hi = min(x.min().item(), 0.0), max(x.max().item(), 0.0)
    scale = max((hi - lo) / (qmax - qmin), torch.finfo(torch.float32).eps)
    zero_point = int(min(max(qmin - round(lo / scale), qmin), qmax))
    return torch.tensor(scale, dtype=torch.float32).item(), zero_point


def quantize(x, scale, zero_point, qmin=0, qmax=255):
    return torch.clamp(torch.round(x / scale) + zero_point, qmin, qmax).to(torch.uint8)


def dequantize(q, scale, zero_point):
    return scale * (q.to(torch.float32) - zero_point)


def test_check_quantize_passes_the_lessons_functions():
    assert d2l.check_quantize(qparams, quantize, dequantize)


def qparams_min_max(x):  # range of x only: 0 is not representable for all-positive x; 0/0 for constants
    lo, hi = x.min().item(), x.max().item()
    return (hi - lo) / 255, int(round(-lo / ((hi - lo) / 255))) if hi > lo else 0


def qparams_float_zero_point(x):
    scale, _ = qparams(x)
    return scale, -min(x.min().item(), 0.0) / scale


@pytest.mark.parametrize("impl, says", [
    ((qparams, lambda x, s, z: (torch.round(x / s) + z).to(torch.uint8), dequantize), "wraps around"),
    ((qparams, lambda x, s, z: torch.clamp(torch.floor(x / s) + z, 0, 255).to(torch.uint8), dequantize), "scale / 2"),
    ((qparams_float_zero_point, lambda x, s, z: torch.clamp(torch.round(x / s + z), 0, 255).to(torch.uint8), dequantize),
     "integer code"),
    ((qparams_min_max, quantize, dequantize), "include 0"),
])
def test_check_quantize_catches_wrong_versions(impl, says, capsys):
    fails_saying(d2l.check_quantize, impl, says, capsys)


# --- the runner -----------------------------------------------------------------------------------

def test_a_check_leaves_the_students_random_streams_untouched():
    import random
    torch.manual_seed(123)
    random.seed(123)
    expected = (torch.rand(3), random.random())
    torch.manual_seed(123)
    random.seed(123)
    assert d2l.check_dropout(lesson_dropout) and d2l.check_data_loader(LessonDataLoader)
    assert torch.equal(torch.rand(3), expected[0]) and random.random() == expected[1]


def test_a_check_leaves_a_gpus_random_streams_alone(monkeypatch):
    # the check saves and restores the CPU's stream only: reseeding CUDA's or MPS's would restart the
    # student's dropout masks and randn(device='cuda') from seed 0 after every check
    reseeded = []
    monkeypatch.setattr(torch.cuda, "manual_seed_all", lambda seed: reseeded.append(("cuda", seed)))
    monkeypatch.setattr(torch.mps, "manual_seed", lambda seed: reseeded.append(("mps", seed)))
    assert d2l.check_dropout(lesson_dropout)
    assert reseeded == []


def test_a_check_reports_the_same_thing_every_time(capsys):
    reports = []
    for seed in (1, 2):
        torch.manual_seed(seed)
        d2l.check_dropout(lambda X, p: torch.zeros_like(X) if p == 1 else (torch.rand_like(X) > p).to(X.dtype) * X)
        reports.append(capsys.readouterr().out)
    assert reports[0] == reports[1] and "values like" in reports[0]


# --- K-fold cross-validation (lesson 11) ---------------------------------------------------------

def _lesson_k_fold(n, k):
    folds = []
    for i in range(k):
        held = torch.arange(i * n // k, (i + 1) * n // k)
        folds.append((torch.cat([torch.arange(0, held[0]), torch.arange(held[-1] + 1, n)]), held))
    return folds


def test_check_k_fold_passes_the_lessons_folds_and_a_list_version():
    assert d2l.check_k_fold(_lesson_k_fold)
    assert d2l.check_k_fold(lambda n, k: [([j for j in range(n) if j % k != i], [j for j in range(n) if j % k == i])
                                          for i in range(k)])  # interleaved folds are folds too


def test_check_k_fold_explains_a_remainder_that_is_never_validated(capsys):
    def floor_sized(n, k):
        size = n // k
        return [(torch.cat([torch.arange(0, i * size), torch.arange((i + 1) * size, n)]),
                 torch.arange(i * size, (i + 1) * size)) for i in range(k)]
    assert not d2l.check_k_fold(floor_sized)
    assert "3 never are" in capsys.readouterr().out


def test_check_k_fold_catches_a_fold_that_trains_on_its_held_out_examples(capsys):
    assert not d2l.check_k_fold(lambda n, k: [(torch.arange(n), held) for _, held in _lesson_k_fold(n, k)])
    assert "validated on data it trained on" in capsys.readouterr().out


def test_d2lcore_k_fold_indices_passes_the_self_check_and_refuses_k_outside_2_to_n():
    assert d2l.check_k_fold(d2l.k_fold_indices)
    folds = d2l.k_fold_indices(7, 3)
    assert [h.tolist() for _, h in folds] == [[0, 1], [2, 3], [4, 5, 6]]
    assert folds[1][0].tolist() == [0, 1, 4, 5, 6] and folds[1][0].dtype == torch.int64
    for k in (1, 8):
        with pytest.raises(ValueError, match=f"k must be between 2 and n = 7, got k = {k}"):
            d2l.k_fold_indices(7, k)
