"""Linear regression (lessons 01 and 02): the toy data, the model, the loss, the optimiser, a loader.

Each function is the lesson's own code (the book's `#@save` idea); `tests/test_lesson_code.py`
keeps the two in step.
"""
import torch
from torch.utils import data

from .infra.guards import guard_count, guard_tensors


def synthetic_data(w, b, num_examples):
    """Generate y = Xw + b + noise (lesson 01, "Generating the dataset").

    w: float (d,) or (d, 1) weights; b: the bias, a number. Returns X float32 (n, d) with entries
    ~ N(0, 1) and y float32 (n, 1) with N(0, 0.01²) noise, drawn from torch's global generator
    (call `set_seed` first for repeatable data).
    """
    X = torch.normal(0, 1, (num_examples, len(w)))
    y = torch.matmul(X, w) + b
    y += torch.normal(0, 0.01, y.shape)
    return X, y.reshape((-1, 1))


def linreg(X, w, b):
    """The linear model y_hat = Xw + b (lesson 01, "The model, the loss, the optimiser").

    X float (n, d), w float (d, 1), b float (1,) or a number -> y_hat float (n, 1).
    """
    return torch.matmul(X, w) + b


def squared_loss(y_hat, y):
    """Per-example squared loss 1/2 (y_hat - y)² (lesson 01), not reduced: y_hat's shape.

    y is reshaped to y_hat's shape, so targets (n,) against predictions (n, 1) cannot broadcast
    into an (n, n) table of every prediction against every target.
    """
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2


def sgd(params, lr, batch_size):
    """Minibatch SGD step, in place, for a loss *summed* over the minibatch (lesson 01).

    params: tensors with requires_grad=True whose .grad holds the summed loss's gradient; the
    division by batch_size turns it into the mean's. Zeroes each .grad for the next backward().
    """
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad.zero_()


def load_array(data_arrays, batch_size, is_train=True):
    """A torch DataLoader over tensors sharing their first dimension (lesson 02).

    data_arrays: a tuple of tensors, e.g. (features (n, d), labels (n, 1)) (NumPy arrays are refused,
    saying how to convert them); batch_size: a positive int; is_train: reshuffle every epoch, from
    torch's global generator. Yields tuples of tensors with first dimension <= batch_size.
    """
    guard_tensors("load_array's data_arrays", data_arrays)  # one tensor would be split into its rows
    batch_size = guard_count("batch_size", batch_size, "examples per minibatch, e.g. 10")
    dataset = data.TensorDataset(*data_arrays)
    return data.DataLoader(dataset, batch_size, shuffle=is_train)
