"""The book's compatibility surface (`d2lcore.book`), called the way the book's PyTorch cells call
it: the book's shapes, return types and asserts. Written from the book's contracts."""
import pathlib

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from torch import nn

import d2lcore as d2l


def _blobs(n=600, seed=0):
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 3, (n,), generator=g)
    return torch.tensor([[3.0, 0.0], [-3.0, 0.0], [0.0, 3.0]])[y] + torch.randn(n, 2, generator=g), y


def test_book_names_are_served_but_stay_out_of_the_curated_namespace():
    for name in d2l.book.__all__:
        assert getattr(d2l, name) is getattr(d2l.book, name)
        assert name not in d2l.__all__ and name not in dir(d2l)
    with pytest.raises(AttributeError, match="has no attribute 'train_ch4'"):
        d2l.train_ch4


def test_tensor_aliases_behave_as_the_books():
    x = d2l.arange(12, dtype=d2l.float32)
    X = d2l.reshape(x, (3, 4))
    assert X.shape == (3, 4) and d2l.size(X) == 12
    assert d2l.reduce_sum(X).item() == 66.0 and d2l.reduce_sum(X, axis=0).tolist() == [12.0, 15.0, 18.0, 21.0]
    assert d2l.reduce_sum(X, 1, keepdim=True).shape == (3, 1)  # softmax-scratch's partition
    assert d2l.argmax(X, axis=1).tolist() == [3, 3, 3]
    assert d2l.astype(X > 5, d2l.float32).dtype == torch.float32
    assert isinstance(d2l.numpy(X.requires_grad_()), np.ndarray)
    assert d2l.matmul(d2l.ones(2, 3), d2l.ones(3, 1)).shape == (2, 1)
    assert d2l.normal(0, 1, (5, 2)).shape == (5, 2)
    torch.testing.assert_close(d2l.log(d2l.exp(d2l.tensor([1.0, 2.0]))), torch.tensor([1.0, 2.0]))
    assert d2l.transpose(X).shape == (4, 3) and d2l.reduce_mean(X).item() == 5.5
    assert d2l.concat((X, X), dim=0).shape == (6, 4)
    # underfit-overfit: NumPy arrays to float32 tensors
    assert d2l.tensor(np.zeros(3), dtype=d2l.float32).dtype == torch.float32


# Every other one-line alias, called as the book calls it, against torch's own function.
ALIASES = {
    "zeros": lambda f: (f((2, 3)), torch.zeros(2, 3)),
    "ones": lambda f: (f((2, 1)) * 0.01, torch.full((2, 1), 0.01)),
    "meshgrid": lambda f: (f(torch.arange(2), torch.arange(3), indexing="ij")[1],
                           torch.tensor([[0, 1, 2], [0, 1, 2]])),
    "sin": lambda f: (f(torch.tensor([0.5])), torch.tensor([0.5]).sin()),
    "sinh": lambda f: (f(torch.tensor([0.5])), torch.tensor([0.5]).sinh()),
    "cos": lambda f: (f(torch.tensor([0.5])), torch.tensor([0.5]).cos()),
    "cosh": lambda f: (f(torch.tensor([0.5])), torch.tensor([0.5]).cosh()),
    "tanh": lambda f: (f(torch.tensor([0.5])), torch.tensor([0.5]).tanh()),
    "sigmoid": lambda f: (f(torch.tensor([0.0])), torch.tensor([0.5])),
    "abs": lambda f: (f(torch.tensor([-2.0])), torch.tensor([2.0])),
    "linspace": lambda f: (f(0, 1, 3), torch.tensor([0.0, 0.5, 1.0])),
    "eye": lambda f: (f(2), torch.tensor([[1.0, 0.0], [0.0, 1.0]])),
    "stack": lambda f: (f([torch.ones(2), torch.zeros(2)]), torch.tensor([[1.0, 1.0], [0.0, 0.0]])),
    "batch_matmul": lambda f: (f(torch.ones(2, 1, 3), torch.ones(2, 3, 1)), torch.full((2, 1, 1), 3.0)),
    "rand": lambda f: (f(2, 3).shape, torch.Size([2, 3])),
    "randn": lambda f: (f(4).shape, torch.Size([4])),
    "to": lambda f: (f(torch.ones(2), "cpu", torch.float64), torch.ones(2, dtype=torch.float64)),
    "int32": lambda f: (f, torch.int32),
}


