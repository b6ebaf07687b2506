"""What `d2l.train` costs over a bare eager loop on the same tensors, the same model and optimizer.

    .venv/bin/python benchmarks/trainer_overhead.py [--epochs 3] [--repeats 3] [--device cpu]

Both sides, in one process, on Fashion-MNIST as device tensors (`load_data_fashion_mnist(256,
device=...)`, a `TensorLoader`): (a) the bare loop — forward, mean cross-entropy, zero_grad,
backward, SGD step, and the held-out accuracy after every epoch; (b) `d2l.train` with no figure and
no progress bar, which also keeps the training loss and accuracy and runs its guards. Softmax
regression (784 -> 10) and an MLP (784-256-10), lr 0.1. Each side is timed `--repeats` times,
alternating, best of each; the ratio is d2lcore's time over the bare loop's.
"""
import argparse
import time

import torch
from torch import nn

import d2lcore as d2l


def model(kind, seed, device):
    torch.manual_seed(seed)
    layers = [nn.Flatten(), nn.Linear(784, 10)] if kind == "softmax" else [
        nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10)]
    return nn.Sequential(*layers).to(device)


def bare(net, train_iter, test_iter, epochs, lr):
    loss = nn.CrossEntropyLoss()
    opt = torch.optim.SGD(net.parameters(), lr=lr)
    for _ in range(epochs):
        net.train()
        for X, y in train_iter:
            l = loss(net(X), y)
            opt.zero_grad()
            l.backward()
            opt.step()
        net.eval()
        correct = n = 0
        with torch.no_grad():
            for X, y in test_iter:
                correct += (net(X).argmax(dim=1) == y).sum()
                n += len(y)
        acc = float(correct) / n
    return acc


def with_d2l(net, train_iter, test_iter, epochs, lr):
    opt = torch.optim.SGD(net.parameters(), lr=lr)
    history = d2l.train(net, train_iter, test_iter, nn.CrossEntropyLoss(), epochs, opt,
                        device=next(net.parameters()).device, animate=False, progress=False)
    return history["test_acc"][-1]


def timed(fn, *args):
    if args[0] is not None and next(args[0].parameters()).is_cuda:
        torch.cuda.synchronize()
    start = time.perf_counter()
    result = fn(*args)
    if args[0] is not None and next(args[0].parameters()).is_cuda:
        torch.cuda.synchronize()
    return time.perf_counter() - start, result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    device = torch.device(args.device)
    train_iter, test_iter = d2l.load_data_fashion_mnist(256, device=device)
    print(f"device {device}, torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"{args.epochs} epochs, best of {args.repeats}")
    for kind in ("softmax", "mlp"):
        times = {"bare": [], "d2l": []}
        accs = {}
        for r in range(args.repeats):
            for side, fn in (("bare", bare), ("d2l", with_d2l)) if r % 2 == 0 else (("d2l", with_d2l), ("bare", bare)):
                t, acc = timed(fn, model(kind, r, device), train_iter, test_iter, args.epochs, 0.1)
                times[side].append(t)
                accs[side] = acc
        b, d = min(times["bare"]), min(times["d2l"])
        print(f"{kind:8s} bare loop {b:6.2f} s   d2l.train {d:6.2f} s   ratio {d / b:.3f}x   "
              f"(test acc {accs['bare']:.3f} / {accs['d2l']:.3f})")


if __name__ == "__main__":
    main()
