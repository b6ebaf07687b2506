"""Mutation tests for the self-checks (issue 37): for every check, mistakes students really make are
planted into a working implementation; each must make its check fail AND the report must name the
mistake (a hint the student can act on). Correct variants written differently from the reference,
and the book's own code (D2L, as printed), must pass, or fail for the reason the report names.

    .venv/bin/python -m pytest tests/test_selfcheck_mutations.py -q
    .venv/bin/python tests/test_selfcheck_mutations.py      # prints the mutation score per check
"""
import contextlib
import io
import math
import random
import types

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import d2lcore as d2l


def _optimizer(reference, **hp):
    check = lambda cls: d2l.check_optimizer(cls, reference, **hp)
    check.runs = d2l.check_optimizer  # for test_every_self_check_is_mutation_tested
    return check


CHECKS = {
    "softmax": d2l.check_softmax, "cross_entropy": d2l.check_cross_entropy, "accuracy": d2l.check_accuracy,
    "cross_entropy_from_logits": d2l.check_cross_entropy_from_logits, "sgd": d2l.check_sgd,
    "data_iter": d2l.check_data_iter, "squared_loss": d2l.check_squared_loss, "huber_loss": d2l.check_huber_loss,
    "dropout": d2l.check_dropout, "batch_norm": d2l.check_batch_norm,
    "momentum": _optimizer(torch.optim.SGD, lr=0.1, momentum=0.9), "adam": _optimizer(torch.optim.Adam, lr=0.01),
    "clip_gradients": d2l.check_clip_gradients, "k_fold": d2l.check_k_fold, "quantize": d2l.check_quantize,
    "gradient": d2l.check_gradient, "data_loader": d2l.check_data_loader,
}


