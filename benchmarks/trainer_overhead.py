"""What `d2l.train` costs over a bare eager loop on the same tensors, the same model and optimizer.

    .venv/bin/python benchmarks/trainer_overhead.py [--epochs 3] [--repeats 5] [--device cpu] [--threads N]

Five sides, in one process, on Fashion-MNIST as device tensors (`load_data_fashion_mnist(256,
device=...)`, a `TensorLoader`), each followed by the held-out accuracy after every epoch: (a), (b),
(c) and (e) evaluate with one plain loop (`held_out`); (d) with `d2l.evaluate_accuracy`, its own:
(a) the bare loop: forward, mean cross-entropy, zero_grad, backward, SGD step;
(b) the bare loop that also keeps what `d2l.train` reports: the epoch's summed training loss and
    correct predictions, as device tensors read once per epoch (lesson 04's metric line);
(c) lesson 04's loop itself, unguarded: the summed loss's backward(), the optimizer adapted to
    `updater(batch_size)` (`d2l.as_updater`), the metric line: the least any trainer that is
    lesson 04's loop can cost;
(d) `d2l.train` with no figure (and no progress bar: none is shown headless), which is (c) plus its
    marked lines (the guards, the device, the history) and its guarded evaluation;
(e) a design not taken, for comparison: (c) with its metrics counted once per epoch instead of at
    every step (each step's loss, scores and labels kept, as references; one stack, cat, argmax,
    compare and sum at the epoch's end), which saves four operations a step (four kernel launches on
    a GPU) at the price of keeping an epoch's scores.
Softmax regression (784 -> 10) and an MLP (784-256-10), lr 0.1. Each side is timed `--repeats`
times, rotating, best of each; the ratios are (d) over (a), (b) and (c), and (b), (c) and (e) over (a).

It also counts the operations of one training step, beyond views: aten operations dispatched
(each one is at least one kernel launch on a GPU), and on CUDA the kernels `torch.profiler` saw.
"""
import argparse
import collections
import time

import torch
from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode

import d2lcore as d2l


def model(kind, seed, device):
    torch.manual_seed(seed)
    layers = [nn.Flatten(), nn.Linear(784, 10)] if kind == "softmax" else [
        nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10)]
    return nn.Sequential(*layers).to(device)


def held_out(net, test_iter):
    net.eval()
    correct = n = 0
    with torch.no_grad():
        for X, y in test_iter:
            correct += (net(X).argmax(dim=1) == y).sum()
            n += len(y)
    net.train()
    return float(correct) / n


def bare(net, train_iter, test_iter, epochs, lr):
    loss = nn.CrossEntropyLoss()
    opt = torch.optim.SGD(net.parameters(), lr=lr)
    for _ in range(epochs):
        for X, y in train_iter:
            l = loss(net(X), y)
            opt.zero_grad()
            l.backward()
            opt.step()
        acc = held_out(net, test_iter)
    return acc


def bare_with_metrics(net, train_iter, test_iter, epochs, lr):
    loss = nn.CrossEntropyLoss()
    opt = torch.optim.SGD(net.parameters(), lr=lr)
    for _ in range(epochs):
        metric = d2l.Accumulator(3)
        for X, y in train_iter:
            y_hat = net(X)
            l = loss(y_hat, y)
            opt.zero_grad()
            l.backward()
            opt.step()
            metric.add(l.detach() * len(y), d2l.accuracy(y_hat.detach(), y), y.numel())
        train_loss, train_acc = metric[0] / metric[2], metric[1] / metric[2]
        acc = held_out(net, test_iter)
    return acc


def lesson_04_loop(net, train_iter, test_iter, epochs, lr):
    loss = nn.CrossEntropyLoss(reduction="sum")
    updater = d2l.as_updater(torch.optim.SGD(net.parameters(), lr=lr))
    for _ in range(epochs):
        metric = d2l.Accumulator(3)
        for X, y in train_iter:
            y_hat = net(X)
            l = loss(y_hat, y)
            l.sum().backward()
            updater(X.shape[0])
            metric.add(l.sum().detach(), d2l.accuracy(y_hat.detach(), y), y.numel())
        train_loss, train_acc = metric[0] / metric[2], metric[1] / metric[2]
        acc = held_out(net, test_iter)
    return acc


def lesson_04_loop_counted_per_epoch(net, train_iter, test_iter, epochs, lr):
    loss = nn.CrossEntropyLoss(reduction="sum")
    updater = d2l.as_updater(torch.optim.SGD(net.parameters(), lr=lr))
    for _ in range(epochs):
        kept = []
        for X, y in train_iter:
            y_hat = net(X)
            l = loss(y_hat, y)
            l.sum().backward()
            updater(X.shape[0])
            kept.append((l.detach(), y_hat.detach(), y))
        losses, scores, labels = zip(*kept)
        labels = torch.cat(labels)
        train_loss = float(torch.stack(losses).sum(dtype=torch.float64)) / len(labels)
        train_acc = float(d2l.accuracy(torch.cat(scores), labels)) / len(labels)
        acc = held_out(net, test_iter)
    return acc


