"""How much room every asserted claim about training or random data has, on any machine.

A lesson's assert about the outcome of a training run (or of random data) must hold for other
seeds and on other CPUs, not only for the stored run on the machine that executed it. This
script re-runs each such experiment as its lesson does, with every seed of the lesson shifted
by s = 0, 1, ..., n - 1 (s = 0 is the lesson's own setting), under several CPU kernel
profiles, each in its own process (the profile is read when torch starts):

    ref        the reference settings (the CPU's best ATen kernels, 2 threads)
    avx2       ATEN_CPU_CAPABILITY=avx2, MKL and oneDNN limited to AVX2, 2 threads
    default-1t ATEN_CPU_CAPABILITY=default, MKL/oneDNN AVX2, 1 thread (./course test's 2nd profile)
    1t, 4t     the reference kernels with 1 and with 4 threads

and prints, per claim, the threshold and the worst and best value over seeds x profiles. A claim
holds with margin when its worst value is well inside the threshold. Not part of the test run
(it trains ~50 models per seed and profile); run it after changing a claim or its setting, and
copy the table into README.md ("How sure are the lessons' claims?").

    .venv/bin/python scripts/claim_margins.py                  # 5 seeds x 5 profiles
    .venv/bin/python scripts/claim_margins.py --only 11 12 --seeds 3 --profiles ref 1t
    .venv/bin/python scripts/claim_margins.py --load claims.json   # reprint a saved run

`tests/test_claim_margins.py` checks that every claim's assert still stands in its lesson.
"""
import argparse
import json
import math
import os
import pathlib
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]

AVX2 = {"MKL_ENABLE_INSTRUCTIONS": "AVX2", "ONEDNN_MAX_CPU_ISA": "AVX2"}
PROFILES = {
    "ref": {"OMP_NUM_THREADS": "2"},
    "avx2": {"ATEN_CPU_CAPABILITY": "avx2", **AVX2, "OMP_NUM_THREADS": "2"},
    "default-1t": {"ATEN_CPU_CAPABILITY": "default", **AVX2, "OMP_NUM_THREADS": "1"},
    "1t": {"OMP_NUM_THREADS": "1"},
    "4t": {"OMP_NUM_THREADS": "4"},
}


class Claim:
    """One assert of a lesson: `value(r)` computed from an experiment's results `r` must be
    `op` (one of '<', '<=', '>', '>=') `threshold`. `asserted` is the assert's text in the lesson."""

    def __init__(self, lesson, what, value, op, threshold, asserted):
        self.lesson, self.what, self.value, self.op, self.threshold = lesson, what, value, op, threshold
        self.asserted = asserted

    def holds(self, v):
        return {"<": v < self.threshold, "<=": v <= self.threshold,
                ">": v > self.threshold, ">=": v >= self.threshold}[self.op]

    def worst_best(self, values):
        low_is_good = self.op in ("<", "<=")
        return (max(values), min(values)) if low_is_good else (min(values), max(values))


# ---------------------------------------------------------------- experiments (one per lesson)
# Each takes the seed shift s and returns a dict of plain numbers. They follow the lessons'
# cells; where a lesson writes a function by hand, its d2lcore twin (checked equal there) is used.