def report(check, impl):
    """(passed, printed report) of CHECKS[check] run on impl (a tuple for checks of several functions)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        passed = bool(CHECKS[check](*impl) if isinstance(impl, tuple) else CHECKS[check](impl))
    return passed, out.getvalue()


# --- softmax (lessons 04, 07) ----------------------------------------------------------------------

def softmax_no_shift(X):  # the lesson's first version: right until exp overflows
    e = torch.exp(X)
    return e / e.sum(1, keepdim=True)


def softmax_in_place(X):  # issue 37's false pass: right numbers, the caller's scores overwritten
    X.sub_(X.max(dim=1, keepdim=True).values).exp_()
    return X / X.sum(dim=1, keepdim=True)


def softmax_global_max(X):  # one maximum for the whole tensor: a row far below it underflows to 0/0
    e = torch.exp(X - X.max())
    return e / e.sum(1, keepdim=True)


def softmax_column_max(X):  # max over the wrong axis: each column shifted by its own number
    e = torch.exp(X - X.max(dim=0, keepdim=True).values)
    return e / e.sum(1, keepdim=True)


def softmax_fancy(X):  # right: logsumexp by hand
    m = X.amax(dim=-1, keepdim=True)
    return torch.exp(X - m - torch.log(torch.exp(X - m).sum(-1, keepdim=True)))


# --- cross-entropy (lesson 04) ---------------------------------------------------------------------

def ce_gather(y_hat, y):  # right: gather instead of fancy indexing
    return -torch.log(y_hat.gather(1, y.unsqueeze(1))).squeeze(1)


def ce_one_hot(y_hat, y):  # right: one-hot dot product
    return -(F.one_hot(y, y_hat.shape[1]) * torch.log(y_hat)).sum(1)


# --- accuracy (lesson 04) --------------------------------------------------------------------------

def book_accuracy(y_hat, y):  # D2L 3.6.5, as printed
    if len(y_hat.shape) > 1 and y_hat.shape[1] > 1:
        y_hat = y_hat.argmax(axis=1)
    cmp = y_hat.type(y.dtype) == y
    return float(cmp.type(y.dtype).sum())


def accuracy_max_value(y_hat, y):  # compares the largest score, not its index, with the label
    if y_hat.dim() > 1:
        y_hat = y_hat.max(dim=1).values
    return float((y_hat.type(y.dtype) == y).sum())


def accuracy_numpy(y_hat, y):  # .numpy() on the network's output, which requires grad
    import numpy as np
    pred = y_hat.numpy()
    pred = pred.argmax(1) if pred.ndim > 1 else pred
    return float((pred.astype(np.int64) == y.numpy()).sum())


# --- sgd (lesson 01) -------------------------------------------------------------------------------

def book_sgd(params, lr, batch_size):  # D2L 3.2.6 / d2l.sgd, as printed
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad.zero_()


def sgd_variant(sign=-1.0, divide=True, zero=True, no_grad=True, rebind=False, factor=1.0):
    def sgd(params, lr, batch_size):
        with torch.no_grad() if no_grad else contextlib.nullcontext():
            for p in params:
                step = factor * lr * p.grad / (batch_size if divide else 1)
                if rebind:
                    p = p + sign * step  # noqa: PLW2901  a new local tensor: the model's w is unchanged
                else:
                    p += sign * step
                if zero:
                    p.grad.zero_()
    return sgd


def sgd_data_assign(params, lr, batch_size):  # right: new storage, but the model's parameter holds it
    for p in params:
        p.data = p.data - lr * p.grad / batch_size
        p.grad.zero_()


def sgd_add_(params, lr, batch_size):  # right: torch's in-place add with alpha
    for p in params:
        p.data.add_(p.grad, alpha=-lr / batch_size)
        p.grad.data.zero_()


# --- data_iter (lesson 01) -------------------------------------------------------------------------

def book_data_iter(batch_size, features, labels):  # D2L 3.2.2, as printed
    num_examples = len(features)
    indices = list(range(num_examples))
    random.shuffle(indices)
    for i in range(0, num_examples, batch_size):
        batch_indices = torch.tensor(indices[i: min(i + batch_size, num_examples)])
        yield features[batch_indices], labels[batch_indices]


def data_iter_randperm(batch_size, features, labels):  # right: randperm and split
    for idx in torch.randperm(len(features)).split(batch_size):
        yield features[idx], labels[idx]


def data_iter_no_shuffle(batch_size, features, labels):
    for i in range(0, len(features), batch_size):
        yield features[i:i + batch_size], labels[i:i + batch_size]


def data_iter_drops_last(batch_size, features, labels):
    idx = torch.randperm(len(features))
    for i in range(0, len(features) - batch_size + 1, batch_size):
        yield features[idx[i:i + batch_size]], labels[idx[i:i + batch_size]]


def data_iter_two_perms(batch_size, features, labels):
    a, b = torch.randperm(len(features)), torch.randperm(len(features))
    for i in range(0, len(features), batch_size):
        yield features[a[i:i + batch_size]], labels[b[i:i + batch_size]]


def data_iter_shuffles_in_place(batch_size, features, labels):  # right batches, but the caller's data reordered
    perm = torch.randperm(len(features))
    features[:], labels[:] = features[perm], labels[perm]
    for i in range(0, len(features), batch_size):
        yield features[i:i + batch_size], labels[i:i + batch_size]


def data_iter_fixed_seed(batch_size, features, labels):  # seeds inside: the same "random" order every epoch
    random.seed(42)
    yield from book_data_iter(batch_size, features, labels)


def data_iter_off_by_one(batch_size, features, labels):  # min(i + batch_size, n - 1): the last example never comes
    n = len(features)
    indices = list(range(n))
    random.shuffle(indices)
    for i in range(0, n, batch_size):
        j = torch.tensor(indices[i: min(i + batch_size, n - 1)])
        yield features[j], labels[j]


# --- huber (lesson 06) -----------------------------------------------------------------------------

def huber_by_hand(y_hat, y, delta):  # right: masks instead of torch.where
    r = (y_hat - y).abs()
    small = (r <= delta).to(r.dtype)
    return small * 0.5 * r ** 2 + (1 - small) * delta * (r - 0.5 * delta)


def huber_no_half_delta(y_hat, y, delta):
    r = (y_hat - y).abs()
    return torch.where(r <= delta, r ** 2 / 2, delta * r)


def huber_no_abs(y_hat, y, delta):
    r = y_hat - y
    return torch.where(r <= delta, r ** 2 / 2, delta * (r - delta / 2))


def huber_item(y_hat, y, delta):  # a Python loop over floats: autograd cannot follow
    out = []
    for r in (y_hat - y).tolist():
        out.append(r * r / 2 if abs(r) <= delta else delta * (abs(r) - delta / 2))
    return torch.tensor(out)


# --- dropout (lesson 12) ---------------------------------------------------------------------------

def book_dropout_layer(X, dropout):  # D2L 5.6.2, as printed
    assert 0 <= dropout <= 1
    if dropout == 1:
        return torch.zeros_like(X)
    mask = (torch.rand(X.shape) > dropout).float()
    return mask * X / (1.0 - dropout)


def dropout_variant(keep_below=False, scale=None, mask_once=False, cpu=False):
    saved = {}

    def dropout(X, p):
        if p == 1:
            return torch.zeros_like(X)
        if mask_once and (X.shape, X.dtype, p) in saved:
            mask = saved[X.shape, X.dtype, p]
        else:
            r = torch.rand(X.shape).to(X.dtype) if cpu else torch.rand_like(X)
            mask = ((r < p) if keep_below else (r > p)).to(X.dtype)
            saved[X.shape, X.dtype, p] = mask
        return mask * X * (1 / (1 - p) if scale is None else scale(p))
    return dropout


def dropout_bernoulli(X, p):  # right: bernoulli with the keep probability, where() for p = 1
    keep = torch.bernoulli(torch.full_like(X, 1 - p))
    return torch.where(keep.bool(), X / max(1 - p, 1e-12), torch.zeros_like(X))


# --- batch norm (lesson 14) ------------------------------------------------------------------------

class BN(nn.Module):
    """A right BatchNorm by hand; the class attributes plant one mistake each."""
    eval_batch_stats = biased_running = unbiased_normalise = swap_momentum = no_update = in_place = False
    grad_mode = False  # the book's test: torch.is_grad_enabled() instead of self.training
    tracked = updates_in_eval = gamma_zero = False  # statistics rebound outside no_grad; updated in every mode

    def __init__(self, num_features):
        super().__init__()
        self.gamma, self.beta = nn.Parameter(torch.ones(num_features)), nn.Parameter(torch.zeros(num_features))
        if self.gamma_zero:  # γ and β initialised the wrong way round
            self.gamma, self.beta = nn.Parameter(torch.zeros(num_features)), nn.Parameter(torch.ones(num_features))
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))

    def forward(self, X):
        training = torch.is_grad_enabled() if self.grad_mode else self.training
        if self.updates_in_eval and not training:
            with torch.no_grad():
                self.running_mean.mul_(0.9).add_(0.1 * X.mean(0))
                self.running_var.mul_(0.9).add_(0.1 * X.var(0))
        if training or self.eval_batch_stats:
            mean, var = X.mean(0), X.var(0, unbiased=self.unbiased_normalise)
            if training and self.tracked:
                self.running_mean = 0.9 * self.running_mean + 0.1 * mean
                self.running_var = 0.9 * self.running_var + 0.1 * X.var(0)
            elif training and not self.no_update:
                m = 0.9 if self.swap_momentum else 0.1
                with torch.no_grad():
                    self.running_mean.mul_(1 - m).add_(m * mean)
                    self.running_var.mul_(1 - m).add_(m * X.var(0, unbiased=not self.biased_running))
        else:
            mean, var = self.running_mean, self.running_var
        if self.in_place:
            X -= mean
            return self.gamma * X / torch.sqrt(var + 1e-5) + self.beta
        return self.gamma * (X - mean) / torch.sqrt(var + 1e-5) + self.beta


def _bn(**planted):
    return type("BatchNorm", (BN,), planted)


class BNPerExample(BN):  # normalises each example over its features (dim 1): layer norm
    def forward(self, X):
        mean, var = X.mean(1, keepdim=True), X.var(1, unbiased=False, keepdim=True)
        return self.gamma * (X - mean) / torch.sqrt(var + 1e-5) + self.beta


class BNFunctional(nn.Module):  # right: F.batch_norm, the running statistics as keepdim-free buffers
    def __init__(self, n):
        super().__init__()
        self.weight, self.bias = nn.Parameter(torch.ones(n)), nn.Parameter(torch.zeros(n))
        self.register_buffer("running_mean", torch.zeros(n))
        self.register_buffer("running_var", torch.ones(n))

    def forward(self, X):
        return F.batch_norm(X, self.running_mean, self.running_var, self.weight, self.bias, self.training, 0.1, 1e-5)


class BNMovingByHand(nn.Module):  # right: the book's 0.9/0.1 convention, keepdim shapes, statistics by hand
    def __init__(self, n):
        super().__init__()
        self.gamma, self.beta = nn.Parameter(torch.ones(1, n)), nn.Parameter(torch.zeros(1, n))
        self.register_buffer("moving_mean", torch.zeros(1, n))
        self.register_buffer("moving_var", torch.ones(1, n))

    def forward(self, X):
        if self.training:
            mean = X.sum(0, keepdim=True) / len(X)
            var = ((X - mean) ** 2).sum(0, keepdim=True) / len(X)
            with torch.no_grad():
                self.moving_mean = 0.9 * self.moving_mean + 0.1 * mean
                self.moving_var = 0.9 * self.moving_var + 0.1 * var * len(X) / (len(X) - 1)
        else:
            mean, var = self.moving_mean, self.moving_var
        return self.gamma * (X - mean) / (var + 1e-5).sqrt() + self.beta


def book_batch_norm(X, gamma, beta, moving_mean, moving_var, eps, momentum):  # D2L 8.5.3, as printed
    if not torch.is_grad_enabled():
        X_hat = (X - moving_mean) / torch.sqrt(moving_var + eps)
    else:
        assert len(X.shape) in (2, 4)
        if len(X.shape) == 2:
            mean = X.mean(dim=0)
            var = ((X - mean) ** 2).mean(dim=0)
        else:
            mean = X.mean(dim=(0, 2, 3), keepdim=True)
            var = ((X - mean) ** 2).mean(dim=(0, 2, 3), keepdim=True)
        X_hat = (X - mean) / torch.sqrt(var + eps)
        moving_mean = (1.0 - momentum) * moving_mean + momentum * mean
        moving_var = (1.0 - momentum) * moving_var + momentum * var
    Y = gamma * X_hat + beta
    return Y, moving_mean.data, moving_var.data


class BookBatchNorm(nn.Module):  # D2L 8.5.3, as printed, with num_dims=2 fixed so check_batch_norm can build it
    def __init__(self, num_features, num_dims=2):
        super().__init__()
        shape = (1, num_features) if num_dims == 2 else (1, num_features, 1, 1)
        self.gamma = nn.Parameter(torch.ones(shape))
        self.beta = nn.Parameter(torch.zeros(shape))
        self.moving_mean = torch.zeros(shape)
        self.moving_var = torch.ones(shape)

    def forward(self, X):
        if self.moving_mean.device != X.device:
            self.moving_mean = self.moving_mean.to(X.device)
            self.moving_var = self.moving_var.to(X.device)
        Y, self.moving_mean, self.moving_var = book_batch_norm(
            X, self.gamma, self.beta, self.moving_mean, self.moving_var, eps=1e-5, momentum=0.1)
        return Y


class BookBatchNormBuffers(BookBatchNorm):  # the book's with its statistics registered as buffers
    def __init__(self, num_features):
        super().__init__(num_features)
        moving_mean, moving_var = self.moving_mean, self.moving_var
        del self.moving_mean, self.moving_var
        self.register_buffer("moving_mean", moving_mean)
        self.register_buffer("moving_var", moving_var)


# --- optimizers (lesson 10) ------------------------------------------------------------------------

class Momentum(torch.optim.Optimizer):
    """Right heavy-ball momentum (= torch.optim.SGD(momentum=...)); flags plant one mistake each."""
    ascent = rebind = reset_state = one_lr = no_skip = ema = False
    index_keyed = False  # velocity kept under the index within a group, which two groups share

    def __init__(self, params, lr, momentum=0.9):
        super().__init__(params, dict(lr=lr, momentum=momentum))
        self.lr, self.by_index = lr, {}

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            lr = self.lr if self.one_lr else group["lr"]
            for i, p in enumerate(group["params"]):
                if p.grad is None and not self.no_skip:
                    continue
                state = self.by_index.setdefault(i, {}) if self.index_keyed else self.state[p]
                g = p.grad * (1 - group["momentum"]) if self.ema else p.grad
                if "v" not in state or self.reset_state:
                    state["v"] = g.clone()
                else:
                    state["v"].mul_(group["momentum"]).add_(g)
                if self.rebind:
                    p = p - lr * state["v"]  # noqa: PLW2901
                elif self.ascent:
                    p += lr * state["v"]
                else:
                    p -= lr * state["v"]


def _momentum(**planted):
    return type("Momentum", (Momentum,), planted)


class MomentumFunctional(torch.optim.Optimizer):  # right: velocity as v = βv + g with torch ops, p.add_
    def __init__(self, params, lr, momentum):
        super().__init__(params, dict(lr=lr, momentum=momentum))

    def step(self):
        with torch.no_grad():
            for group in self.param_groups:
                for p in filter(lambda q: q.grad is not None, group["params"]):
                    v = self.state[p].get("v")
                    v = p.grad.detach().clone() if v is None else torch.add(p.grad, v, alpha=group["momentum"])
                    self.state[p]["v"] = v
                    p.add_(v, alpha=-group["lr"])


class Adam(torch.optim.Optimizer):
    """Right Adam (= torch.optim.Adam); flags plant one mistake each."""
    no_bias_correction = grad_not_squared = eps_inside = False
    one_counter = False  # one step count for the optimizer, bumped once per parameter

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps))
        self.t = 0

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            b1, b2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                s = self.state[p]
                if not s:
                    s["t"], s["m"], s["v"] = 0, torch.zeros_like(p), torch.zeros_like(p)
                s["t"] += 1
                if self.one_counter:
                    self.t += 1
                    s["t"] = self.t
                g = p.grad
                s["m"].mul_(b1).add_((1 - b1) * g)
                s["v"].mul_(b2).add_((1 - b2) * (g.abs() if self.grad_not_squared else g * g))
                m, v = s["m"], s["v"]
                if not self.no_bias_correction:
                    m, v = m / (1 - b1 ** s["t"]), v / (1 - b2 ** s["t"])
                denom = (v + group["eps"]).sqrt() if self.eps_inside else v.sqrt() + group["eps"]
                p -= group["lr"] * m / denom


def _adam(**planted):
    return type("Adam", (Adam,), planted)


# --- clipping (lesson 13) --------------------------------------------------------------------------

def clip_variant(per_tensor=False, always=False, no_return=False, after=False, no_sqrt=False, rebind=False,
                 params_not_grads=False, no_skip=False):
    def clip(params, max_norm):
        grads = [p.grad for p in params if no_skip or p.grad is not None]
        sq = sum((g ** 2).sum() for g in grads)
        norm = sq if no_sqrt else torch.sqrt(sq)
        for p, g in zip([p for p in params if no_skip or p.grad is not None], grads):
            n = g.norm() if per_tensor else norm
            if n > max_norm or always:
                if rebind:
                    g = g * (max_norm / n)  # noqa: PLW2901  a new local tensor: .grad unchanged
                elif params_not_grads:
                    with torch.no_grad():
                        p.mul_(max_norm / n)
                else:
                    g.mul_(max_norm / n)
        if no_return:
            return None
        return torch.sqrt(sum((g ** 2).sum() for g in grads)) if after else norm
    return clip


def clip_by_hand(params, max_norm):  # right: the norm worked out in floats, p.grad rebound to a new tensor
    grads = [p for p in params if p.grad is not None]
    total = math.sqrt(sum(float(p.grad.pow(2).sum()) for p in grads))
    scale = min(1.0, max_norm / (total + 1e-6))
    for p in grads:
        p.grad = p.grad * scale
    return torch.tensor(total)


def book_grad_clipping(net, theta):  # D2L 9.5.3, as printed (it takes a model, returns nothing)
    if isinstance(net, nn.Module):
        params = [p for p in net.parameters() if p.requires_grad]
    else:
        params = net.params
    norm = torch.sqrt(sum(torch.sum((p.grad ** 2)) for p in params))
    if norm > theta:
        for param in params:
            param.grad[:] *= theta / norm


# --- k-fold (lesson 11) ----------------------------------------------------------------------------

def k_fold_variant(floor=False, overlap=False, train_all=False, k_minus_one=False, last_takes_rest=False,
                   train_before_only=False):
    def k_fold_indices(n, k):
        idx, size, out = torch.arange(n), n // k, []
        for i in range(k - 1 if k_minus_one else k):
            if floor:
                lo, hi = i * size, (i + 1) * size
            elif last_takes_rest:
                lo, hi = i * size, n if i == k - 1 else (i + 1) * size
            else:
                lo, hi = i * n // k, (i + 1) * n // k
            if overlap:
                hi += 1
            held = idx[lo:hi]
            train = idx if train_all else idx[:lo] if train_before_only else torch.cat([idx[:lo], idx[hi:]])
            out.append((train, held))
        return out
    return k_fold_indices


def k_fold_lists(n, k):  # right: Python lists, strided folds
    return [([j for j in range(n) if j % k != i], list(range(i, n, k))) for i in range(k)]


def book_get_k_fold_data(k, i, X, y):  # D2L 5.7.5 (Kaggle house prices), as printed
    assert k > 1
    fold_size = X.shape[0] // k
    X_train, y_train = None, None
    for j in range(k):
        idx = slice(j * fold_size, (j + 1) * fold_size)
        X_part, y_part = X[idx, :], y[idx]
        if j == i:
            X_valid, y_valid = X_part, y_part
        elif X_train is None:
            X_train, y_train = X_part, y_part
        else:
            X_train = torch.cat([X_train, X_part], 0)
            y_train = torch.cat([y_train, y_part], 0)
    return X_train, y_train, X_valid, y_valid


def book_k_fold_as_indices(n, k):
    X = torch.arange(n).reshape(n, 1)
    folds = [book_get_k_fold_data(k, i, X, torch.arange(n)) for i in range(k)]
    return [(y_train, y_valid) for _, y_train, _, y_valid in folds]


# --- quantization (lesson 15) ----------------------------------------------------------------------

def qparams(x):
    lo, hi = min(x.min().item(), 0.0), max(x.max().item(), 0.0)
    scale = max((hi - lo) / 255, torch.finfo(torch.float32).eps)
    return torch.tensor(scale).item(), int(min(max(-round(lo / scale), 0), 255))


def quantize(x, scale, zp):
    return torch.clamp(torch.round(x / scale) + zp, 0, 255).to(torch.uint8)


def dequantize(q, scale, zp):
    return scale * (q.to(torch.float32) - zp)


def qparams_float_zp(x):
    scale, _ = qparams(x)
    return scale, -min(x.min().item(), 0.0) / scale


def quantize_float_zp(x, s, z):  # the float zero point added after rounding: codes a fraction off
    return torch.clamp(torch.round(x / s) + z, 0, 255).to(torch.uint8)


def dequantize_uint8(q, s, z):  # q - z computed in uint8: wraps around below the zero point
    return s * (q - torch.tensor(z, dtype=torch.uint8)).to(torch.float32)


def qparams_256(x):
    lo, hi = min(x.min().item(), 0.0), max(x.max().item(), 0.0)
    scale = max((hi - lo) / 256, 1e-8)
    return scale, int(round(-lo / scale))


def quantize_by_hand(x, s, z):  # right: numbers by hand, clamp via min/max
    return (x / s + z).round().maximum(torch.tensor(0.0)).minimum(torch.tensor(255.0)).to(torch.uint8)


# --- gradient (lesson 00) --------------------------------------------------------------------------

A = torch.randn(4, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
b = torch.randn(4, dtype=torch.float64, generator=torch.Generator().manual_seed(4))


def _grad_in_place(x):
    return x.mul_(2)


# --- data loader (lessons 03, 08) ------------------------------------------------------------------

class Loader:
    """A right minibatch loader; flags plant one mistake each."""
    shuffle_once = returns_self = drop_last = floor_len = always_shuffle = two_perms = shuffles_input = False
    len_plus_one = order_unused = reseeded = swapped = False  # n // b + 1; slices of the stored order; (y, X)

    def __init__(self, X, y, batch_size, shuffle=False):
        self.X, self.y, self.batch_size, self.shuffle = X, y, batch_size, shuffle
        self.order = torch.randperm(len(X))
        if self.shuffles_input and shuffle:
            X[:], y[:] = X[self.order].clone(), y[self.order].clone()

    def __len__(self):
        if self.len_plus_one:
            return len(self.X) // self.batch_size + 1
        return len(self.X) // self.batch_size if self.floor_len else math.ceil(len(self.X) / self.batch_size)

    def _batches(self):
        n = len(self.X)
        shuffle = (self.shuffle or self.always_shuffle) and not self.shuffles_input
        order = (self.order if self.shuffle_once else torch.randperm(n)) if shuffle else torch.arange(n)
        if self.reseeded and shuffle:  # a generator seeded anew each epoch: the same order every time
            order = torch.randperm(n, generator=torch.Generator().manual_seed(0))
        if self.order_unused:  # drawn, then the stored order sliced
            order = torch.arange(n)
        other = torch.randperm(n) if self.two_perms and shuffle else order
        stop = n - self.batch_size + 1 if self.drop_last else n
        for i in range(0, stop, self.batch_size):
            xb, yb = self.X[order[i:i + self.batch_size]], self.y[other[i:i + self.batch_size]]
            yield (yb, xb) if self.swapped else (xb, yb)

    def __iter__(self):
        if self.returns_self:
            self._it = self._batches()
            return self
        return self._batches()

    def __next__(self):
        return next(self._it)


def _loader(**planted):
    return type("DataLoader", (Loader,), planted)


def torch_loader(X, y, batch_size, shuffle):  # right: the book's load_array (D2L 3.3.2)
    dataset = torch.utils.data.TensorDataset(X, y)
    return torch.utils.data.DataLoader(dataset, batch_size, shuffle=shuffle)


# --- the table -------------------------------------------------------------------------------------
# (check, id, implementation, a substring of the report that names the mistake)

# --- a second round: mistakes a fresh reviewer wrote without reading the list above (December 2026) -----

def softmax_nan_to_num(X):  # the overflow's nan replaced by 0: finite, and wrong
    e = torch.exp(X)
    return torch.nan_to_num(e / e.sum(1, keepdim=True))


def sgd_zero_first(params, lr, batch_size):  # the gradient zeroed before the update reads it
    with torch.no_grad():
        for p in params:
            p.grad.zero_()
            p -= lr * p.grad / batch_size


def sgd_zero_after_the_loop(params, lr, batch_size):  # zero_() dedented: only the last parameter's
    with torch.no_grad():
        for p in params:
            p -= lr * p.grad / batch_size
        p.grad.zero_()


def sgd_grad_to_none(params, lr, batch_size):  # right: None, as zero_grad() leaves it by default
    with torch.no_grad():
        for p in params:
            p -= lr * p.grad / batch_size
            p.grad = None


def dropout_scaled_mask(X, p):  # X forgotten: the scaled mask itself
    return torch.zeros_like(X) if p == 1 else (torch.rand_like(X) > p).to(X.dtype) / (1 - p)


def dropout_mask_from_X(X, p):  # the random numbers compared after multiplying by X
    return torch.zeros_like(X) if p == 1 else (torch.rand_like(X) * X > p).to(X.dtype) * X / (1 - p)


def dropout_per_feature(X, p):  # one random number per feature, shared by every example
    return X if p == 0 else torch.zeros_like(X) if p == 1 else (torch.rand_like(X[0]) > p).to(X.dtype) * X / (1 - p)


def dropout_per_example(X, p):  # one random number per example
    return X if p == 0 else torch.zeros_like(X) if p == 1 else \
        (torch.rand_like(X[:, :1]) > p).to(X.dtype) * X / (1 - p)


def clip_values(params, max_norm):  # clip_grad_value_ by hand: each entry to ±max_norm
    grads = [p.grad for p in params if p.grad is not None]
    norm = torch.sqrt(sum((g ** 2).sum() for g in grads))
    for g in grads:
        g.clamp_(-max_norm, max_norm)
    return norm


def clip_concatenated(params, max_norm):  # torch.cat of a weight's and a bias's gradients
    grads = [p.grad for p in params if p.grad is not None]
    norm = torch.cat(grads).norm()
    if norm > max_norm:
        for g in grads:
            g.mul_(max_norm / norm)
    return norm


def clip_returns_a_float(params, max_norm):  # .item(): lesson 13's assert_close with clip_grad_norm_'s fails
    grads = [p.grad for p in params if p.grad is not None]
    norm = torch.sqrt(sum((g ** 2).sum() for g in grads)).item()
    if norm > max_norm:
        for g in grads:
            g.mul_(max_norm / norm)
    return norm


def cel_global_max(o, y):  # one maximum for the whole batch: a row far below it underflows
    m = o.max()
    return m + torch.log(torch.exp(o - m).sum(1)) - o[range(len(o)), y]


def data_iter_fixed_batches_shuffled_within(batch_size, features, labels):  # the same examples share a batch
    n = len(features)
    for i in range(0, n, batch_size):
        j = i + torch.randperm(min(batch_size, n - i))
        yield features[j], labels[j]


def data_iter_batch_order_shuffled(batch_size, features, labels):  # fixed batches in a random order
    starts = list(range(0, len(features), batch_size))
    random.shuffle(starts)
    for i in starts:
        yield features[i:i + batch_size], labels[i:i + batch_size]


def data_iter_flat_labels(batch_size, features, labels):  # labels (n, 1) handed out as (b,)
    order = torch.randperm(len(features))
    for i in range(0, len(features), batch_size):
        j = order[i:i + batch_size]
        yield features[j], labels[j].reshape(-1)


def k_fold_masks(n, k):  # boolean masks instead of indices
    folds = []
    for i in range(k):
        held = torch.zeros(n, dtype=torch.bool)
        held[i * n // k:(i + 1) * n // k] = True
        folds.append((~held, held))
    return folds


def k_fold_training_part_in_pieces(n, k):  # the indices before and after the held-out ones, never joined
    idx = torch.arange(n)
    return [([idx[:i * n // k], idx[(i + 1) * n // k:]], idx[i * n // k:(i + 1) * n // k]) for i in range(k)]


def qparams_as_tensors(x):  # right: the scale a 0-d tensor, as tensor arithmetic leaves it
    lo, hi = x.min().clamp(max=0), x.max().clamp(min=0)
    scale = torch.clamp((hi - lo) / 255, min=1e-8)
    return scale, int(torch.round(-lo / scale))


def qparams_truncated_zero_point(x):  # int() cuts -min / scale down instead of rounding it
    lo, hi = min(x.min().item(), 0.0), max(x.max().item(), 0.0)
    scale = max((hi - lo) / 255, 1e-8)
    return scale, int(-lo / scale)


def huber_sqrt_abs(y_hat, y, delta):  # |r| as sqrt(r²): no gradient (nan) at r = 0
    r = torch.sqrt((y_hat - y) ** 2)
    return torch.where(r <= delta, r ** 2 / 2, delta * (r - delta / 2))


SECOND_ROUND = [
    ("data_iter", "fixed-batches-shuffled-within", data_iter_fixed_batches_shuffled_within, "always share a batch"),
    ("data_iter", "batch-order-shuffled", data_iter_batch_order_shuffled, "fixed batches in a random order"),
    ("data_iter", "labels-flattened", data_iter_flat_labels, "without reshaping"),
    ("data_loader", "len-n//b+1", _loader(len_plus_one=True), "only when batch_size does not divide n"),
    ("data_loader", "permutation-unused", _loader(order_unused=True), "still came in their stored order"),
    ("data_loader", "reseeded-each-epoch", _loader(reseeded=True), "seeded anew in each __iter__"),
    ("data_loader", "yields-(y, X)", _loader(swapped=True), "features first"),
    ("k_fold", "boolean-masks", k_fold_masks, "boolean masks"),
    ("k_fold", "float-indices", lambda n, k: [(t.float(), h.float()) for t, h in d2l.k_fold_indices(n, k)],
     "float indices"),
    ("k_fold", "training-part-in-pieces", k_fold_training_part_in_pieces, "torch.cat"),
    ("quantize", "truncated-zero-point", (qparams_truncated_zero_point, quantize, dequantize), "cut to an integer"),
    ("huber_loss", "abs-as-sqrt-of-square", huber_sqrt_abs, "sqrt(r²)"),
    ("momentum", "velocity-keyed-by-index", _momentum(index_keyed=True), "self.state[p]"),
    ("adam", "one-step-counter-for-all", _adam(one_counter=True), "once per step"),
    ("softmax", "nan_to_num", softmax_nan_to_num, "nan_to_num"),
    ("softmax", "clamped-logits", lambda X: torch.exp(X.clamp(max=80)) / torch.exp(X.clamp(max=80)).sum(1, keepdim=True),
     "capping the logits"),
    ("cross_entropy", "one_hot-without-num_classes", lambda y_hat, y: -(F.one_hot(y) * torch.log(y_hat)).sum(1),
     "num_classes"),
    ("cross_entropy_from_logits", "global-max", cel_global_max, "each row's own maximum"),
    ("cross_entropy_from_logits", "one_hot-without-num_classes",
     lambda o, y: torch.logsumexp(o, 1) - (o * F.one_hot(y)).sum(1), "num_classes"),
    ("sgd", "zeroes-before-the-update", sgd_zero_first, "zeroed before the update read it"),
    ("sgd", "zero_-after-the-loop", sgd_zero_after_the_loop, "inside the loop over params"),
    ("dropout", "returns-the-mask", dropout_scaled_mask, "multiply X by it"),
    ("dropout", "mask-from-X", dropout_mask_from_X, "must not depend on X's values"),
    ("dropout", "one-mask-per-feature", dropout_per_feature, "every row of X got the same mask"),
    ("dropout", "one-mask-per-example", dropout_per_example, "every column of X got the same mask"),
    ("batch_norm", "statistics-keep-autograd-history", _bn(tracked=True), "torch.no_grad()"),
    ("batch_norm", "updates-in-eval", _bn(updates_in_eval=True), "changed its running statistics"),
    ("batch_norm", "gamma-0-beta-1", _bn(gamma_zero=True), "γ starts as ones"),
    ("clip_gradients", "clips-values", clip_values, "clip_grad_value_"),
    ("clip_gradients", "cat-of-2d-and-1d", clip_concatenated, "flatten each"),
    ("clip_gradients", "returns-a-float", clip_returns_a_float, "as a tensor"),
    ("gradient", "tanh'-without-square", (lambda x: torch.tanh(x).sum(), lambda x: 1 - torch.tanh(x)), "1 - tanh²"),
    ("gradient", "relu'-taken-as-relu", (lambda x: torch.relu(A @ x).sum(), lambda x: A.T @ torch.relu(A @ x)),
     "not ReLU itself"),
    ("gradient", "abs'-as-ones", (lambda x: x.abs().sum(), lambda x: torch.ones_like(x)), "sign(x)"),
]

MISTAKES = [
    # softmax
    ("softmax", "no-max-shift", softmax_no_shift, "subtract each row's maximum"),
    ("softmax", "in-place-sub_-exp_", softmax_in_place, "changed its argument 1 in place"),
    ("softmax", "sum-over-dim0", lambda X: torch.exp(X) / torch.exp(X).sum(0, keepdim=True), "dim=1"),
    ("softmax", "sum-over-everything", lambda X: torch.exp(X) / torch.exp(X).sum(), "by its own sum"),
    ("softmax", "no-keepdim", lambda X: torch.exp(X) / torch.exp(X).sum(1), "keepdim=True"),
    ("softmax", "no-exp", lambda X: X / X.sum(1, keepdim=True), "exponentiate"),
    ("softmax", "returns-log-softmax", lambda X: X - torch.logsumexp(X, 1, keepdim=True), "log-probabilities"),
    ("softmax", "global-max", softmax_global_max, "each row's maximum"),
    ("softmax", "max-over-dim0", softmax_column_max, "each row's maximum"),
    # cross-entropy on probabilities
    ("cross_entropy", "y_hat[:, y]-block", lambda y_hat, y: -torch.log(y_hat[:, y]), "y_hat[range(len(y_hat)), y]"),
    ("cross_entropy", "no-minus", lambda y_hat, y: torch.log(y_hat[range(len(y_hat)), y]), "sign"),
    ("cross_entropy", "no-log", lambda y_hat, y: -y_hat[range(len(y_hat)), y], "take the log"),
    ("cross_entropy", "averaged", lambda y_hat, y: -torch.log(y_hat[range(len(y_hat)), y]).mean(), "averaged"),
    ("cross_entropy", "softmax-again", lambda y_hat, y: F.cross_entropy(y_hat, y, reduction="none"),
     "already probabilities"),
    ("cross_entropy", "in-place-log_", lambda y_hat, y: -y_hat.log_()[range(len(y_hat)), y], "in place"),
    # cross-entropy on logits
    ("cross_entropy_from_logits", "averaged", lambda o, y: F.cross_entropy(o, y), "averaged"),
    ("cross_entropy_from_logits", "no-max-shift",
     lambda o, y: torch.log(torch.exp(o).sum(1)) - o[range(len(o)), y], "subtract each row's maximum"),
    ("cross_entropy_from_logits", "log-of-softmax",
     lambda o, y: -torch.log(torch.softmax(o, 1)[range(len(o)), y]), "log(0)"),
    ("cross_entropy_from_logits", "opposite-sign", lambda o, y: o[range(len(o)), y] - torch.logsumexp(o, 1), "sign"),
    ("cross_entropy_from_logits", "max-not-added-back",
     lambda o, y: torch.log(torch.exp(o - o.max(1, keepdim=True).values).sum(1)) - o[range(len(o)), y],
     "add the maximum back"),
    ("cross_entropy_from_logits", "logsumexp-dim0", lambda o, y: torch.logsumexp(o, 0) - o[range(len(o)), y], "dim"),
    # accuracy
    ("accuracy", "fraction", lambda y_hat, y: float((y_hat.argmax(1) == y).float().mean()), "fraction"),
    ("accuracy", "argmax-dim0", lambda y_hat, y: float((y_hat.argmax(0) == y).sum()), "wrong dim"),
    ("accuracy", "always-argmax", lambda y_hat, y: float((y_hat.argmax(-1) == y).sum()), "more than one column"),
    ("accuracy", "max-value-not-index", accuracy_max_value, "argmax"),
    ("accuracy", "numpy-on-grad", accuracy_numpy, "detach"),
    ("accuracy", "in-place", lambda y_hat, y: float((y_hat.mul_(2).argmax(-1) == y).sum()), "in place"),
    # sgd
    ("sgd", "rebinds-p", sgd_variant(rebind=True), "update in place inside torch.no_grad()"),
    ("sgd", "gradient-ascent", sgd_variant(sign=1.0), "moved up the gradient"),
    ("sgd", "no-division-by-batch_size", sgd_variant(divide=False), "divide by batch_size"),
    ("sgd", "divides-twice", sgd_variant(factor=0.25), "batch_size twice"),
    ("sgd", "factor-2", sgd_variant(factor=2.0), "factor of 2"),
    ("sgd", "no-zero-grad", sgd_variant(zero=False), "grad.zero_()"),
    ("sgd", "no-torch.no_grad", sgd_variant(no_grad=False), "torch.no_grad()"),
    # data_iter
    ("data_iter", "no-shuffle", data_iter_no_shuffle, "random order"),
    ("data_iter", "seeded-inside", data_iter_fixed_seed, "new random order every epoch"),
    ("data_iter", "drops-last-batch", data_iter_drops_last, "keeps the remainder"),
    ("data_iter", "two-permutations", data_iter_two_perms, "same batch indices"),
    ("data_iter", "shuffles-caller-data", data_iter_shuffles_in_place, "in place"),
    ("data_iter", "min(i+b, n-1)", data_iter_off_by_one, "n - 1"),
    # squared loss
    ("squared_loss", "column-minus-row", lambda y_hat, y: (y_hat - y) ** 2 / 2, "y.reshape(y_hat.shape)"),
    ("squared_loss", "no-half", lambda y_hat, y: (y_hat - y.reshape(y_hat.shape)) ** 2, "left out the 1/2"),
    ("squared_loss", "detached", lambda y_hat, y: (y_hat.detach() - y.reshape(y_hat.shape)) ** 2 / 2, ".detach()"),
    ("squared_loss", "averaged", lambda y_hat, y: ((y_hat - y.reshape(y_hat.shape)) ** 2 / 2).mean(), "averaged"),
    ("squared_loss", "in-place-sub_", lambda y_hat, y: y_hat.sub_(y.reshape(y_hat.shape)) ** 2 / 2, "in place"),
    ("squared_loss", "abs-not-square", lambda y_hat, y: (y_hat - y.reshape(y_hat.shape)).abs() / 2, "square"),
    # huber
    ("huber_loss", "smooth-l1", lambda y_hat, y, d: F.smooth_l1_loss(y_hat, y, reduction="none", beta=d),
     "Every value is divided by δ"),
    ("huber_loss", "no-minus-δ/2", huber_no_half_delta, "subtract δ²/2"),
    ("huber_loss", "no-abs", huber_no_abs, "negative residuals"),
    ("huber_loss", "mean", lambda y_hat, y, d: F.huber_loss(y_hat, y, delta=d), "reduce (mean) outside"),
    ("huber_loss", "squared-everywhere", lambda y_hat, y, d: (y_hat - y) ** 2 / 2, "That is the squared loss everywhere"),
    ("huber_loss", "python-floats", huber_item, "autograd"),
    # dropout
    ("dropout", "no-rescale", dropout_variant(scale=lambda p: 1.0), "not rescaled"),
    ("dropout", "keeps-with-prob-p", dropout_variant(keep_below=True), "probability of dropping"),
    ("dropout", "scales-by-1/p", dropout_variant(scale=lambda p: 1 / p), "1/p"),
    ("dropout", "multiplies-by-1-p", dropout_variant(scale=lambda p: 1 - p), "divide by it"),
    ("dropout", "one-mask-for-all-calls", dropout_variant(mask_once=True), "new random mask every call"),
    ("dropout", "p=1-divides-by-zero", lambda X, p: (torch.rand_like(X) > p).to(X.dtype) * X / (1 - p), "p = 1"),
    ("dropout", "mask-on-cpu", dropout_variant(cpu=True), "rand_like"),
    ("dropout", "in-place-mul_", lambda X, p: X.mul_((torch.rand_like(X) > p).to(X.dtype) / (1 - p)), "in place"),
    # batch norm
    ("batch_norm", "batch-stats-at-eval", _bn(eval_batch_stats=True), "running statistics, not the batch's"),
    ("batch_norm", "biased-running-var", _bn(biased_running=True), "unbiased variance"),
    ("batch_norm", "unbiased-var-to-normalise", _bn(unbiased_normalise=True), "unbiased=False"),
    ("batch_norm", "momentum-swapped", _bn(swap_momentum=True), "momentum 0.1"),
    ("batch_norm", "running-stats-never-updated", _bn(no_update=True), "never updated"),
    ("batch_norm", "normalises-dim1", BNPerExample, "dim 0"),
    ("batch_norm", "in-place-on-input", _bn(in_place=True), "in place"),
    ("batch_norm", "is_grad_enabled-for-mode", _bn(grad_mode=True), "self.training"),
    # optimizers: momentum and Adam
    ("momentum", "gradient-ascent", _momentum(ascent=True), "moved up the gradient"),
    ("momentum", "rebinds-p", _momentum(rebind=True), "update in place"),
    ("momentum", "velocity-reset-each-step", _momentum(reset_state=True), "state kept between steps"),
    ("momentum", "ignores-group-lr", _momentum(one_lr=True), "group['lr']"),
    ("momentum", "no-skip-for-None-grad", _momentum(no_skip=True), "if p.grad is None: continue"),
    ("momentum", "ema-velocity", _momentum(ema=True), "factor of 0.1"),
    ("adam", "no-bias-correction", _adam(no_bias_correction=True), "bias correction"),
    ("adam", "abs-not-square", _adam(grad_not_squared=True), "(g * g)"),
    ("adam", "eps-inside-sqrt", _adam(eps_inside=True), "eps is added after the square root"),
    # clipping
    ("clip_gradients", "per-tensor-norm", clip_variant(per_tensor=True), "clipped each tensor by its own norm"),
    ("clip_gradients", "always-scales", clip_variant(always=True), "only shrinks"),
    ("clip_gradients", "returns-nothing", clip_variant(no_return=True), "return the total norm"),
    ("clip_gradients", "returns-norm-after", clip_variant(after=True), "before clipping"),
    ("clip_gradients", "no-sqrt", clip_variant(no_sqrt=True), "square root"),
    ("clip_gradients", "rebinds-grad", clip_variant(rebind=True), "in place"),
    ("clip_gradients", "scales-parameters", clip_variant(params_not_grads=True), "parameters"),
    ("clip_gradients", "no-skip-for-None-grad", clip_variant(no_skip=True), "skip"),
    # k-fold
    ("k_fold", "remainder-never-validated", k_fold_variant(floor=True), "remainder"),
    ("k_fold", "off-by-one-overlap", k_fold_variant(overlap=True), "overlap"),
    ("k_fold", "trains-on-held-out", k_fold_variant(train_all=True), "trained on"),
    ("k_fold", "range(k-1)", k_fold_variant(k_minus_one=True), "range(k)"),
    ("k_fold", "last-fold-takes-rest", k_fold_variant(last_takes_rest=True), "spread the remainder"),
    ("k_fold", "trains-on-earlier-folds-only", k_fold_variant(train_before_only=True), "every example that is not held out"),
    # quantization
    ("quantize", "float-zero-point", (qparams_float_zp, quantize_float_zp, dequantize), "zero point must be an integer"),
    ("quantize", "no-clamp", (qparams, lambda x, s, z: (torch.round(x / s) + z).to(torch.uint8), dequantize),
     "wraps around"),
    ("quantize", "truncates", (qparams, lambda x, s, z: torch.clamp(x / s + z, 0, 255).to(torch.uint8), dequantize),
     "torch.round first"),
    ("quantize", "uint8-subtraction", (qparams, quantize, dequantize_uint8), "q.float()"),
    ("quantize", "256-steps", (qparams_256, quantize, dequantize), "255"),
    ("quantize", "range-without-0",
     (lambda x: ((x.max() - x.min()).item() / 255, int(round(-x.min().item() / ((x.max() - x.min()).item() / 255)))),
      quantize, dequantize), "include 0"),
    ("quantize", "no-zero-point-in-dequantize", (qparams, quantize, lambda q, s, z: s * q.to(torch.float32)),
     "zero_point left out"),
    # gradient
    ("gradient", "2Ax-for-non-symmetric-A", (lambda x: x @ A @ x, lambda x: 2 * A @ x), "symmetric"),
    ("gradient", "forgot-factor-2", (lambda x: (x ** 2).sum(), lambda x: x), "factor of 2"),
    ("gradient", "chain-rule-sign", (lambda x: torch.exp(-x).sum(), lambda x: torch.exp(-x)), "opposite sign"),
    ("gradient", "wrong-shape", (lambda x: x @ A @ x, lambda x: ((A + A.T) @ x).sum()), "shape"),
    ("gradient", "in-place", (lambda x: (x ** 2).sum(), _grad_in_place), "in place"),
    ("gradient", "f-not-scalar", (lambda x: A @ x, lambda x: A.T @ torch.ones_like(x)), "scalar"),
    # data loader
    ("data_loader", "shuffles-once-in-init", _loader(shuffle_once=True), "shuffle inside __iter__"),
    ("data_loader", "__iter__-returns-self", _loader(returns_self=True), "generator"),
    ("data_loader", "drops-last", _loader(drop_last=True), "last, short batch"),
    ("data_loader", "floor-len", _loader(floor_len=True), "ceil"),
    ("data_loader", "ignores-shuffle=False", _loader(always_shuffle=True), "shuffle=False"),
    ("data_loader", "two-permutations", _loader(two_perms=True), "same batch indices"),
    ("data_loader", "shuffles-caller-data", _loader(shuffles_input=True), "in place"),
] + SECOND_ROUND

CORRECT = [
    ("softmax", "d2lcore", d2l.softmax), ("softmax", "torch.softmax", lambda X: torch.softmax(X, dim=1)),
    ("softmax", "logsumexp-by-hand", softmax_fancy),
    ("cross_entropy", "d2lcore", d2l.cross_entropy), ("cross_entropy", "gather", ce_gather),
    ("cross_entropy", "one-hot", ce_one_hot),
    ("cross_entropy", "nll_loss", lambda y_hat, y: F.nll_loss(torch.log(y_hat), y, reduction="none")),
    ("cross_entropy", "book", lambda y_hat, y: - torch.log(y_hat[range(len(y_hat)), y])),  # D2L 4.4.5
    ("cross_entropy_from_logits", "d2lcore", d2l.cross_entropy_from_logits),
    ("cross_entropy_from_logits", "by-hand",
     lambda o, y: (o.max(1).values + (o - o.max(1, keepdim=True).values).exp().sum(1).log())
     - o.gather(1, y[:, None]).squeeze(1)),
    ("cross_entropy_from_logits", "book-concise", lambda o, y: F.cross_entropy(o, y, reduction="none")),  # D2L 4.5
    ("accuracy", "d2lcore", d2l.accuracy), ("accuracy", "book", book_accuracy),
    ("accuracy", "eq-sum-item", lambda y_hat, y: (y_hat.reshape(len(y), -1).argmax(1) if y_hat.dim() > 1 else
                                                  y_hat.long()).eq(y).sum().item()),
    ("sgd", "d2lcore", d2l.sgd), ("sgd", "book", book_sgd), ("sgd", "data.add_", sgd_add_),
    ("sgd", "data-assign", sgd_data_assign), ("sgd", "grad-set-to-None", sgd_grad_to_none),
    ("data_iter", "book", book_data_iter), ("data_iter", "randperm-split", data_iter_randperm),
    ("squared_loss", "d2lcore", d2l.squared_loss), ("squared_loss", "book",  # D2L 3.2.4
                                                    lambda y_hat, y: (y_hat - y.reshape(y_hat.shape)) ** 2 / 2),
    ("squared_loss", "mse-none", lambda y_hat, y: F.mse_loss(y_hat, y.view_as(y_hat), reduction="none") / 2),
    ("squared_loss", "y-minus-y_hat", lambda y_hat, y: 0.5 * (y.reshape(-1, 1) - y_hat).pow(2)),
    ("huber_loss", "d2lcore", d2l.huber_loss), ("huber_loss", "masks", huber_by_hand),
    ("huber_loss", "F.huber_loss", lambda y_hat, y, d: F.huber_loss(y_hat, y, reduction="none", delta=d)),
    ("dropout", "rand_like", dropout_variant()), ("dropout", "bernoulli", dropout_bernoulli),
    ("dropout", "F.dropout", lambda X, p: F.dropout(X, p, training=True)),
    ("batch_norm", "by-hand", BN), ("batch_norm", "F.batch_norm", BNFunctional),
    ("batch_norm", "0.9-moving-keepdim", BNMovingByHand), ("batch_norm", "nn.BatchNorm1d", nn.BatchNorm1d),
    ("momentum", "by-hand", Momentum), ("momentum", "functional", MomentumFunctional),
    ("momentum", "torch", torch.optim.SGD), ("adam", "by-hand", Adam), ("adam", "torch", torch.optim.Adam),
    ("clip_gradients", "by-hand-floats", clip_by_hand), ("clip_gradients", "in-place", clip_variant()),
    ("clip_gradients", "torch", torch.nn.utils.clip_grad_norm_),
    ("k_fold", "d2lcore", d2l.k_fold_indices), ("k_fold", "strided-lists", k_fold_lists),
    ("k_fold", "chunk", lambda n, k: [(torch.cat([c for j, c in enumerate(torch.arange(n).tensor_split(k)) if j != i]),
                                       torch.arange(n).tensor_split(k)[i]) for i in range(k)]),
    ("quantize", "lesson", (qparams, quantize, dequantize)), ("quantize", "min-max-by-hand", (qparams, quantize_by_hand,
                                                                                              dequantize)),
    ("quantize", "tensor-scale", (qparams_as_tensors, quantize, dequantize)),
    ("dropout", "no-p=0-special-case", lambda X, p: torch.zeros_like(X) if p == 1 else
     torch.where(torch.rand_like(X) > p, X / (1 - p), torch.zeros_like(X))),
    ("batch_norm", "running-stats-rebound-in-no_grad", BNMovingByHand),
    ("gradient", "quadratic-plus-linear", (lambda x: x @ A @ x + b @ x, lambda x: (A + A.T) @ x + b)),
    ("gradient", "quadratic", (lambda x: x @ A @ x, lambda x: A @ x + A.T @ x)),
    ("gradient", "softplus-by-hand", (lambda x: torch.log1p(torch.exp(x @ b)), lambda x: torch.sigmoid(x @ b) * b)),
    ("data_loader", "class", Loader), ("data_loader", "d2lcore-TensorLoader", d2l.TensorLoader),
    ("data_loader", "book-load_array", torch_loader),
]

# The book's code that does NOT pass: (check, id, implementation, what the report must say). Each is a
# real difference from the reference, explained in the check's report (and in issue 37's report).
BOOK_DIFFERS = [
    # exp without the max shift: the book's own softmax overflows for logits of ~89 and more (float32)
    ("softmax", "book-softmax", softmax_no_shift, "subtract each row's maximum"),
    # mask = (torch.rand(X.shape) > p).float(): a float32 mask on the CPU. Right for float32 CPU inputs (the
    # book's), but float16 X comes back float32 and X on a GPU meets a CPU mask
    ("dropout", "book-dropout_layer", book_dropout_layer, ".float()"),
    # moving statistics as plain attributes, mode chosen by torch.is_grad_enabled(), biased moving variance
    ("batch_norm", "book-BatchNorm", BookBatchNorm, "register_buffer"),
    ("batch_norm", "book-BatchNorm-with-buffers", BookBatchNormBuffers, "torch.is_grad_enabled()"),
    # takes the model (net.params), returns nothing, and does not skip parameters without a gradient
    ("clip_gradients", "book-grad_clipping",
     lambda params, m: book_grad_clipping(types.SimpleNamespace(params=params), m), "return the total norm"),
    # fold_size = n // k: the remainder n % k is in no fold, neither trained on nor validated
    ("k_fold", "book-get_k_fold_data", book_k_fold_as_indices, "never are"),
]


def _ids(rows):
    return [f"{r[0]}:{r[1]}" for r in rows]


def caught_and_named(check, impl, hint):
    passed, out = report(check, impl)
    return not passed and out.startswith("✗") and hint in out, out


@pytest.mark.parametrize("check, name, impl, hint", MISTAKES, ids=_ids(MISTAKES))
def test_a_planted_mistake_fails_and_is_named(check, name, impl, hint):
    random.seed(1)
    ok, out = caught_and_named(check, impl, hint)
    assert ok, f"{check} / {name}: expected a failure naming {hint!r}, got:\n{out}"


@pytest.mark.parametrize("check, name, impl", CORRECT, ids=_ids(CORRECT))
def test_a_correct_variant_passes(check, name, impl):
    random.seed(1)
    passed, out = report(check, impl)
    assert passed and out.startswith("✓"), f"{check} / {name}: a correct implementation failed:\n{out}"


@pytest.mark.parametrize("check, name, impl, hint", BOOK_DIFFERS, ids=_ids(BOOK_DIFFERS))
def test_the_books_code_that_differs_is_told_why(check, name, impl, hint):
    random.seed(1)
    ok, out = caught_and_named(check, impl, hint)
    assert ok, f"{check} / {name}: expected the report to say {hint!r}, got:\n{out}"


def test_the_books_dropout_layer_is_right_for_float32_on_the_cpu():
    """The one difference check_dropout reports is the dtype (and device): in float32 it drops and scales right."""
    X = torch.ones(200, 500)
    for p in (0.2, 0.7):
        out = book_dropout_layer(X, p)
        assert out.dtype == torch.float32 and abs((out == 0).float().mean().item() - p) < 0.01
        assert torch.allclose(out[out != 0], torch.tensor(1 / (1 - p)))
    assert book_dropout_layer(X.half(), 0.5).dtype == torch.float32  # what the check reports


def test_the_books_batch_norm_differs_from_torch_in_eval_mode_with_grad_enabled():
    """Why BookBatchNormBuffers fails: .eval() alone does not switch the book's layer to its moving statistics."""
    torch.manual_seed(0)
    ours = BookBatchNormBuffers(3)
    X = torch.randn(8, 3) * 4 + 2
    ours(X)
    ours.eval()
    x1 = torch.randn(1, 3)
    with torch.no_grad():
        assert torch.allclose(ours(x1), (x1 - ours.moving_mean) / torch.sqrt(ours.moving_var + 1e-5))
    assert torch.allclose(ours(x1), torch.zeros(1, 3))  # grad enabled: one example normalised by itself