@pytest.mark.parametrize("name", sorted(ALIASES))
def test_each_remaining_alias_is_torchs_function(name):
    got, want = ALIASES[name](getattr(d2l, name))
    if isinstance(want, torch.Tensor):
        torch.testing.assert_close(got, want, check_dtype=True)
    else:
        assert got == want


def test_device_names_as_the_book_uses_them():
    assert d2l.cpu() == torch.device("cpu")
    assert d2l.num_gpus() == torch.cuda.device_count()
    assert d2l.try_all_gpus()[0] == d2l.try_gpu()


def test_every_book_name_is_exercised_here():
    source = pathlib.Path(__file__).read_text()
    untested = [n for n in d2l.book.__all__ if f"d2l.{n}" not in source and f'"{n}"' not in source]
    assert not untested, f"book names with no test: {untested}"


def test_plotting_aliases_as_the_calculus_section_uses_them(ipython_shell):
    d2l.use_svg_display()  # sets the shell's figure formats: a shell of this test's own (conftest)
    old = plt.rcParams["figure.figsize"]
    try:
        d2l.set_figsize((4, 2))
        assert list(d2l.plt.rcParams["figure.figsize"]) == [4, 2]
        ax = d2l.plt.gca()
        ax.plot([1, 2], [1, 10])
        # the Animator's call: all eight arguments by position
        d2l.set_axes(ax, "x", "f(x)", [0, 3], [1e-1, 1e2], "linear", "log", ["f"])
        assert (ax.get_xlabel(), ax.get_ylabel(), ax.get_yscale()) == ("x", "f(x)", "log")
        assert ax.get_xlim() == (0, 3) and [t.get_text() for t in ax.get_legend().get_texts()] == ["f"]
    finally:
        plt.rcParams["figure.figsize"] = old
        plt.close("all")


def test_train_epoch_ch3_returns_float_loss_and_accuracy_for_classification_and_regression():
    X, y = _blobs(200)
    net = nn.Linear(2, 3)
    loss, acc = d2l.train_epoch_ch3(net, [(X, y)], nn.CrossEntropyLoss(reduction="none"),
                                    torch.optim.SGD(net.parameters(), lr=0.1))
    assert isinstance(loss, float) and isinstance(acc, float) and 0 <= acc <= 1
    # the book's polynomial-fitting cells: (n, 1) targets, MSELoss(reduction='none')
    Xr, yr = torch.randn(50, 4), torch.randn(50, 1)
    net = nn.Linear(4, 1, bias=False)
    loss_fn = nn.MSELoss(reduction="none")
    losses = [d2l.train_epoch_ch3(net, [(Xr, yr)], loss_fn, torch.optim.SGD(net.parameters(), lr=0.1))[0]
              for _ in range(20)]
    assert losses[-1] < losses[0]
    assert d2l.evaluate_loss(net, [(Xr, yr)], loss_fn) == pytest.approx(loss_fn(net(Xr), yr).mean().item(), rel=1e-6)


def test_train_epoch_ch3_with_a_from_scratch_updater_steps_on_the_summed_loss():
    X, y = _blobs(100)
    W, b = torch.zeros(2, 3, requires_grad=True), torch.zeros(3, requires_grad=True)
    d2l.train_epoch_ch3(lambda X: X @ W + b, [(X, y)], d2l.cross_entropy_from_logits,
                        lambda n: d2l.sgd([W, b], 0.1, n))
    net = nn.Linear(2, 3)
    with torch.no_grad():
        net.weight.zero_()
        net.bias.zero_()
    d2l.train_epoch_ch3(net, [(X, y)], nn.CrossEntropyLoss(reduction="none"), torch.optim.SGD(net.parameters(), lr=0.1))
    torch.testing.assert_close(W.detach().T, net.weight.detach())