def lesson_01(s):
    import random
    import torch
    import d2lcore as d2l

    true_w, true_b = torch.tensor([2, -3.4]), 4.2
    d2l.set_seed(42 + s)
    features, labels = d2l.synthetic_data(true_w, true_b, 1000)

    def data_iter(batch_size):
        indices = list(range(len(features)))
        random.shuffle(indices)
        for i in range(0, len(features), batch_size):
            idx = torch.tensor(indices[i:i + batch_size])
            yield features[idx], labels[idx]

    w = torch.normal(0, 0.01, size=(2, 1), requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    for _ in range(3):
        for X, y in data_iter(10):
            d2l.squared_loss(d2l.linreg(X, w, b), y).sum().backward()
            d2l.sgd([w, b], 0.03, 10)
    X1 = torch.cat([features, torch.ones(len(features), 1)], dim=1).double()
    w_star = torch.linalg.lstsq(X1, labels.double()).solution.flatten()
    sgd_solution = torch.cat([w.detach().flatten(), b.detach()]).double()
    # the Gaussian NLL at least squares: gradient ~ 0, and 20 random nearby points are worse
    y64 = labels.double().flatten()
    gen = torch.Generator().manual_seed(s)
    rel_grads, rises = [], []
    for sigma in [0.01, 0.1, 1.0, 10.0]:
        def nll(theta):
            r = y64 - X1 @ theta
            return (0.5 * math.log(2 * math.pi * sigma ** 2) + r ** 2 / (2 * sigma ** 2)).sum()
        theta = w_star.clone().requires_grad_(True)
        value = nll(theta)
        (grad,) = torch.autograd.grad(value, theta)
        rel_grads.append(grad.abs().max().item() * sigma ** 2 / len(y64))
        rises.append(min((nll(w_star + 1e-3 * torch.randn(3, generator=gen, dtype=torch.float64))
                          - value).item() for _ in range(20)))
    return {"w_err": (true_w - w.detach().flatten()).abs().max().item(), "b_err": abs(true_b - b.item()),
            "sgd_vs_analytic": (w_star - sgd_solution).abs().max().item(),
            "nll_rel_grad": max(rel_grads), "nll_smallest_rise": min(rises)}


def lesson_02(s):
    import torch
    from torch import nn
    import d2lcore as d2l

    true_w, true_b = torch.tensor([2, -3.4]), 4.2
    d2l.set_seed(42 + s)
    features, labels = d2l.synthetic_data(true_w, true_b, 1000)
    data_iter = d2l.load_array((features, labels), 10)
    net = nn.Sequential(nn.Linear(2, 1))
    d2l.set_seed(s)
    net[0].weight.data.normal_(0, 0.01)
    net[0].bias.data.fill_(0)
    loss, trainer = nn.MSELoss(), torch.optim.SGD(net.parameters(), lr=0.03)
    for _ in range(3):
        for X, y in data_iter:
            trainer.zero_grad()
            loss(net(X), y).backward()
            trainer.step()
    w_err = (true_w - net[0].weight.data.flatten()).abs().max().item()
    # from scratch with lr 0.03 == concise with lr 0.03 / 2, over 200 steps
    d2l.set_seed(1 + s)
    w0 = torch.normal(0, 0.01, size=(2, 1))
    batches = [batch for _ in range(2) for batch in d2l.load_array((features, labels), 10)]
    w_s, b_s = w0.clone().requires_grad_(True), torch.zeros(1, requires_grad=True)
    for X, y in batches:
        d2l.squared_loss(d2l.linreg(X, w_s, b_s), y).sum().backward()
        d2l.sgd([w_s, b_s], lr=0.03, batch_size=len(X))
    net2 = nn.Sequential(nn.Linear(2, 1))
    net2[0].weight.data.copy_(w0.T)
    net2[0].bias.data.fill_(0)
    opt2 = torch.optim.SGD(net2.parameters(), lr=0.03 / 2)
    for X, y in batches:
        opt2.zero_grad()
        nn.MSELoss()(net2(X), y).backward()
        opt2.step()
    diff = max((w_s.detach().T - net2[0].weight.detach()).abs().max().item(),
               (b_s.detach() - net2[0].bias.detach()).abs().max().item())
    return {"w_err": w_err, "b_err": abs(true_b - net[0].bias.item()), "scratch_vs_concise": diff}


def _fashion(s, **kw):
    import d2lcore as d2l
    kw.setdefault("device", d2l.try_gpu())  # as the lessons load it
    return d2l.load_data_fashion_mnist(256, seed=s, **kw)


def lesson_04(s):
    import torch
    import d2lcore as d2l

    train_iter, test_iter = _fashion(s)
    d2l.set_seed(s)
    W = torch.normal(0, 0.01, size=(784, 10), requires_grad=True)
    b = torch.zeros(10, requires_grad=True)

    def net(X):
        return d2l.softmax(X.reshape(-1, 784) @ W + b)

    acc0 = d2l.evaluate_accuracy(net, test_iter)
    h = d2l.train(net, train_iter, test_iter, d2l.cross_entropy, 10, lambda n: d2l.sgd([W, b], 0.1, n), animate=False)
    return {"untrained_acc": acc0, "loss_drop": h["train_loss"][0] - h["train_loss"][-1],
            "final_acc": h["test_acc"][-1], "last3_acc": sum(h["test_acc"][-3:]) / 3}


def lesson_05(s):
    import torch
    from torch import nn
    import d2lcore as d2l

    train_iter, test_iter = _fashion(s)
    d2l.set_seed(s)
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    nn.init.normal_(net[1].weight, std=0.01)
    std_err = abs(net[1].weight.std().item() - 0.01)
    h = d2l.train(net, train_iter, test_iter, nn.CrossEntropyLoss(), 10,
                  torch.optim.SGD(net.parameters(), lr=0.1), animate=False)
    return {"init_std_err": std_err, "final_acc": h["test_acc"][-1], "last3_acc": sum(h["test_acc"][-3:]) / 3}


def lesson_06(s):
    import torch
    import torch.nn.functional as F
    from torch import nn
    import d2lcore as d2l

    d2l.set_seed(s)
    values = torch.cat([torch.normal(5.0, 1.0, (20,)), torch.tensor([40.0, 45.0, 50.0])]).double()
    c = torch.arange(0, 20, 0.001, dtype=torch.float64)
    res = c[:, None] - values[None, :]
    huber = c[d2l.huber_loss(res, torch.zeros_like(res)).sum(1).argmin()].item()
    median, mean = values.median().item(), values.mean().item()
    out = {"huber_from_median": abs(huber - median) / (mean - median)}
    x = torch.linspace(0, 10, 50)
    y = 2 * x + 1 + torch.normal(0, 0.5, (50,))
    y[torch.tensor([5, 15, 25, 35, 45])] += 30

    def fit_line(loss_fn):
        w = torch.zeros(2, requires_grad=True)
        opt = torch.optim.Adam([w], lr=0.05)
        for _ in range(2000):
            opt.zero_grad()
            loss_fn(w[0] * x + w[1], y).mean().backward()
            opt.step()
        return w.detach()

    lines = {k: fit_line(f) for k, f in [("L2", d2l.squared_loss), ("L1", d2l.l1_loss), ("Huber", d2l.huber_loss)]}
    out["robust_slope_err"] = max(abs(lines[k][0].item() - 2) for k in ("L1", "Huber"))
    out["robust_intercept_err"] = max(abs(lines[k][1].item() - 1) for k in ("L1", "Huber"))
    out["l2_intercept_lift"] = lines["L2"][1].item() - 1
    train_iter, test_iter = _fashion(s)

    def squared_error_on_probabilities(o, y):
        return ((torch.softmax(o, dim=1) - F.one_hot(y, 10)) ** 2).sum(1) / 2

    acc = {}
    for name, loss in [("ce", nn.CrossEntropyLoss()), ("se", squared_error_on_probabilities)]:
        d2l.set_seed(s)
        net = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
        nn.init.normal_(net[1].weight, std=0.01)
        acc[name] = d2l.train(net, train_iter, test_iter, loss, 5, torch.optim.SGD(net.parameters(), lr=0.1),
                              animate=False)["test_acc"]
    out["ce_minus_se_epoch1"] = acc["ce"][0] - acc["se"][0]
    out["ce_minus_se_mean"] = (sum(acc["ce"]) - sum(acc["se"])) / 5
    return out


def lesson_07(s):
    import torch
    from torch import nn
    import d2lcore as d2l

    train_iter, test_iter = _fashion(s)
    d2l.set_seed(s)
    W = torch.normal(0, 0.01, size=(784, 10), requires_grad=True)
    b = torch.zeros(10, requires_grad=True)
    h = d2l.train(lambda X: X.reshape(-1, 784) @ W + b, train_iter, test_iter, d2l.cross_entropy_from_logits, 2,
                  lambda n: d2l.sgd([W, b], 1.0, n), animate=False)
    out = {"lr1_final_acc": h["test_acc"][-1]}
    res = {}
    for name, head in [("good", []), ("bad", [nn.Softmax(dim=1)])]:
        d2l.set_seed(s)
        net = nn.Sequential(nn.Flatten(), nn.Linear(784, 10), *head)
        nn.init.normal_(net[1].weight, std=0.01)
        res[name] = d2l.train(net, train_iter, test_iter, nn.CrossEntropyLoss(), 3,
                              torch.optim.SGD(net.parameters(), lr=0.1), animate=False)
    out["softmax_layer_acc_loss"] = res["good"]["test_acc"][-1] - res["bad"]["test_acc"][-1]
    out["softmax_layer_loss_rise"] = res["bad"]["train_loss"][-1] - res["good"]["train_loss"][-1]
    return out


def _dead_fraction(net, data_iter):
    import torch
    with torch.no_grad():
        alive = torch.zeros(net[1].out_features, dtype=torch.bool)
        for Xb, _ in data_iter:
            alive |= (net[2](net[1](net[0](Xb))) > 0).any(0)
    return 1 - alive.float().mean().item()


def lesson_03(s):
    import torch
    import d2lcore as d2l

    d2l.set_seed(s)
    n = 2560
    X = torch.rand(n, 2)
    y = ((X[:, 0] ** 2 - X[:, 1] ** 2) / (X[:, 0] ** 2 + X[:, 1] ** 2) + torch.rand(n) / 100).reshape(-1, 1)
    w = torch.zeros(2, 1, requires_grad=True)

    def grad_at(idx):
        w.grad = None
        d2l.squared_loss(X[idx] @ w, y[idx]).mean().backward()
        return w.grad.flatten().clone()

    full = grad_at(torch.arange(n))
    g = torch.Generator().manual_seed(s)
    noise = []
    for B in [1, 256]:
        est = torch.stack([grad_at(torch.randint(0, n, (B,), generator=g)) for _ in range(400)])
        noise.append((est - full).norm(dim=1).pow(2).mean().sqrt().item())
    return {"noise_slope": (math.log(noise[1]) - math.log(noise[0])) / math.log(256)}


def lesson_08(s):
    import torch
    from torch import nn
    import d2lcore as d2l

    out = {}
    inits = {"sigmoid": (nn.Sigmoid, lambda w: nn.init.xavier_normal_(w)),
             "tanh": (nn.Tanh, lambda w: nn.init.xavier_normal_(w, gain=nn.init.calculate_gain("tanh"))),
             "ReLU": (nn.ReLU, lambda w: nn.init.kaiming_normal_(w, nonlinearity="relu"))}
    for name, (act, init) in inits.items():
        d2l.set_seed(s)
        deep = d2l.mlp([64] * 20 + [10], activation=act)
        for m in deep:
            if isinstance(m, nn.Linear):
                init(m.weight)
                nn.init.zeros_(m.bias)
        nn.functional.cross_entropy(deep(torch.randn(128, 64)), torch.randint(0, 10, (128,))).backward()
        norms = [m.weight.grad.norm().item() for m in deep if isinstance(m, nn.Linear)]
        out[f"grad_ratio_{name}"] = norms[0] / norms[-1]
    train_iter, test_iter = _fashion(s)
    d2l.set_seed(s)
    net = d2l.mlp([784, 256, 10], flatten=True, init_std=0.01)
    h = d2l.train(net, train_iter, test_iter, nn.CrossEntropyLoss(), 10,
                  torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9), animate=False)
    out.update(final_acc=h["test_acc"][-1], last3_acc=sum(h["test_acc"][-3:]) / 3,
               dead=_dead_fraction(net, test_iter))
    d2l.set_seed(s)
    hot_net = d2l.mlp([784, 256, 10], flatten=True, init_std=0.01)
    hot = d2l.train(hot_net, train_iter, test_iter, nn.CrossEntropyLoss(), 2,
                    torch.optim.SGD(hot_net.parameters(), lr=0.5, momentum=0.9), animate=False)
    out.update(dead_hot=_dead_fraction(hot_net, test_iter), hot_acc_loss=h["test_acc"][-1] - hot["test_acc"][-1])
    return out


