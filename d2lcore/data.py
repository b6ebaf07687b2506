"""In-memory datasets: a synthetic linear-regression set and a minibatch iterator over tensors."""
import torch
from torch.utils import data

from ._checks import check_number, check_positive_int, check_tensor, describe


def synthetic_data(w, b, num_examples, noise=0.01):
    """Generate y = Xw + b + noise, the book's linear-regression toy data.

    Args:
        w: weights, 1-D of length d (tensor, list or tuple of numbers).
        b: bias, a number.
        num_examples: n, a positive int.
        noise: standard deviation of the Gaussian noise added to y, >= 0.

    Returns:
        X float32 (n, d) with entries ~ N(0, 1), and y float32 (n, 1).
        Drawn from torch's global generator: call `set_seed` first for repeatable data.
    """
    if not isinstance(w, torch.Tensor):
        try:
            w = torch.tensor(w, dtype=torch.float32)
        except (TypeError, ValueError, RuntimeError):
            raise TypeError(f"w must be a 1-D tensor or a list of numbers, got {describe(w)}") from None
    check_tensor("w", w, ndim=1)
    if w.numel() == 0:
        raise ValueError("w must have at least one weight, got an empty tensor")
    w = w.to(torch.float32)
    b = check_number("b", b)
    num_examples = check_positive_int("num_examples", num_examples)
    noise = check_number("noise", noise, nonnegative=True)
    X = torch.normal(0, 1, (num_examples, len(w)))
    y = X @ w + b
    y += torch.normal(0, noise, y.shape) if noise > 0 else 0
    return X, y.reshape(-1, 1)


def load_array(data_arrays, batch_size, is_train=True):
    """A PyTorch DataLoader over tensors that share their first dimension.

    Args:
        data_arrays: tuple/list of tensors, e.g. (features (n, d), labels (n, 1)).
        batch_size: examples per minibatch, a positive int; the last batch may be smaller.
        is_train: shuffle every epoch (from torch's global generator) when True.

    Returns:
        `torch.utils.data.DataLoader` yielding tuples of tensors with first dimension
        <= batch_size, in the dtypes given.
    """
    if isinstance(data_arrays, torch.Tensor) or not isinstance(data_arrays, (tuple, list)):
        raise TypeError(f"data_arrays must be a tuple or list of tensors, e.g. (features, labels), "
                        f"got {describe(data_arrays)}")
    if len(data_arrays) == 0:
        raise ValueError("data_arrays must hold at least one tensor, got an empty sequence")
    for i, a in enumerate(data_arrays):
        check_tensor(f"data_arrays[{i}]", a)
        if a.dim() == 0:
            raise ValueError(f"data_arrays[{i}] must have a first (example) dimension, got a 0-d tensor")
    sizes = [len(a) for a in data_arrays]
    if len(set(sizes)) != 1:
        raise ValueError(f"all tensors in data_arrays must have the same number of examples "
                         f"(first dimension), got sizes {sizes}")
    if sizes[0] == 0:
        raise ValueError("data_arrays hold no examples (first dimension is 0)")
    batch_size = check_positive_int("batch_size", batch_size)
    dataset = data.TensorDataset(*data_arrays)
    return data.DataLoader(dataset, batch_size, shuffle=bool(is_train))