def with_d2l(net, train_iter, test_iter, epochs, lr):
    opt = torch.optim.SGD(net.parameters(), lr=lr)
    history = d2l.train(net, train_iter, test_iter, nn.CrossEntropyLoss(), epochs, opt,
                        device=next(net.parameters()).device, animate=False)
    return history["test_acc"][-1]


SIDES = {"bare": bare, "bare + metrics": bare_with_metrics, "lesson 04's loop": lesson_04_loop, "d2l.train": with_d2l,
         "counted per epoch": lesson_04_loop_counted_per_epoch}


class CountOps(TorchDispatchMode):
    VIEWS = {"aten::detach", "aten::view", "aten::alias", "aten::t", "aten::_unsafe_view", "aten::reshape",
             "aten::expand", "aten::as_strided", "aten::transpose", "aten::unsqueeze", "aten::squeeze"}

    def __init__(self):
        super().__init__()
        self.ops = collections.Counter()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        if func.name() not in self.VIEWS and not func.name().startswith("profiler::"):
            self.ops[func.name()] += 1
        return func(*args, **(kwargs or {}))


def ops_per_step(fn, kind, train_iter, test_iter, device, steps=20):
    """Operations (and CUDA kernels) per training step: two runs of `steps` steps and one evaluation
    batch, differenced, so the evaluation and the set-up cancel."""
    X, y = next(iter(train_iter))
    test = [next(iter(test_iter))]
    counts = []
    for n in (steps, 2 * steps):
        net = model(kind, 0, device)
        fn(net, [(X, y)] * n, test, 1, 0.1)  # warm-up: lazy initialisation
        net = model(kind, 0, device)
        with CountOps() as c:
            fn(net, [(X, y)] * n, test, 1, 0.1)
        kernels = None
        if device.type == "cuda":
            with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CUDA]) as prof:
                fn(model(kind, 0, device), [(X, y)] * n, test, 1, 0.1)
                torch.cuda.synchronize()
            kernels = sum(e.count for e in prof.key_averages() if e.device_type == torch.autograd.DeviceType.CUDA)
        counts.append((sum(c.ops.values()), kernels))
    ops = (counts[1][0] - counts[0][0]) / steps
    kernels = None if counts[0][1] is None else (counts[1][1] - counts[0][1]) / steps
    return ops, kernels


def timed(fn, *args):
    cuda = next(args[0].parameters()).is_cuda
    if cuda:
        torch.cuda.synchronize()
    start = time.perf_counter()
    result = fn(*args)
    if cuda:
        torch.cuda.synchronize()
    return time.perf_counter() - start, result


LOOP = "lesson 04's loop"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    train_iter, test_iter = d2l.load_data_fashion_mnist(256, device=device)
    print(f"device {device}, torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"{args.epochs} epochs, best of {args.repeats}")
    for kind in ("softmax", "mlp"):
        times = {side: [] for side in SIDES}
        accs = {}
        order = list(SIDES)
        for r in range(args.repeats):
            for side in order[r % len(order):] + order[:r % len(order)]:  # rotated: no side always runs first
                t, accs[side] = timed(SIDES[side], model(kind, r, device), train_iter, test_iter, args.epochs, 0.1)
                times[side].append(t)
        best = {side: min(t) for side, t in times.items()}
        print(f"{kind:8s} " + "   ".join(f"{side} {t:5.2f} s" for side, t in best.items())
              + f"   d2l.train / bare {best['d2l.train'] / best['bare']:.3f}x"
              + f"   / bare + metrics {best['d2l.train'] / best['bare + metrics']:.3f}x"
              + f"   / lesson 04's loop {best['d2l.train'] / best[LOOP]:.3f}x"
              + f"   (bare + metrics / bare {best['bare + metrics'] / best['bare']:.3f}x, "
                f"lesson 04's loop / bare {best[LOOP] / best['bare']:.3f}x, counted per epoch / bare "
                f"{best['counted per epoch'] / best['bare']:.3f}x)")
        counts = {side: ops_per_step(SIDES[side], kind, train_iter, test_iter, device) for side in SIDES}
        print(f"{'':8s} per training step: " + "   ".join(
            f"{side} {ops:.1f} ops" + ("" if kernels is None else f", {kernels:.1f} CUDA kernels")
            for side, (ops, kernels) in counts.items()))


if __name__ == "__main__":
    main()