def lesson_10(s):
    import torch
    from torch import nn
    import d2lcore as d2l

    train_iter, valid_iter, test_iter = _fashion(s, validation=10000)
    next(iter(train_iter))  # the lesson's backprop check draws one batch first: the same shuffles after it
    runs = {"SGD": lambda p: torch.optim.SGD(p, lr=0.1), "momentum": lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9),
            "Adam": lambda p: torch.optim.Adam(p, lr=1e-3)}  # the lesson's own classes take exactly these steps
    acc, nets = {}, {}
    for name, make in runs.items():
        d2l.set_seed(s)
        nets[name] = net = d2l.mlp([784, 256, 10], flatten=True, init_std=0.01)
        acc[name] = d2l.train(net, train_iter, valid_iter, nn.CrossEntropyLoss(), 5, make(net.parameters()),
                              animate=False)["valid_acc"]
    chosen = max(acc, key=lambda k: acc[k][-1])
    test_acc = d2l.evaluate_accuracy(nets[chosen], test_iter)
    return {"lead_epoch1": min(acc["momentum"][0], acc["Adam"][0]) - acc["SGD"][0],
            "lead_epoch5": min(acc["momentum"][-1], acc["Adam"][-1]) - acc["SGD"][-1],
            "lowest_final_acc": min(a[-1] for a in acc.values()),
            "chosen_test_acc": test_acc, "chosen_test_valid_diff": abs(test_acc - acc[chosen][-1])}


def lesson_11(s):
    import copy
    import torch
    from torch import nn
    import d2lcore as d2l

    train_iter, valid_iter, test_iter = _fashion(s, validation=10000)
    small = d2l.TensorLoader(train_iter.images[:1000], train_iter.labels[:1000], 50, shuffle=True, seed=s,
                             split="train")

    def small_mlp():
        d2l.set_seed(s)
        return d2l.mlp([784, 256, 10], flatten=True)

    net = small_mlp()
    h = d2l.train(net, small, valid_iter, nn.CrossEntropyLoss(), 30, torch.optim.Adam(net.parameters(), lr=3e-3),
                  animate=False)
    out = {"train_acc": h["train_acc"][-1], "gap": h["train_acc"][-1] - h["valid_acc"][-1]}
    # the lesson's early stopping (patience 5, at most 50 epochs)
    net = small_mlp().to(d2l.try_gpu())
    opt, best_acc, best_epoch, best_state, accs = torch.optim.Adam(net.parameters(), lr=3e-3), -1.0, 0, None, []
    for epoch in range(1, 51):
        d2l.train_epoch(net, small, nn.CrossEntropyLoss(), opt, epoch=epoch)
        accs.append(d2l.evaluate_accuracy(net, valid_iter))
        if accs[-1] > best_acc:
            best_acc, best_epoch, best_state = accs[-1], epoch, copy.deepcopy(net.state_dict())
        elif epoch - best_epoch >= 5:
            break
    net.load_state_dict(best_state)
    test_acc = d2l.evaluate_accuracy(net, test_iter)
    # the test set used to choose: the best of 50 random guessers, 200 repetitions
    g = torch.Generator().manual_seed(s)
    labels_test, labels_fresh = torch.randint(0, 10, (2, 200, 1, 500), generator=g)
    guesses_test, guesses_fresh = torch.randint(0, 10, (2, 200, 50, 500), generator=g)
    acc_test = (guesses_test == labels_test).double().mean(-1)
    acc_fresh = (guesses_fresh == labels_fresh).double().mean(-1)
    winner = acc_test.argmax(1)[:, None]
    out.update(epochs_after_best=len(accs) - best_epoch, test_acc=test_acc,
               test_valid_diff=abs(test_acc - d2l.evaluate_accuracy(net, valid_iter)),
               winner_test=acc_test.gather(1, winner).mean().item(),
               winner_fresh_dev=abs(acc_fresh.gather(1, winner).mean().item() - 0.1))
    return out


