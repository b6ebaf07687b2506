"""The book's own d2l package (0.17.6, the last with `train_ch3`) against d2lcore, in one process.

    pip install --no-deps d2l==0.17.6 pandas requests     # d2l pins numpy 1.21.5, matplotlib 3.5.1, pandas 1.2.4
    .venv/bin/python benchmarks/book_side_by_side.py [--epochs 10] [--seed 0]

Three workloads as the book's sections run them, less the evaluations the sections print on
the way (softmax regression's accuracy before training, weight decay's losses every 5 epochs:
they only add time, and draw from the random stream the shuffles use), each once with `from d2l import torch as d2l`
and once with `import d2lcore as d2l`, the same seed and the same model code:
- softmax regression from scratch (W, b made on the CPU, the book's naive softmax and
  cross-entropy, `d2l.sgd` as the updater, `d2l.train_ch3`);
- the concise MLP (784-256-10, weights N(0, 0.01), SGD lr 0.1, `d2l.train_ch3`);
- weight decay from scratch (200 inputs, 20 examples, 100 epochs, lambda 0 and 3;
  `d2l.synthetic_data`, `load_array`, `linreg`, `squared_loss`, `sgd`, `evaluate_loss`).
Fashion-MNIST is read offline: the book's loader (root="../data") is pointed at d2lcore's cache.
Prints the seconds of each side, the ratio and each side's result. The book's loader uses its own
4 workers (torch warns on a machine with fewer cores; the warning is silenced here, not the cost).
"""
import argparse
import contextlib
import io
import os
import pathlib
import sys
import tempfile
import time
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

import d2lcore  # noqa: E402
from d2lcore.infra import fashion_mnist_files  # noqa: E402


def softmax_scratch(d2l, seed, epochs):
    torch.manual_seed(seed)
    train_iter, test_iter = d2l.load_data_fashion_mnist(256)
    W = torch.normal(0, 0.01, size=(784, 10), requires_grad=True)
    b = torch.zeros(10, requires_grad=True)

    def softmax(X):
        X_exp = torch.exp(X)
        return X_exp / X_exp.sum(1, keepdim=True)

    def net(X):
        return softmax(torch.matmul(X.reshape((-1, W.shape[0])), W) + b)

    def cross_entropy(y_hat, y):
        return -torch.log(y_hat[range(len(y_hat)), y])

    d2l.train_ch3(net, train_iter, test_iter, cross_entropy, epochs, lambda n: d2l.sgd([W, b], 0.1, n))
    return f"test acc {d2l.evaluate_accuracy(net, test_iter):.3f}"


def mlp_concise(d2l, seed, epochs):
    torch.manual_seed(seed)
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    for m in net:
        if type(m) == nn.Linear:
            nn.init.normal_(m.weight, std=0.01)
    train_iter, test_iter = d2l.load_data_fashion_mnist(256)
    d2l.train_ch3(net, train_iter, test_iter, nn.CrossEntropyLoss(reduction="none"), epochs,
                  torch.optim.SGD(net.parameters(), lr=0.1))
    return f"test acc {d2l.evaluate_accuracy(net, test_iter):.3f}"


def weight_decay(d2l, seed, epochs):
    torch.manual_seed(seed)
    n_train, n_test, num_inputs, batch_size = 20, 100, 200, 5
    true_w, true_b = torch.ones((num_inputs, 1)) * 0.01, 0.05
    train_iter = d2l.load_array(d2l.synthetic_data(true_w, true_b, n_train), batch_size)
    test_iter = d2l.load_array(d2l.synthetic_data(true_w, true_b, n_test), batch_size, is_train=False)
    result = []
    for lambd in (0, 3):
        w = torch.normal(0, 1, size=(num_inputs, 1), requires_grad=True)
        b = torch.zeros(1, requires_grad=True)
        net, loss = (lambda X: d2l.linreg(X, w, b)), d2l.squared_loss
        for _ in range(100):
            for X, y in train_iter:
                l = loss(net(X), y) + lambd * torch.sum(w.pow(2)) / 2
                l.sum().backward()
                d2l.sgd([w, b], 0.003, batch_size)
        result.append(f"lambda {lambd}: test loss {float(d2l.evaluate_loss(net, test_iter, loss)):.3g}")
    return ", ".join(result)


def run(fn, d2l, seed, epochs):
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):  # the book's Animator prints its figure outside Jupyter
        result = fn(d2l, seed, epochs)
    plt.close("all")
    return time.perf_counter() - start, result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    try:
        from d2l import torch as book
    except ImportError:
        sys.exit("the book's package is not installed: pip install --no-deps d2l==0.17.6 pandas requests")
    if not hasattr(book, "train_ch3"):
        sys.exit(f"this d2l ({book.__name__}) has no train_ch3; install d2l==0.17.6")
    warnings.filterwarnings("ignore", message="This DataLoader will create")
    # the book's train_epoch_ch3 calls float() on a loss that requires grad; newer torch warns
    warnings.filterwarnings("ignore", message="Converting a tensor with requires_grad=True")
    root = fashion_mnist_files.ensure_fashion_mnist()  # <root>/FashionMNIST/raw, torchvision's layout
    here = os.getcwd()
    with tempfile.TemporaryDirectory() as tmp:
        (pathlib.Path(tmp) / "data").symlink_to(root)
        (pathlib.Path(tmp) / "work").mkdir()
        os.chdir(pathlib.Path(tmp) / "work")  # the book reads "../data"
        try:
            print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} cores; "
                  f"seed {args.seed}, {args.epochs} epochs; both sides on the CPU (train_ch3 moves nothing)")
            for fn in (softmax_scratch, mlp_concise, weight_decay):
                t_book, r_book = run(fn, book, args.seed, args.epochs)
                t_ours, r_ours = run(fn, d2lcore, args.seed, args.epochs)
                print(f"{fn.__name__}:")
                print(f"  d2l 0.17.6  {t_book:7.1f} s   {r_book}")
                print(f"  d2lcore     {t_ours:7.1f} s   {r_ours}")
                print(f"  ratio (book / d2lcore): {t_book / t_ours:.1f}x")
        finally:
            os.chdir(here)  # before the folder goes: IPython's exit handler reads the working directory

if __name__ == "__main__":
    main()
