"""Every public d2lcore function rejects bad input with an error that says what was expected and
what came — not a traceback from deep inside torch. One table, one row per (function, bad input);
a completeness test makes sure no public function is missing from it."""
import pathlib

import pytest
import torch
from torch import nn

import d2lcore as d2l

T = torch.tensor
F32 = torch.ones(4, 3)
LABELS = T([0, 1, 2, 0])


def _train_epoch(**kw):
    net = nn.Linear(3, 3)
    args = dict(net=net, train_iter=[(F32, LABELS)], loss=nn.CrossEntropyLoss(),
                updater=torch.optim.SGD(net.parameters(), lr=0.1))
    args.update(kw)
    return lambda: d2l.train_epoch(**args)


def _animator_add():
    an = d2l.Animator()
    an.add(0, [1.0, 2.0])
    return an.add(1, [1.0])


def _timer_twice():
    t = d2l.Timer()
    t.stop()
    t.stop()


def _atomic(path):
    with d2l.atomic_path(path):
        pass


# (name of the public function, call, error type, words the message must contain)
CASES = [
    ("Accumulator", lambda: d2l.Accumulator(0), ValueError, "n must be a positive int, got int 0"),
    ("Accumulator", lambda: d2l.Accumulator(2).add(1.0), ValueError, "expects 2 values, got 1"),
    ("Accumulator", lambda: d2l.Accumulator(1).add(torch.ones(3)), ValueError, "one-element tensor, got a tensor of shape (3,)"),
    ("Animator", _animator_add, ValueError, "got 1 y values, but the curves started with 2"),
    ("Animator", lambda: d2l.Animator(nrows=0), ValueError, "nrows must be a positive int, got int 0"),
    ("Animator", lambda: d2l.Animator(legend="loss"), TypeError, "legend must be a list of labels"),
    ("Timer", _timer_twice, RuntimeError, "without a running start()"),
    ("atomic_path", lambda: _atomic("/nonexistent-d2l-dir/out.onnx"), FileNotFoundError,
     "folder /nonexistent-d2l-dir does not exist"),
    ("try_gpu", lambda: d2l.try_gpu(-1), ValueError, "i must be an int >= 0, got int -1"),
    ("set_seed", lambda: d2l.set_seed(-1), ValueError, "seed must be an int >= 0"),
    ("set_seed", lambda: d2l.set_seed(2 ** 40), ValueError, "seed must be an int in [0, 2**32 - 1]"),
    ("set_seed", lambda: d2l.set_seed(0.5), ValueError, "seed must be an int >= 0, got float 0.5"),
    ("load_array", lambda: d2l.load_array((F32, LABELS[:3]), 2), ValueError, "same number of examples"),
    ("load_array", lambda: d2l.load_array((F32, LABELS), 0), ValueError, "batch_size must be a positive int, got int 0"),
    ("load_array", lambda: d2l.load_array(F32, 2), TypeError, "tuple or list of tensors"),
    ("load_array", lambda: d2l.load_array((F32[:0], LABELS[:0]), 2), ValueError, "no examples"),
    ("synthetic_data", lambda: d2l.synthetic_data(T([2.0, -3.4]), 4.2, 0), ValueError, "num_examples must be a positive int"),
    ("synthetic_data", lambda: d2l.synthetic_data(T([2.0]), 4.2, 10, noise=-1), ValueError, "noise must be a number >= 0"),
    ("synthetic_data", lambda: d2l.synthetic_data("ab", 4.2, 10), TypeError, "w must be a 1-D tensor or a list of numbers"),
    ("TensorLoader", lambda: d2l.TensorLoader(F32, LABELS, -1), ValueError, "batch_size must be a positive int, got int -1"),
    ("TensorLoader", lambda: d2l.TensorLoader(F32, LABELS[:2], 2), ValueError, "same length, got 4 and 2"),
    ("TensorLoader", lambda: d2l.TensorLoader(F32, LABELS.to("meta"), 2), ValueError,
     "labels must be on the same device as images (cpu), got meta"),
    ("TensorLoader", lambda: d2l.TensorLoader(F32, LABELS, 2, resize=-3), ValueError, "resize must be None, a positive int"),
    ("load_data_fashion_mnist", lambda: d2l.load_data_fashion_mnist(0), ValueError, "batch_size must be a positive int"),
    ("get_fashion_mnist_labels", lambda: d2l.get_fashion_mnist_labels([10]), ValueError, "integers 0-9, got 10"),
    ("get_fashion_mnist_labels", lambda: d2l.get_fashion_mnist_labels(T([1.0])), TypeError, "integers 0-9, got tensor"),
    ("ensure_fashion_mnist", lambda: d2l.ensure_fashion_mnist(root=pathlib.Path(__file__)), NotADirectoryError,
     "root must be a folder"),
    ("linreg", lambda: d2l.linreg(F32, torch.ones(2, 1), 0.0), ValueError, "w must have one row per feature"),
    ("linreg", lambda: d2l.linreg(LABELS.reshape(2, 2), torch.ones(2, 1), 0.0), TypeError, "X must have a floating dtype"),
    ("linreg", lambda: d2l.linreg(F32, torch.ones(3, 1), torch.ones(2)), ValueError, "b must be a single number"),
    ("squared_loss", lambda: d2l.squared_loss(F32, torch.ones(5)), ValueError, "y must have as many elements as y_hat"),
    ("l1_loss", lambda: d2l.l1_loss(LABELS, LABELS), TypeError, "y_hat must have a floating dtype"),
    ("huber_loss", lambda: d2l.huber_loss(F32, F32, delta=0), ValueError, "delta must be a positive number, got 0"),
    ("sgd", lambda: d2l.sgd([torch.ones(2, requires_grad=True)], -0.1, 2), ValueError, "lr must be a positive number, got -0.1"),
    ("sgd", lambda: d2l.sgd([torch.ones(2, requires_grad=True)], 0.1, 2), ValueError, "has no gradient"),
    ("sgd", lambda: d2l.sgd(torch.ones(2), 0.1, 2), TypeError, "params must be a list of tensors"),
    ("sgd", lambda: d2l.sgd([], 0.1, 2), ValueError, "params must hold at least one tensor"),
    ("logsumexp", lambda: d2l.logsumexp(LABELS), TypeError, "X must have a floating dtype"),
    ("logsumexp", lambda: d2l.logsumexp(torch.ones(3, 0)), ValueError, "at least one entry along dim"),
    ("log_softmax", lambda: d2l.log_softmax(torch.ones(())), ValueError, "at least one dimension"),
    ("softmax", lambda: d2l.softmax(LABELS), TypeError, "X must have a floating dtype"),
    ("softmax", lambda: d2l.softmax(torch.ones(2, 0)), ValueError, "at least one entry along dim"),
    ("cross_entropy", lambda: d2l.cross_entropy(torch.full((4, 3), 1 / 3), T([0, 1, 2, 3])), ValueError,
     "labels must be in [0, 3) for 3 classes, got values from 0 to 3"),
    ("cross_entropy", lambda: d2l.cross_entropy(torch.full((4, 3), 1 / 3), LABELS.float()), TypeError,
     "integer class indices"),
    ("cross_entropy_from_logits", lambda: d2l.cross_entropy_from_logits(F32, T([0, -1, 0, 0])), ValueError,
     "labels must be in [0, 3)"),
    ("cross_entropy_from_logits", lambda: d2l.cross_entropy_from_logits(F32, LABELS[:3]), ValueError,
     "one label per row of logits"),
    ("cross_entropy_from_logits", lambda: d2l.cross_entropy_from_logits(F32, LABELS.to("meta")), ValueError,
     "y must be on the same device as logits (cpu), got meta"),
    ("binary_cross_entropy", lambda: d2l.binary_cross_entropy(F32, torch.full((4, 3), 2.0)), ValueError,
     "binary targets must be in [0, 1]"),
    ("accuracy", lambda: d2l.accuracy(F32, LABELS[:2]), ValueError, "same number of examples"),
    ("accuracy", lambda: d2l.accuracy(F32, LABELS.to("meta")), ValueError, "y must be on the same device as y_hat (cpu), got meta"),
    ("evaluate_accuracy", lambda: d2l.evaluate_accuracy(nn.Linear(3, 3), []), ValueError, "yielded no examples"),
    ("evaluate_accuracy", lambda: d2l.evaluate_accuracy(nn.Linear(3, 3), [(F32, LABELS)], device="gpu0"), ValueError,
     "device must be a torch.device or a name such as 'cpu' or 'cuda:0', got str 'gpu0'"),
    ("train_epoch", _train_epoch(train_iter=[]), ValueError, "train_iter yielded no batches"),
    ("train_epoch", _train_epoch(updater=0.1), TypeError, "updater must be a torch.optim optimizer or a function"),
    ("train_epoch", _train_epoch(loss="cross_entropy"), TypeError, "loss must be a function or module"),
    ("train_epoch", _train_epoch(train_iter=[F32]), ValueError, "train_iter must yield (X, y) pairs"),
    ("train_epoch", _train_epoch(clip_grad_norm=-1), ValueError, "clip_grad_norm must be a positive number"),
    ("train", lambda: d2l.train(nn.Linear(3, 3), [], [], nn.CrossEntropyLoss(), 0, None), ValueError,
     "num_epochs must be a positive int, got int 0"),
    ("train", lambda: d2l.train(nn.Linear(3, 3), [], [], nn.CrossEntropyLoss(), 1, None, scheduler_step="step"),
     ValueError, "scheduler_step must be 'epoch' or 'batch'"),
    ("predict", lambda: d2l.predict(nn.Linear(784, 10), [(torch.rand(4, 1, 28, 28), LABELS)], n=0), ValueError,
     "n must be a positive int"),
    ("predict", lambda: d2l.predict(nn.Linear(784, 10), [(torch.rand(4, 1, 28, 28), LABELS)], n=6), ValueError,
     "n must be at most the batch size (4), got 6"),
    ("predict", lambda: d2l.predict(nn.Linear(784, 10), []), ValueError, "test_iter yielded no batches"),
    ("mlp", lambda: d2l.mlp([784]), ValueError, "at least two positive ints"),
    ("mlp", lambda: d2l.mlp([784, 10], activation="relu"), TypeError, "activation must be a module class"),
    ("mlp", lambda: d2l.mlp([784, 10], init_std=-1), ValueError, "init_std must be a positive number"),
    ("plot", lambda: d2l.plot([1, 2, 3], [1, 2]), ValueError, "same length, got 3 and 2"),
    ("plot_histories", lambda: d2l.plot_histories({}), ValueError, "histories is empty"),
    ("plot_histories", lambda: d2l.plot_histories({"a": {"epoch": [1]}}), KeyError, "has no 'test_acc'"),
    ("set_axes", lambda: d2l.set_axes(None, xlabel="x"), TypeError, "axes must be a matplotlib Axes"),
    ("set_figsize", lambda: d2l.set_figsize((0, 2)), ValueError, "figsize must be (width, height) in inches"),
    ("show_images", lambda: d2l.show_images(torch.zeros(3, 28, 28), 2, 2), ValueError, "need 4 images"),
    ("show_images", lambda: d2l.show_images(torch.zeros(4, 28, 28), 2, 2, titles=["a"]), ValueError, "need a title per image"),
    ("live_demo", lambda: d2l.live_demo("draw"), TypeError, "draw must be a function"),
    ("linreg_demo", lambda: d2l.linreg_demo(batch_size=0), ValueError, "batch_size must be a positive int"),
    ("linreg_demo", lambda: d2l.linreg_demo(lr=-1), ValueError, "lr must be a positive number"),
    ("robust_fit_demo", lambda: d2l.robust_fit_demo(delta=0), ValueError, "delta must be a positive number"),
    ("softmax_overflow_demo", lambda: d2l.softmax_overflow_demo(dtype="int8"), ValueError,
     "dtype must be one of 'float32', 'float16', 'bfloat16', got 'int8'"),
]
CHECKS = [n for n in d2l.__all__ if n.startswith("check_")]
CASES += [(n, (lambda n=n: getattr(d2l, n)(42)), TypeError, "expects your implementation (a function or class), got int 42")
          for n in CHECKS]

# names that take no input, or are exception classes
NO_INPUT = {"cpu", "num_gpus", "try_all_gpus", "in_notebook", "interactive",
            "NonFiniteLossError", "DataNotFoundError", "DeviceMismatchError"}


def test_every_public_function_has_a_bad_input_case():
    covered = {name for name, *_ in CASES}
    missing = sorted(set(d2l.__all__) - covered - NO_INPUT)
    assert not missing, f"add bad-input cases for {missing}"


@pytest.mark.parametrize("name, call, error, says", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_bad_input_gets_a_clear_error(name, call, error, says):
    with pytest.raises(error) as e:
        call()
    assert says in str(e.value), f"{name}: expected the message to say {says!r}, got: {e.value}"