def lesson_12(s):
    import torch
    from torch import nn
    import d2lcore as d2l

    num_inputs, batch_size = 200, 5
    true_w, true_b = torch.full((num_inputs,), 0.01), 0.05
    d2l.set_seed(s)
    train_data = d2l.synthetic_data(true_w, true_b, 20)
    valid_data = d2l.synthetic_data(true_w, true_b, 100)
    train_iter = d2l.load_array(train_data, batch_size)
    valid_iter = d2l.load_array(valid_data, batch_size, is_train=False)

    def mean_loss(net, data_iter):
        with torch.no_grad():
            return torch.cat([d2l.squared_loss(net(X), y).flatten() for X, y in data_iter]).mean().item()

    def train_with_penalty(lambd):
        d2l.set_seed(1 + s)
        w = torch.normal(0, 1, size=(num_inputs, 1), requires_grad=True)
        b = torch.zeros(1, requires_grad=True)
        for _ in range(100):
            for X, y in train_iter:
                (d2l.squared_loss(d2l.linreg(X, w, b), y) + lambd * (w ** 2).sum() / 2).sum().backward()
                d2l.sgd([w, b], 0.003, batch_size)
        net = lambda X: d2l.linreg(X, w, b)  # noqa: E731
        return mean_loss(net, train_iter), mean_loss(net, valid_iter), w.detach().norm().item(), net

    final = {lambd: train_with_penalty(lambd) for lambd in [0, 0.3, 1, 3, 10]}
    gaps = [va - tr for tr, va, _, _ in final.values()]
    out = {"overfit_train_over_valid": final[0][0] / final[0][1], "l2_valid_ratio": final[3][1] / final[0][1],
           "l2_norm_ratio": final[3][2] / final[0][2], "gap_ratio_max": max(b / a for a, b in zip(gaps, gaps[1:]))}
    best = min(final, key=lambda lambd: final[lambd][1])
    d2l.set_seed(100 + s)
    test_iter = d2l.load_array(d2l.synthetic_data(true_w, true_b, 1000), batch_size, is_train=False)
    out["chosen_l2_test_over_none_valid"] = mean_loss(final[best][3], test_iter) / final[0][1]
    batches = [batch for _ in range(3) for batch in train_iter]

    def run(make_opt, penalty=0.0):
        d2l.set_seed(3 + s)
        model = nn.Linear(num_inputs, 1)
        opt = make_opt(model)
        for X, y in batches[:20]:
            opt.zero_grad()
            (d2l.squared_loss(model(X), y).mean() + penalty * (model.weight ** 2).sum() / 2).backward()
            opt.step()
        return model.weight.detach()

    groups = lambda m: [{"params": [m.weight], "weight_decay": 0.5}, {"params": [m.bias], "weight_decay": 0.0}]  # noqa: E731
    adam_l2 = run(lambda m: torch.optim.Adam(m.parameters(), lr=0.01), penalty=0.5)
    adamw = run(lambda m: torch.optim.AdamW(groups(m), lr=0.01))
    out["adamw_vs_adam_l2"] = (adamw - adam_l2).abs().max().item()
    d2l.set_seed(s)
    big = torch.ones(1000, 1000)
    drop = (torch.rand_like(big) > 0.3).float() * big / 0.7
    out["dropout_zero_share_err"] = abs((drop == 0).float().mean().item() - 0.3)
    h = torch.randn(50)
    mean_out = torch.stack([(torch.rand_like(h) > 0.5).float() * h / 0.5 for _ in range(20000)]).mean(0)
    out["dropout_mean_err"] = (mean_out - h).abs().max().item()
    train_iter, valid_iter, test_iter = _fashion(s, validation=10000)
    small_train = d2l.TensorLoader(train_iter.images[:2000], train_iter.labels[:2000], 100, shuffle=True, seed=s)
    small_train_eval = d2l.TensorLoader(train_iter.images[:2000], train_iter.labels[:2000], 500, split="train")
    small_valid = d2l.TensorLoader(valid_iter.images[:2000], valid_iter.labels[:2000], 500, split="valid")
    gap, valid_acc, nets = {}, {}, {}
    for p in [0.0, 0.2, 0.5]:
        d2l.set_seed(s)
        net = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Dropout(p),
                            nn.Linear(256, 256), nn.ReLU(), nn.Dropout(p), nn.Linear(256, 10))
        hist = d2l.train(net, small_train, small_valid, nn.CrossEntropyLoss(), 60,
                         torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9), animate=False)
        valid_acc[p], nets[p] = hist["valid_acc"][-1], net
        gap[p] = d2l.evaluate_accuracy(net, small_train_eval) - valid_acc[p]
    chosen = max(valid_acc, key=valid_acc.get)
    test_acc = d2l.evaluate_accuracy(nets[chosen], test_iter)
    out.update(dropout_gap_step=min(gap[0.0] - gap[0.2], gap[0.2] - gap[0.5]), dropout_gap_total=gap[0.0] - gap[0.5],
               dropout_valid_spread=max(valid_acc.values()) - min(valid_acc.values()),
               dropout_chosen_test_acc=test_acc, dropout_chosen_test_valid_diff=abs(test_acc - valid_acc[chosen]))
    return out


def lesson_13(s):
    import re
    import torch
    from torch import nn
    import d2lcore as d2l

    train_iter, valid_iter, test_iter = _fashion(s, validation=10000)

    def deep_mlp():
        d2l.set_seed(s)
        return d2l.mlp([784, 256, 256, 256, 10], flatten=True)

    net = deep_mlp()
    try:
        d2l.train(net, train_iter, valid_iter, nn.CrossEntropyLoss(), 1,
                  torch.optim.SGD(net.parameters(), lr=3.0), animate=False)
        diverged_at = math.inf
    except d2l.NonFiniteLossError as e:
        diverged_at = int(re.search(r"step (\d+)", str(e))[1])
    net = deep_mlp()
    clipped = d2l.train(net, train_iter, valid_iter, nn.CrossEntropyLoss(), 3,
                        torch.optim.SGD(net.parameters(), lr=3.0), clip_grad_norm=0.25, animate=False)
    out = {"diverged_at_step": diverged_at, "clipped_acc": clipped["valid_acc"][-1],
           "clipped_worst_loss": max(clipped["train_loss"])}
    steps, num_epochs = len(train_iter), 5
    total, warmup = steps * num_epochs, steps // 2
    sched = torch.optim.lr_scheduler

    def schedule(kind, opt):
        if kind == "constant":
            return sched.LambdaLR(opt, lambda step: 1.0)
        if kind == "step decay":
            return sched.StepLR(opt, step_size=2 * steps, gamma=0.3)
        if kind == "cosine":
            return sched.CosineAnnealingLR(opt, T_max=total, eta_min=0.001)
        return sched.SequentialLR(opt, [sched.LinearLR(opt, start_factor=0.01, total_iters=warmup),
                                        sched.CosineAnnealingLR(opt, T_max=total - warmup, eta_min=0.001)],
                                  milestones=[warmup])

    final, valid, nets = {}, {}, {}
    for kind in ["constant", "step decay", "cosine", "warm-up + cosine"]:
        d2l.set_seed(s)
        nets[kind] = net = d2l.mlp([784, 256, 10], flatten=True, init_std=0.01)
        opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
        h = d2l.train(net, train_iter, valid_iter, nn.CrossEntropyLoss(), num_epochs, opt,
                      scheduler=schedule(kind, opt), scheduler_step="batch", animate=False)
        final[kind], valid[kind] = h["train_loss"][-1], h["valid_acc"][-1]
    out["decay_over_constant_loss"] = max(v / final["constant"] for k, v in final.items() if k != "constant")
    chosen = max(valid, key=valid.get)
    test_acc = d2l.evaluate_accuracy(nets[chosen], test_iter)
    out.update(chosen_test_acc=test_acc, chosen_test_valid_diff=abs(test_acc - valid[chosen]))
    return out


def _lesson_norms():
    """The lesson's BatchNorm and LayerNorm classes, taken from the notebook itself."""
    nb = json.loads((ROOT / "notebooks" / "14_normalization.ipynb").read_text(encoding="utf-8"))
    namespace = {}
    exec("import torch\nfrom torch import nn\n", namespace)
    for cell in nb["cells"]:
        src = "".join(cell["source"])
        for name in ("class BatchNorm(", "class LayerNorm("):
            if cell["cell_type"] == "code" and src.startswith(name):
                exec(src.split("\n\n\n")[0], namespace)
    return namespace["BatchNorm"], namespace["LayerNorm"]


