"""One shuffled pass over Fashion-MNIST's training set, batch 256: the book's pipeline vs d2lcore's.

    .venv/bin/python benchmarks/fashion_mnist_loader.py [--repeats 3] [--workers 4] [--device cpu]

(a) the book: DataLoader(FashionMNIST(transform=ToTensor()), 256, shuffle=True, num_workers=4);
(b) d2lcore: load_data_fashion_mnist(256), the whole split on the device.
Both run in this one process, on the same machine; each pass is timed `--repeats` times and the
median is reported, with the ratio. Worker start-up is part of (a)'s pass, as in the book's loop.
"""
import argparse
import statistics
import time
import warnings

import torch
from torch.utils import data
from torchvision import datasets, transforms

import d2lcore as d2l


def one_pass(loader, device=None):
    start, n = time.perf_counter(), 0
    for X, y in loader:
        if device is not None:  # the book's loop copies every batch to the device
            X, y = X.to(device), y.to(device)
        n += len(y)
    if X.is_cuda:  # either side: the pass ends when its last copy has landed, not when it was queued
        torch.cuda.synchronize()
    elapsed = time.perf_counter() - start
    assert n == 60000, n
    return elapsed


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--workers", type=int, default=4, help="the book's num_workers (default 4)")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--device", default=None, help="default: d2l.try_gpu()")
    args = p.parse_args()
    device = torch.device(args.device) if args.device else d2l.try_gpu()

    root = d2l.infra.ensure_fashion_mnist()
    # the book's 4 workers on a machine with fewer cores makes PyTorch warn; that is the point
    warnings.filterwarnings("ignore", message="This DataLoader will create")
    book = data.DataLoader(datasets.FashionMNIST(root, train=True, transform=transforms.ToTensor()),
                           args.batch_size, shuffle=True, num_workers=args.workers)
    start = time.perf_counter()
    ours, _ = d2l.load_data_fashion_mnist(args.batch_size, device=device, seed=0)
    load_s = time.perf_counter() - start

    book_times = [one_pass(book, device) for _ in range(args.repeats)]
    ours_times = [one_pass(ours) for _ in range(args.repeats)]
    b, o = statistics.median(book_times), statistics.median(ours_times)
    print(f"device {device}, batch {args.batch_size}, {args.repeats} passes each, median:")
    print(f"  book DataLoader(ToTensor, num_workers={args.workers}): {b:.3f} s per pass")
    print(f"  d2lcore load_data_fashion_mnist:               {o:.4f} s per pass "
          f"(+ {load_s:.2f} s once to load the split onto the device)")
    print(f"  ratio: {b / o:.0f}x")


if __name__ == "__main__":
    main()
