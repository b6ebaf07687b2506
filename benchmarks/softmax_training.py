"""10 epochs of concise softmax regression on Fashion-MNIST: the book's pipeline vs d2lcore's.

    .venv/bin/python benchmarks/softmax_training.py [--epochs 10] [--device cuda]

(a) the book: torchvision DataLoader(FashionMNIST(transform=ToTensor()), 256, num_workers=4)
    for training (shuffled) and testing, and the loop of `train_epoch_ch3`/`evaluate_accuracy`,
    which reads `float(l.sum())` and `float(accuracy(...))` at every step;
(b) d2lcore: `d2l.train` with `d2l.load_data_fashion_mnist(256)`.
Same model (nn.Flatten + nn.Linear(784, 10), weights N(0, 0.01)), loss, SGD lr 0.1, batch 256,
evaluation on the test set after every epoch, same device, one process. Prints both times,
the ratio and both final test accuracies.
"""
import argparse
import time
import warnings

import torch
from torch import nn
from torch.utils import data
from torchvision import datasets, transforms

import d2lcore as d2l


def make_net(seed):
    torch.manual_seed(seed)
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    nn.init.normal_(net[1].weight, std=0.01)
    nn.init.zeros_(net[1].bias)
    return net


def book_accuracy(y_hat, y):
    return float((y_hat.argmax(axis=1).type(y.dtype) == y).type(y.dtype).sum())


def book_train(net, train_iter, test_iter, num_epochs, lr, device):
    """The book's train_ch3 loop (d2l 0.17), minus the plotting."""
    loss = nn.CrossEntropyLoss(reduction="none")
    updater = torch.optim.SGD(net.parameters(), lr=lr)
    net.to(device)
    test_acc = None
    for _ in range(num_epochs):
        net.train()
        metric = [0.0, 0.0, 0.0]
        for X, y in train_iter:
            X, y = X.to(device), y.to(device)
            y_hat = net(X)
            l = loss(y_hat, y)
            updater.zero_grad()
            l.mean().backward()
            updater.step()
            metric[0] += float(l.sum())
            metric[1] += book_accuracy(y_hat, y)
            metric[2] += y.numel()
        net.eval()
        correct = total = 0.0
        with torch.no_grad():
            for X, y in test_iter:
                X, y = X.to(device), y.to(device)
                correct += book_accuracy(net(X), y)
                total += y.numel()
        test_acc = correct / total
    return test_acc


def timed(fn, device):
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    result = fn()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start, result


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--workers", type=int, default=4)
    p.add_argument("--device", default=None, help="default: d2l.try_gpu()")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    device = torch.device(args.device) if args.device else d2l.try_gpu()
    warnings.filterwarnings("ignore", message="This DataLoader will create")  # 4 workers on 2 cores
    # torch >= 2.15 warns at the book's float(l.sum()) of a tensor that requires grad, every step
    warnings.filterwarnings("ignore", message="Converting a tensor with requires_grad=True to a scalar")

    root = d2l.infra.ensure_fashion_mnist()
    tt = transforms.ToTensor()
    book_train_iter = data.DataLoader(datasets.FashionMNIST(root, train=True, transform=tt), 256,
                                      shuffle=True, num_workers=args.workers)
    book_test_iter = data.DataLoader(datasets.FashionMNIST(root, train=False, transform=tt), 256,
                                     shuffle=False, num_workers=args.workers)
    def book(epochs):
        torch.manual_seed(args.seed)
        return book_train(make_net(args.seed), book_train_iter, book_test_iter, epochs, 0.1, device)

    def ours(epochs):
        # d2lcore's time includes putting the splits on the device and building its loaders
        train_iter, test_iter = d2l.load_data_fashion_mnist(256, device=device, seed=args.seed)
        net = make_net(args.seed)
        hist = d2l.train(net, train_iter, test_iter, nn.CrossEntropyLoss(), epochs,
                         torch.optim.SGD(net.parameters(), lr=0.1), device, animate=False)
        return hist["test_acc"][-1]

    # warm-up, one epoch each: CUDA/cuBLAS initialisation and the first reading of the files (the
    # book's dataset object keeps them; d2lcore caches the decoded splits) are neither loop's cost
    book(1)
    ours(1)
    book_s, book_acc = timed(lambda: book(args.epochs), device)
    ours_s, ours_acc = timed(lambda: ours(args.epochs), device)
    print(f"device {device}, {args.epochs} epochs, batch 256, lr 0.1, evaluation every epoch")
    print(f"  book pipeline (DataLoader num_workers={args.workers}, float() per step): "
          f"{book_s:7.2f} s, final test acc {book_acc:.4f}")
    print(f"  d2l.train + load_data_fashion_mnist:                       "
          f"{ours_s:7.2f} s, final test acc {ours_acc:.4f}")
    print(f"  ratio: {book_s / ours_s:.1f}x, accuracy difference: {100 * (ours_acc - book_acc):+.2f} points")


if __name__ == "__main__":
    main()