def lesson_14(s):
    import torch
    from torch import nn
    import d2lcore as d2l

    BatchNorm, LayerNorm = _lesson_norms()
    train_iter, valid_iter, test_iter = _fashion(s, validation=10000)

    def deep_mlp(norm=None, width=256, depth=5):
        layers, n = [nn.Flatten()], 784
        for _ in range(depth):
            layers += [nn.Linear(n, width)] + ([norm(width)] if norm else []) + [nn.ReLU()]
            n = width
        return nn.Sequential(*layers, nn.Linear(n, 10))

    loss, valid, nets = {}, {}, {}
    for lr in [0.1, 1.0]:
        for name, norm in [("none", None), ("bn", BatchNorm), ("ln", LayerNorm)]:
            d2l.set_seed(s)
            nets[name, lr] = net = deep_mlp(norm)
            try:
                h = d2l.train(net, train_iter, valid_iter, nn.CrossEntropyLoss(), 2,
                              torch.optim.SGD(net.parameters(), lr=lr), animate=False)
                loss[name, lr], valid[name, lr] = h["train_loss"][-1], h["valid_acc"][-1]
            except d2l.NonFiniteLossError:
                loss[name, lr] = math.inf
    chosen = max(valid, key=valid.get)
    test_acc = d2l.evaluate_accuracy(nets[chosen], test_iter)
    return {"bn_over_none_lr0.1": loss["bn", 0.1] / loss["none", 0.1], "ln_over_none_lr0.1": loss["ln", 0.1] / loss["none", 0.1],
            "none_loss_lr1": loss["none", 1.0], "bn_loss_lr1": loss["bn", 1.0], "ln_loss_lr1": loss["ln", 1.0],
            "chosen_is_bn": float(chosen[0] == "bn"), "chosen_test_acc": test_acc,
            "chosen_test_valid_diff": abs(test_acc - valid[chosen])}


def lesson_15(s):
    import copy
    import io
    import tempfile
    import warnings
    import torch
    from torch import nn
    import d2lcore as d2l

    warnings.filterwarnings("ignore")
    d2l.set_seed(s)
    x = torch.randn(1000) * 2 + 1
    lo, hi = min(x.min().item(), 0.0), max(x.max().item(), 0.0)
    scale = torch.tensor((hi - lo) / 255, dtype=torch.float32).item()
    zp = int(min(max(-round(lo / scale), 0), 255))
    x_hat = scale * (torch.clamp(torch.round(x / scale) + zp, 0, 255).to(torch.uint8).float() - zp)
    out = {"quant_err_over_half_step": (x - x_hat).abs().max().item() / (scale / 2)}
    train_iter, test_iter = d2l.load_data_fashion_mnist(256, device="cpu", seed=s)
    net = d2l.mlp([784, 256, 10], flatten=True, init_std=0.01)
    d2l.train(net, train_iter, test_iter, nn.CrossEntropyLoss(), 5,
              torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9), device="cpu", animate=False)
    net.eval()
    qnet = torch.ao.quantization.quantize_dynamic(copy.deepcopy(net), {nn.Linear}, dtype=torch.qint8)
    sizes = []
    for model in (net, qnet):
        buf = io.BytesIO()
        torch.save(model.state_dict(), buf)
        sizes.append(len(buf.getvalue()))
    with torch.no_grad():
        same = sum((net(X).argmax(1) == qnet(X).argmax(1)).sum().item() for X, _ in test_iter) / 10000
    out.update(size_ratio=sizes[0] / sizes[1], same_class=same,
               int8_acc_change=abs(d2l.evaluate_accuracy(net, test_iter) - d2l.evaluate_accuracy(qnet, test_iter)))
    import onnxruntime as ort
    with tempfile.TemporaryDirectory() as tmp:
        path = pathlib.Path(tmp) / "m.onnx"
        torch.onnx.export(net, (torch.rand(2, 1, 28, 28),), str(path), input_names=["images"],
                          output_names=["logits"], dynamic_shapes=({0: torch.export.Dim("batch")},),
                          dynamo=True, verbose=False, external_data=False)
        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        max_diff, flips, scale_max = 0.0, 0, 0.0
        for X, _ in test_iter:
            o = torch.from_numpy(session.run(None, {"images": X.numpy()})[0])
            with torch.no_grad():
                p = net(X)
            max_diff = max(max_diff, (o - p).abs().max().item())
            scale_max = max(scale_max, p.abs().max().item())
            top2 = p.topk(2, dim=1).values
            clear = (top2[:, 0] - top2[:, 1]) > 1e-4  # a clear winner: the rounding cannot flip it
            flips += ((o.argmax(1) != p.argmax(1)) & clear).sum().item()
    out.update(onnx_max_diff=max_diff, onnx_clear_flips=flips)
    return out


def _run_lesson(notebook, replacements, skip=()):
    """A lesson's own code cells run in one namespace, each `old` text replaced by `new` (every one
    must be found exactly once) and its asserts left out, so that a failing claim is measured, not
    raised; cells containing any text of `skip` (figures) are left out too."""
    import contextlib
    import io
    import torch

    nb = json.loads((ROOT / "notebooks" / notebook).read_text(encoding="utf-8"))
    lines = []
    for cell in nb["cells"]:
        src = "".join(cell["source"])
        if cell["cell_type"] == "code" and not any(k in src for k in skip):
            lines += [line for line in src.splitlines() if not line.startswith("assert ")]
    src = "\n".join(lines)
    for old, new in replacements:
        assert src.count(old) == 1, f"{notebook}: {old!r} moved: update its claims' experiment"
        src = src.replace(old, new)
    ns = {}
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(src, notebook, "exec"), ns)
    finally:
        torch.set_default_dtype(torch.float32)  # a lesson may set float64 for itself
    return ns


def lesson_09(s):
    import math
    ns = _run_lesson("09_why_hidden_layers.ipynb", [
        ("for seed in range(10)]", f"for seed in range({10 * s}, {10 * s + 10})]"),
        ("ab = torch.rand(2560, 2, generator=g", f"g = torch.Generator().manual_seed({s})\nab = torch.rand(2560, 2, generator=g"),
        ("x0 = torch.randn(512, n, generator=g)", f"g = torch.Generator().manual_seed({s})\nx0 = torch.randn(512, n, generator=g)"),
        ("    assert abs(math.log10(rms_out)", "    drift.append(abs(math.log10(rms_out) - math.log10(predicted)))\n    assert abs(math.log10(rms_out)"),
        ("for gain in (1.0, 2.0, 3.0):", "drift = []\nfor gain in (1.0, 2.0, 3.0):"),
    ], skip=("plt.subplots",))
    mse = [ns["valid_mse"][w] for w in (0, 4, 16, 64)]
    import torch
    constant = ns["hidden_weights_after"]("constant")
    random_ = ns["hidden_weights_after"]("random")
    return {"xor_2_solved": sum(ns["solved"][2]), "xor_8_solved": sum(ns["solved"][8]),
            "xor_8_minus_2": sum(ns["solved"][8]) - sum(ns["solved"][2]),
            "width_mse_ratio_max": max(b / a for a, b in zip(mse, mse[1:])), "mse64_over_linear": mse[3] / mse[0],
            "constant_spread": (constant - constant[0]).abs().max().item(),
            "random_spread": (random_ - random_[0]).abs().max().item(), "log10_drift_max": max(ns["drift"])}