def test_every_self_check_is_mutation_tested():
    """A check registered in d2lcore/selfcheck/__init__.py is in CHECKS, so the test below asks for its mistakes."""
    from d2lcore import selfcheck
    tested = {getattr(check, "runs", check) for check in CHECKS.values()}
    missing = [name for name in selfcheck.__all__ if getattr(selfcheck, name) not in tested]
    assert not missing, (f"{missing} are not mutation-tested: add each to CHECKS in this file, with at least three "
                         f"planted mistakes in MISTAKES and a correct variant in CORRECT (docs/contributing.md)")


def test_each_check_has_three_mistakes_and_a_correct_variant():
    for check in CHECKS:
        assert sum(m[0] == check for m in MISTAKES) >= 3, check
        assert any(c[0] == check for c in CORRECT), check
    assert len(MISTAKES) >= 50


def mutation_score():
    """{check: (caught and named, planted)} and the misses, for the report."""
    random.seed(1)
    per, missed = {}, []
    for check, name, impl, hint in MISTAKES:
        ok, out = caught_and_named(check, impl, hint)
        got, total = per.get(check, (0, 0))
        per[check] = (got + ok, total + 1)
        if not ok:
            missed.append((check, name, out))
    return per, missed


def test_the_mutation_score_is_printed_and_complete(capsys):
    per, missed = mutation_score()
    caught, planted = sum(c for c, _ in per.values()), sum(t for _, t in per.values())
    with capsys.disabled():
        print(f"\nself-check mutation score: {caught}/{planted} planted mistakes caught and named "
              f"({len(CORRECT)} correct variants)")
    assert (caught, missed) == (planted, [])


if __name__ == "__main__":
    per, missed = mutation_score()
    for check, (c, t) in per.items():
        print(f"{check:28s} {c}/{t} caught and named, {sum(r[0] == check for r in CORRECT)} correct variants")
    print(f"total: {sum(c for c, _ in per.values())}/{sum(t for _, t in per.values())}")
    for check, name, out in missed:
        print(f"--- MISSED {check}:{name}\n{out}")
