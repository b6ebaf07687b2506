"""d2lcore: the lessons' own code, under the book's (D2L) helper names.

Lessons write things from scratch first; later lessons import the versions here. Each function
says which lesson derives it. `d2lcore.demos` holds the live demos (sliders) of lessons 01, 06
and 07. `d2lcore.infra` holds what a lesson need not read: the data files and their cache, atomic
writes, device-error messages, the guards, session detection.
"""
from . import book, demos, infra
from .animator import Animator
from .devices import try_gpu
from .fashion_mnist import get_fashion_mnist_labels, load_data_fashion_mnist
from .linear_regression import linreg, load_array, sgd, squared_loss, synthetic_data
from .losses import binary_cross_entropy_from_logits, huber_loss, l1_loss
from .metrics import accuracy, evaluate_accuracy
from .mlp import mlp
from .model_selection import k_fold_indices
from .plotting import plot, plot_histories, predict, show_images
from .selfcheck import (check_accuracy, check_batch_norm, check_clip_gradients, check_cross_entropy,
                        check_cross_entropy_from_logits, check_data_iter, check_data_loader, check_dropout,
                        check_gradient, check_huber_loss, check_k_fold, check_optimizer, check_quantize, check_sgd,
                        check_softmax, check_squared_loss)
from .softmax_regression import cross_entropy, cross_entropy_from_logits, log_softmax, softmax
from .tensor_loader import TensorLoader
from .training import NonFiniteLossError, train, train_epoch
from .utils import Accumulator, Timer, set_seed

__all__ = [
    # lesson 01-02: linear regression
    "synthetic_data", "linreg", "squared_loss", "sgd", "load_array", "Timer", "set_seed", "try_gpu",
    # lesson 03: data
    "load_data_fashion_mnist", "get_fashion_mnist_labels", "TensorLoader", "show_images",
    # lessons 04-07: softmax regression, losses, numerics
    "softmax", "cross_entropy", "log_softmax", "cross_entropy_from_logits",
    "l1_loss", "huber_loss", "binary_cross_entropy_from_logits",
    "Accumulator", "accuracy", "evaluate_accuracy", "train_epoch", "train", "predict", "NonFiniteLossError",
    "Animator", "plot", "plot_histories",
    # lesson 08 on
    "mlp", "k_fold_indices",
    # self-checks for the exercises
    "check_gradient", "check_data_iter", "check_sgd", "check_squared_loss", "check_data_loader",
    "check_softmax", "check_cross_entropy", "check_accuracy", "check_cross_entropy_from_logits", "check_huber_loss",
    "check_optimizer", "check_k_fold", "check_dropout", "check_clip_gradients", "check_batch_norm", "check_quantize",
]
__version__ = "0.1.0"


def __getattr__(name):
    """The book's other names (`d2l.reshape`, `d2l.plt`, `d2l.train_ch3`, ...), from `d2lcore.book`:
    pasted book cells find them, and the curated namespace above stays what the lessons use."""
    if name in book.__all__:
        return getattr(book, name)
    raise AttributeError(f"module 'd2lcore' has no attribute {name!r}")