def lesson_16(s):
    """The capstone's own cells, run with the split seeded by s."""
    ns = _run_lesson("16_penguins_capstone.ipynb",
                     [("torch.Generator().manual_seed(0)", f"torch.Generator().manual_seed({s})")])
    cv = ns["mean_cv"]
    return {"one_hot_over_best_codes": ns["rmse_one_hot"] / min(ns["rmse_codes"].values()),
            "l2_bad_over_huber_bad": cv["L2, one bad record"] / cv["Huber, one bad record"],
            "huber_bad_vs_clean": abs(cv["Huber, one bad record"] / cv["L2, clean data"] - 1),
            "chosen_softmax": float(ns["chosen_cls"] == "softmax regression"),
            "cv_mistakes_share": max(ns["a"], ns["b"]) / len(ns["y_cls"]),
            "test_median_over_cv": float(ns["residual_g"].abs().median()) / cv["Huber, one bad record"],
            "test_acc": 1 - ns["wrong"] / len(ns["test_df"])}


EXPERIMENTS = {name[len("lesson_"):]: f for name, f in globals().items() if name.startswith("lesson_")}

CLAIMS = [
    Claim("01", "SGD: max |w - true w|", lambda r: r["w_err"], "<", 0.01, "assert w_err.max() < 0.01"),
    Claim("01", "SGD: |b - true b|", lambda r: r["b_err"], "<", 0.01, "assert b_err < 0.01"),
    Claim("01", "SGD vs analytic solution, max gap", lambda r: r["sgd_vs_analytic"], "<", 0.005, "assert gap < 0.005"),
    Claim("01", "NLL gradient at least squares (relative)", lambda r: r["nll_rel_grad"], "<", 1e-10, "rel_grad < 1e-10"),
    Claim("01", "NLL: smallest rise at 20 nearby points", lambda r: r["nll_smallest_rise"], ">", 0, "rise > 0"),
    Claim("02", "concise: max |w - true w|", lambda r: r["w_err"], "<", 0.01, "assert w_err < 0.01"),
    Claim("02", "concise: |b - true b|", lambda r: r["b_err"], "<", 0.01, "and b_err < 0.01"),
    Claim("02", "scratch vs concise after 200 steps", lambda r: r["scratch_vs_concise"], "<", 1e-5, "assert max_diff < 1e-5"),
    Claim("03", "gradient noise log-log slope, low end", lambda r: r["noise_slope"], ">", -0.6, "-0.6 < slope < -0.4"),
    Claim("03", "gradient noise log-log slope, high end", lambda r: r["noise_slope"], "<", -0.4, "-0.6 < slope < -0.4"),
    Claim("04", "untrained test accuracy", lambda r: r["untrained_acc"], "<", 0.3, "assert acc0 < 0.3"),
    Claim("04", "training loss drop, epoch 1 to 10", lambda r: r["loss_drop"], ">", 0,
          'assert history["train_loss"][-1] < history["train_loss"][0]'),
    Claim("04", "test accuracy, mean of last 3 epochs", lambda r: r["last3_acc"], ">=", 0.80, "last3 >= 0.80"),
    Claim("04", "test accuracy, epoch 10", lambda r: r["final_acc"], ">=", 0.80, 'history["test_acc"][-1] >= 0.80'),
    Claim("05", "|weight std - 0.01| after init", lambda r: r["init_std_err"], "<", 0.001, "< 0.001"),
    Claim("05", "test accuracy, mean of last 3 epochs", lambda r: r["last3_acc"], ">=", 0.82, "last3 >= 0.82"),
    Claim("05", "test accuracy, epoch 10", lambda r: r["final_acc"], ">=", 0.81, 'history["test_acc"][-1] >= 0.81'),
    Claim("06", "|Huber - median| / (mean - median)", lambda r: r["huber_from_median"], "<", 0.1,
          'assert abs(best["Huber"] - values.median()) < 0.1 * (values.mean() - values.median())'),
    Claim("06", "L1/Huber line: worst slope error", lambda r: r["robust_slope_err"], "<", 0.2, 'slope_err["L1"] < 0.2'),
    Claim("06", "L1/Huber line: worst intercept error", lambda r: r["robust_intercept_err"], "<", 1,
          'abs(lines["L1"][1].item() - 1) < 1'),
    Claim("06", "L2 line: intercept lifted by", lambda r: r["l2_intercept_lift"], ">", 2, 'lines["L2"][1] - 1 > 2'),
    Claim("06", "CE - squared error, test acc epoch 1", lambda r: r["ce_minus_se_epoch1"], ">", 0, "ce_acc[0] > se_acc[0]"),
    Claim("06", "CE - squared error, mean test acc", lambda r: r["ce_minus_se_mean"], ">", 0, "sum(ce_acc) > sum(se_acc)"),
    Claim("07", "lr 1.0 from logits: test accuracy", lambda r: r["lr1_final_acc"], ">", 0.5, 'history["test_acc"][-1] > 0.5'),
    Claim("07", "softmax layer costs test accuracy", lambda r: r["softmax_layer_acc_loss"], ">", 0,
          'good["test_acc"][-1] > bad["test_acc"][-1]'),
    Claim("07", "softmax layer raises the train loss by", lambda r: r["softmax_layer_loss_rise"], ">", 0,
          'good["train_loss"][-1] < bad["train_loss"][-1]'),
    Claim("08", "sigmoid: first/last layer gradient norm", lambda r: r["grad_ratio_sigmoid"], "<", 1e-6, 'ratio["sigmoid"] < 1e-6'),
    Claim("08", "tanh: first/last layer gradient norm", lambda r: r["grad_ratio_tanh"], ">", 1e-2, 'ratio["tanh"] > 1e-2'),
    Claim("08", "ReLU: first/last layer gradient norm", lambda r: r["grad_ratio_ReLU"], ">", 1e-2, 'ratio["ReLU"] > 1e-2'),
    Claim("08", "MLP test accuracy, epoch 10", lambda r: r["final_acc"], ">=", 0.85, 'history["test_acc"][-1] >= 0.85'),
    Claim("08", "MLP test accuracy, mean of last 3", lambda r: r["last3_acc"], ">=", 0.85, "last3 >= 0.85"),
    Claim("08", "dead hidden units, lr 0.05", lambda r: r["dead"], "<", 0.05, "assert dead < 0.05"),
    Claim("08", "dead hidden units, lr 0.5", lambda r: r["dead_hot"], ">", 0.5, "assert dead_hot > 0.5"),
    Claim("08", "lr 0.5 loses test accuracy", lambda r: r["hot_acc_loss"], ">", 0,
          'hot["test_acc"][-1] < history["test_acc"][-1]'),
    Claim("09", "XOR, 2-8-1: runs of 10 solved", lambda r: r["xor_8_solved"], ">=", 7, "sum(solved[8]) >= 7"),
    Claim("09", "XOR: runs solved, 2-8-1 minus 2-2-1", lambda r: r["xor_8_minus_2"], ">", 0, "sum(solved[2]) < sum(solved[8])"),
    Claim("09", "XOR, 2-2-1: runs of 10 solved", lambda r: r["xor_2_solved"], ">", 0, "0 < sum(solved[2])"),
    Claim("09", "f(a, b): largest MSE(next width) / MSE(width)", lambda r: r["width_mse_ratio_max"], "<", 1,
          "all(a > b for a, b in zip(mses, mses[1:]))"),
    Claim("09", "f(a, b): MSE at width 64 / linear", lambda r: r["mse64_over_linear"], "<", 0.1, "valid_mse[64] < valid_mse[0] / 10"),
    Claim("09", "constant start: largest weight difference", lambda r: r["constant_spread"], "<", 1e-12,
          '(hidden_weights_after("constant") - hidden_weights_after("constant")[0]).abs().max() < 1e-12'),
    Claim("09", "random start: largest weight difference", lambda r: r["random_spread"], ">", 0.1,
          '(hidden_weights_after("random") - hidden_weights_after("random")[0]).abs().max() > 0.1'),
    Claim("09", "50 layers: |log10 RMS - log10 predicted|", lambda r: r["log10_drift_max"], "<", 0.6,
          "abs(math.log10(rms_out) - math.log10(predicted)) < 0.6"),
    Claim("10", "momentum/Adam lead over SGD, epoch 1", lambda r: r["lead_epoch1"], ">", 0,
          'assert acc["momentum"][0] > acc["SGD"][0] and acc["Adam"][0] > acc["SGD"][0]'),
    Claim("10", "momentum/Adam lead over SGD, epoch 5", lambda r: r["lead_epoch5"], ">", 0,
          'assert acc["momentum"][-1] > acc["SGD"][-1] and acc["Adam"][-1] > acc["SGD"][-1]'),
    Claim("10", "lowest validation accuracy after 5 epochs", lambda r: r["lowest_final_acc"], ">", 0.75,
          "assert min(a[-1] for a in acc.values()) > 0.75"),
    Claim("10", "test accuracy of the optimiser chosen on validation", lambda r: r["chosen_test_acc"], ">", 0.80,
          "assert test_acc > 0.80"),
    Claim("10", "|test - validation| accuracy of the chosen one", lambda r: r["chosen_test_valid_diff"], "<", 0.03,
          "abs(test_acc - acc[chosen][-1]) < 0.03"),
    Claim("11", "train accuracy after 30 epochs on 1000 images", lambda r: r["train_acc"], ">", 0.9,
          'history["train_acc"][-1] > 0.9'),
    Claim("11", "train - valid accuracy after 30 epochs", lambda r: r["gap"], ">", 0.1, "gap > 0.1"),
    Claim("11", "early stopping: epochs after the best (patience 5)", lambda r: r["epochs_after_best"], "<=", 5,
          "len(accs) - best_epoch == 5"),
    Claim("11", "early stopping: epochs after the best (stopped by patience)", lambda r: r["epochs_after_best"], ">=",
          5, "len(accs) - best_epoch == 5"),
    Claim("11", "early-stopped test accuracy (lower end)", lambda r: r["test_acc"], ">", 0.7, "0.7 < test_acc < 0.9"),
    Claim("11", "early-stopped test accuracy (upper end)", lambda r: r["test_acc"], "<", 0.9, "0.7 < test_acc < 0.9"),
    Claim("11", "|test - valid| accuracy of the stopped model", lambda r: r["test_valid_diff"], "<", 0.03,
          "abs(test_acc - restored) < 0.03"),
    Claim("11", "best of 50 guessers: accuracy on its test set", lambda r: r["winner_test"], ">", 0.12, "on_test > 0.12"),
    Claim("11", "best of 50 guessers: |fresh accuracy - 0.1|", lambda r: r["winner_fresh_dev"], "<", 0.01,
          "abs(on_fresh - 0.1) < 0.01"),
    Claim("12", "λ = 0: train loss / validation loss", lambda r: r["overfit_train_over_valid"], "<", 0.01,
          'assert c0["train"][-1] < c0["valid"][-1] / 100'),
    Claim("12", "λ = 3 / λ = 0: validation loss", lambda r: r["l2_valid_ratio"], "<", 0.1, 'c3["valid"][-1] < c0["valid"][-1] / 10'),
    Claim("12", "λ = 3 / λ = 0: ||w||", lambda r: r["l2_norm_ratio"], "<", 0.1, "w3.norm() < w0.norm() / 10"),
    Claim("12", "largest gap(next λ) / gap(λ)", lambda r: r["gap_ratio_max"], "<", 1,
          "assert all(a > b for a, b in zip(gaps, gaps[1:]))"),
    Claim("12", "λ chosen on validation: test loss / validation loss at λ = 0", lambda r: r["chosen_l2_test_over_none_valid"],
          "<", 0.1, 'test_loss < final[0]["valid"][-1] / 10'),
    Claim("12", "AdamW vs Adam + L2, largest difference", lambda r: r["adamw_vs_adam_l2"], ">", 1e-3, "assert gap > 1e-3"),
    Claim("12", "dropout: |zeroed share - 0.3|", lambda r: r["dropout_zero_share_err"], "<", 0.005, "abs(zeroed - 0.3) < 0.005"),
    Claim("12", "dropout: |mean of 20000 draws - input|", lambda r: r["dropout_mean_err"], "<", 0.1,
          "torch.allclose(mean_out, h, atol=0.1)"),
    Claim("12", "dropout MLP: smallest gap step", lambda r: r["dropout_gap_step"], ">", 0,
          'gap["dropout 0.0"] > gap["dropout 0.2"] > gap["dropout 0.5"]'),
    Claim("12", "dropout MLP: gap(0) - gap(0.5)", lambda r: r["dropout_gap_total"], ">", 0.02,
          'gap["dropout 0.0"] - gap["dropout 0.5"] > 0.02'),
    Claim("12", "dropout MLP: validation accuracy spread", lambda r: r["dropout_valid_spread"], "<", 0.05,
          "max(valid.values()) - min(valid.values()) < 0.05"),
    Claim("12", "dropout MLP: test accuracy of the p chosen on validation", lambda r: r["dropout_chosen_test_acc"], ">", 0.78,
          "test_acc > 0.78"),
    Claim("12", "dropout MLP: |test - validation| accuracy of the chosen p", lambda r: r["dropout_chosen_test_valid_diff"],
          "<", 0.04, "abs(test_acc - valid[chosen]) < 0.04"),
    Claim("13", "lr 3, no clipping: step where loss is nan", lambda r: r["diverged_at_step"], "<=", 196, "diverged_at <= len(train_iter)"),
    Claim("13", "lr 3, clipped at 0.25: validation accuracy", lambda r: r["clipped_acc"], ">", 0.6,
          'clipped["valid_acc"][-1] > 0.6'),
    Claim("13", "decaying / constant schedule: final loss", lambda r: r["decay_over_constant_loss"], "<", 1,
          'assert all(final_loss[k] < final_loss["constant"] for k in kinds[1:])'),
    Claim("13", "test accuracy of the schedule chosen on validation", lambda r: r["chosen_test_acc"], ">", 0.8,
          "assert test_acc > 0.8"),
    Claim("13", "|test - validation| accuracy of the chosen one", lambda r: r["chosen_test_valid_diff"], "<", 0.03,
          'abs(test_acc - histories[chosen]["valid_acc"][-1]) < 0.03'),
    Claim("14", "lr 0.1: batch norm / none, final loss", lambda r: r["bn_over_none_lr0.1"], "<", 0.5,
          'assert final_loss("batch norm", 0.1) < final_loss("none", 0.1) / 2'),
    Claim("14", "lr 0.1: layer norm / none, final loss", lambda r: r["ln_over_none_lr0.1"], "<", 0.75,
          'assert final_loss("layer norm", 0.1) < 0.75 * final_loss("none", 0.1)'),
    Claim("14", "lr 0.1: layer norm / none, final loss (lower end)", lambda r: r["ln_over_none_lr0.1"], ">", 0.3,
          'assert final_loss("layer norm", 0.1) > 0.3 * final_loss("none", 0.1)'),
    Claim("14", "lr 1.0: no normalisation, final loss", lambda r: r["none_loss_lr1"], ">", 1, 'final_loss("none", 1.0) > 1'),
    Claim("14", "lr 1.0: batch norm, final loss", lambda r: r["bn_loss_lr1"], "<", 0.6, 'final_loss("batch norm", 1.0) < 0.6'),
    Claim("14", "lr 1.0: layer norm / batch norm, final loss", lambda r: r["ln_loss_lr1"] / r["bn_loss_lr1"], ">", 2,
          'final_loss("layer norm", 1.0) > 2 * final_loss("batch norm", 1.0)'),
    Claim("14", "test accuracy of the set-up chosen on validation", lambda r: r["chosen_test_acc"], ">", 0.75, "test_acc > 0.75"),
    Claim("14", "|test - validation| accuracy of the chosen set-up", lambda r: r["chosen_test_valid_diff"], "<", 0.03,
          "abs(test_acc - valid[chosen]) < 0.03"),
    Claim("15", "quantisation error / (scale / 2)", lambda r: r["quant_err_over_half_step"], "<=", 1.0001,
          "assert err <= scale / 2 + 1e-7"),
    Claim("15", "float32 / int8 size", lambda r: r["size_ratio"], ">", 3.5, "assert size_f / size_q > 3.5"),
    Claim("15", "|accuracy change| float32 -> int8", lambda r: r["int8_acc_change"], "<", 0.01, "abs(acc_f - acc_q) < 0.01"),
    Claim("15", "int8 and float32 predict the same class", lambda r: r["same_class"], ">", 0.98, "same > 0.98"),
    Claim("15", "max |onnxruntime - PyTorch| logit", lambda r: r["onnx_max_diff"], "<", 1e-4, "max_diff < 1e-4"),
    Claim("15", "ONNX flips a clear winner (gap > 1e-4)", lambda r: r["onnx_clear_flips"], "<", 1, "clear_flips == 0"),
    Claim("16", "one-hot / best label-coded island fit, RMSE", lambda r: r["one_hot_over_best_codes"], "<", 1,
          "rmse_one_hot < min(rmse_codes.values())"),
    Claim("16", "L2 / Huber with one bad record, CV median error", lambda r: r["l2_bad_over_huber_bad"], ">", 1.3,
          'mean_cv["L2, one bad record"] > 1.3 * mean_cv["Huber, one bad record"]'),
    Claim("16", "|Huber with the bad record / clean L2 - 1|", lambda r: r["huber_bad_vs_clean"], "<", 0.1,
          'abs(mean_cv["Huber, one bad record"] / mean_cv["L2, clean data"] - 1) < 0.1'),
    Claim("16", "softmax regression chosen (1 = yes)", lambda r: r["chosen_softmax"], ">", 0.5,
          'chosen_cls == "softmax regression"'),
    Claim("16", "CV mistakes, larger of the two / training birds", lambda r: r["cv_mistakes_share"], "<", 0.03,
          "max(a, b) < 0.03 * len(y_cls)"),
    Claim("16", "test median error / CV median error (Huber)", lambda r: r["test_median_over_cv"], "<", 1.3,
          'residual_g.abs().median() < 1.3 * mean_cv["Huber, one bad record"]'),
    Claim("16", "species test accuracy", lambda r: r["test_acc"], ">", 0.95, "1 - wrong / len(test_df) > 0.95"),
]