def test_train_ch3_returns_nothing_and_asserts_what_the_book_asserts():
    X, y = _blobs()
    train_iter = d2l.TensorLoader(X[:500], y[:500], 50, shuffle=True, seed=0)
    test_iter = d2l.TensorLoader(X[500:], y[500:], 50)
    net = nn.Linear(2, 3)
    assert d2l.train_ch3(net, train_iter, test_iter, nn.CrossEntropyLoss(reduction="none"), 3,
                         torch.optim.SGD(net.parameters(), lr=0.1)) is None
    untrained = nn.Linear(2, 3)
    with torch.no_grad():
        untrained.weight.zero_()
        untrained.bias.zero_()
    with pytest.raises(AssertionError):  # lr 0 learns nothing: loss log 3 > 0.5
        d2l.train_ch3(untrained, train_iter, test_iter, nn.CrossEntropyLoss(reduction="none"), 2,
                      torch.optim.SGD(untrained.parameters(), lr=0.0))
    plt.close("all")


def test_train_ch3_asserts_on_the_validation_accuracy_when_given_a_validation_loader():
    # d2l.train names the third curve after the loader's split; reading "test_acc" failed after the last epoch
    X, y = _blobs()
    train_iter = d2l.TensorLoader(X[:500], y[:500], 50, shuffle=True, seed=0)
    valid_iter = d2l.TensorLoader(X[500:], y[500:], 50, split="valid")
    net = nn.Linear(2, 3)
    assert d2l.train_ch3(net, train_iter, valid_iter, nn.CrossEntropyLoss(reduction="none"), 3,
                         torch.optim.SGD(net.parameters(), lr=0.1)) is None
    plt.close("all")


