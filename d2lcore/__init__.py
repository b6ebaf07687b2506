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
from .selfcheck import *  # noqa: F403  every check_*, each registered in selfcheck/__init__.py
from .softmax_regression import cross_entropy, cross_entropy_from_logits, log_softmax, softmax
from .tensor_loader import TensorLoader
from .training import NonFiniteLossError, as_updater, train, train_epoch
from .utils import Accumulator, Timer, set_seed

# d2l.<name>: every function and class imported above from d2lcore's own modules, so that a name is
# registered in one place, its import line (docs/contributing.md)
__all__ = [name for name, value in globals().items()
           if str(getattr(value, "__module__", "")).startswith(__name__ + ".")]
__version__ = "0.1.0"


def __getattr__(name):
    """The book's other names (`d2l.reshape`, `d2l.plt`, `d2l.train_ch3`, ...), from `d2lcore.book`:
    pasted book cells find them, and the curated namespace above stays what the lessons use."""
    if name in book.__all__:
        return getattr(book, name)
    raise AttributeError(f"module 'd2lcore' has no attribute {name!r}")