def worker(lessons, seeds):
    """Run the experiments in this process (its profile is set by the environment)."""
    import torch
    os.environ.setdefault("D2L_HEADLESS", "1")
    # torch caps OMP_NUM_THREADS at the number of cores; the profile asks for exactly this many
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", torch.get_num_threads())))
    for lesson in lessons:
        for s in seeds:
            start = time.perf_counter()
            values = EXPERIMENTS[lesson](s)
            print(json.dumps({"lesson": lesson, "seed": s, "values": values,
                              "capability": torch.backends.cpu.get_cpu_capability(),
                              "threads": torch.get_num_threads(), "seconds": time.perf_counter() - start}), flush=True)


def measure(lessons, seeds, profiles):
    results = []
    for name in profiles:
        env = {**os.environ, "CUDA_VISIBLE_DEVICES": "", "PYTHONHASHSEED": "0", "D2L_HEADLESS": "1", **PROFILES[name]}
        for k in ("ATEN_CPU_CAPABILITY", "MKL_ENABLE_INSTRUCTIONS", "ONEDNN_MAX_CPU_ISA"):
            if k not in PROFILES[name]:
                env.pop(k, None)
        print(f"profile {name}: {' '.join(f'{k}={v}' for k, v in PROFILES[name].items())}", file=sys.stderr, flush=True)
        cmd = [sys.executable, __file__, "--worker", "--only", *lessons, "--seeds", str(len(seeds))]
        with subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, text=True, cwd=ROOT) as proc:
            for line in proc.stdout:
                row = {**json.loads(line), "profile": name}
                print(f"  {name} lesson {row['lesson']} seed {row['seed']}: {row['seconds']:.0f} s "
                      f"({row['capability']}, {row['threads']} threads)", file=sys.stderr, flush=True)
                results.append(row)
        if proc.returncode:
            sys.exit(f"profile {name}: the worker failed (exit {proc.returncode})")
    return results