def test_train_ch3_trains_where_the_model_is_and_moves_nothing(monkeypatch):
    """The book's train_ch3 moves nothing: a pasted cell that makes tensors on the CPU inside its
    model (the dropout section's `torch.rand(X.shape)` mask) must keep working on a GPU machine.
    'meta' stands in for the GPU that d2l.train would pick."""
    monkeypatch.setattr(d2l.training, "try_gpu", lambda i=0: torch.device("meta"))
    X, y = _blobs()
    train_iter = d2l.TensorLoader(X[:500], y[:500], 50, shuffle=True, seed=0)
    test_iter = d2l.TensorLoader(X[500:], y[500:], 50)

    class WithCpuMask(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(2, 3)

        def forward(self, X):
            return self.lin(X) * (torch.rand(X.shape[0], 1) >= 0).float()  # made on the CPU, as the book's

    net = WithCpuMask()
    d2l.train_ch3(net, train_iter, test_iter, nn.CrossEntropyLoss(reduction="none"), 3,
                  torch.optim.SGD(net.parameters(), lr=0.1))
    assert net.lin.weight.device.type == "cpu"
    plt.close("all")


def test_predict_ch3_titles_six_images():
    images, labels = torch.rand(8, 1, 28, 28), torch.arange(8)
    assert d2l.predict_ch3(nn.Sequential(nn.Flatten(), nn.Linear(784, 10)), [(images, labels)]) is None
    titles = [ax.get_title() for ax in plt.gcf().axes]
    assert len(titles) == 6 and titles[0].startswith("t-shirt\n")
    plt.close("all")


# End to end, as the book's sections run them, with only `import d2lcore as d2l` changed.
# Fashion-MNIST comes from d2lcore's loader, offline, on the CPU by default as the book's is (the
# book's scratch weights are made on the CPU).

FASHION_MNIST_SOURCES = [pathlib.Path(__file__).resolve().parents[2] / "shared" / "data" / "fashion-mnist",
                         pathlib.Path("/usr/share/datasets/fashion-mnist")]


@pytest.fixture(scope="module")
def fashion_mnist_root(tmp_path_factory):
    """A private cache folder filled from a local copy of the archives (as tests/test_fashion_mnist.py's
    `root`): never the internet, never the user's own cache; skipped where no copy exists."""
    from d2lcore.infra import fashion_mnist_files as fm
    for d in FASHION_MNIST_SOURCES:
        if all((d / f"{n}.gz").exists() for n in fm.FILES):
            return fm.ensure_fashion_mnist(tmp_path_factory.mktemp("fm"), system_dirs=[d], download=False)
    pytest.skip("no Fashion-MNIST archives")


def test_book_style_softmax_regression_from_scratch(fashion_mnist_root):
    d2l.set_seed(0)
    train_iter, test_iter = d2l.load_data_fashion_mnist(256, root=fashion_mnist_root)
    W = d2l.normal(0, 0.01, size=(784, 10))
    W.requires_grad_(True)
    b = d2l.zeros(10, requires_grad=True)

    def net(X):
        return d2l.softmax(d2l.matmul(d2l.reshape(X, (-1, W.shape[0])), W) + b)

    def updater(batch_size):
        return d2l.sgd([W, b], 0.1, batch_size)

    d2l.train_ch3(net, train_iter, test_iter, d2l.cross_entropy, 10, updater)  # its asserts must hold
    assert d2l.evaluate_accuracy(net, test_iter) > 0.8
    plt.close("all")


def test_book_style_mlp_concise(fashion_mnist_root):
    d2l.set_seed(0)
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    net.apply(lambda m: nn.init.normal_(m.weight, std=0.01) if type(m) == nn.Linear else None)
    train_iter, test_iter = d2l.load_data_fashion_mnist(256, root=fashion_mnist_root)
    d2l.train_ch3(net, train_iter, test_iter, nn.CrossEntropyLoss(reduction="none"), 10,
                  torch.optim.SGD(net.parameters(), lr=0.1))
    assert d2l.evaluate_accuracy(net, test_iter) > 0.82
    plt.close("all")


def test_book_style_weight_decay_from_scratch():
    d2l.set_seed(0)
    n_train, n_test, num_inputs, batch_size = 20, 100, 200, 5
    true_w, true_b = d2l.ones((num_inputs, 1)) * 0.01, 0.05  # the book's (d, 1) weight column
    train_iter = d2l.load_array(d2l.synthetic_data(true_w, true_b, n_train), batch_size)
    test_iter = d2l.load_array(d2l.synthetic_data(true_w, true_b, n_test), batch_size, is_train=False)

    def train(lambd):
        w = torch.normal(0, 1, size=(num_inputs, 1), requires_grad=True)
        b = torch.zeros(1, requires_grad=True)
        net, loss = (lambda X: d2l.linreg(X, w, b)), d2l.squared_loss
        animator = d2l.Animator(xlabel="epochs", ylabel="loss", yscale="log", xlim=[5, 100], legend=["train", "test"])
        for epoch in range(100):
            for X, y in train_iter:
                l = loss(net(X), y) + lambd * torch.sum(w.pow(2)) / 2
                l.sum().backward()
                d2l.sgd([w, b], 0.003, batch_size)
            if (epoch + 1) % 5 == 0:
                animator.add(epoch + 1, (d2l.evaluate_loss(net, train_iter, loss),
                                         d2l.evaluate_loss(net, test_iter, loss)))
        return d2l.evaluate_loss(net, test_iter, loss), torch.norm(w).item()

    test_plain, norm_plain = train(0)
    test_decay, norm_decay = train(3)
    assert test_decay < test_plain / 10 and norm_decay < norm_plain / 10
    plt.close("all")