def fmt(v):
    if v == math.inf:
        return "never"
    if v == 0 or 1e-3 <= abs(v) < 1e4:
        return f"{v:.4g}"
    return f"{v:.1e}"


def table(results):
    lines = ["| lesson | claim | threshold | worst | best | holds |", "|---|---|---|---|---|---|"]
    failing = 0
    for claim in CLAIMS:
        values = [claim.value(r["values"]) for r in results if r["lesson"] == claim.lesson]
        if not values:
            continue
        worst, best = claim.worst_best(values)
        held = sum(claim.holds(v) for v in values)
        failing += held < len(values)
        what = claim.what.replace("|", "\\|")  # a literal | would end the Markdown cell
        lines.append(f"| {claim.lesson} | {what} | {claim.op} {fmt(claim.threshold)} | {fmt(worst)} | "
                     f"{fmt(best)} | {held}/{len(values)} |")
    seeds = sorted({r["seed"] for r in results})
    profiles = list(dict.fromkeys(r["profile"] for r in results))
    lines.append(f"\n{len(seeds)} seeds x {len(profiles)} profiles ({', '.join(profiles)}); "
                 f"{failing} claim(s) fail somewhere.")
    return "\n".join(lines), failing


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="+", default=sorted(EXPERIMENTS), help="lessons, e.g. 11 12")
    parser.add_argument("--seeds", type=int, default=5, help="seed shifts 0..N-1 (default 5)")
    parser.add_argument("--profiles", nargs="+", default=list(PROFILES), choices=list(PROFILES))
    parser.add_argument("--save", help="write the raw results to this JSON file")
    parser.add_argument("--load", nargs="+", help="print the table of saved results instead of measuring")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    if args.worker:
        return worker(args.only, range(args.seeds))
    if args.load:
        results = [row for path in args.load for row in json.loads(pathlib.Path(path).read_text())]
    else:
        results = measure(args.only, range(args.seeds), args.profiles)
        if args.save:
            pathlib.Path(args.save).write_text(json.dumps(results))
    text, failing = table(results)
    print(text)
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
