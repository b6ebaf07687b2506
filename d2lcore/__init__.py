"""d2lcore: the reusable code of the course, under the book's (D2L) helper names.

Lessons write things from scratch first; later lessons import the versions here.
"""
from .accumulator import Accumulator
from .animator import Animator
from .atomic import atomic_path
from .data import load_array, synthetic_data
from .devices import DeviceMismatchError, cpu, num_gpus, try_all_gpus, try_gpu
from .fashion_mnist import get_fashion_mnist_labels, load_data_fashion_mnist
from .fashion_mnist_files import DataNotFoundError, ensure_fashion_mnist
from .session import in_notebook, interactive
from .linreg import linreg
from .losses import (binary_cross_entropy, cross_entropy, cross_entropy_from_logits, huber_loss, l1_loss,
                     log_softmax, logsumexp, squared_loss)
from .metrics import accuracy, evaluate_accuracy
from .optim import sgd
from .mlp import mlp
from .plotting import plot, plot_histories, set_axes, set_figsize, show_images
from .seeding import set_seed
from .selfcheck import (check_accuracy, check_batch_norm, check_clip_gradients, check_cross_entropy,
                        check_cross_entropy_from_logits, check_data_iter, check_data_loader, check_dropout,
                        check_gradient, check_huber_loss, check_optimizer, check_quantize, check_sgd, check_softmax,
                        check_squared_loss)
from .softmax import softmax
from .tensor_loader import TensorLoader
from .timer import Timer
from .training import NonFiniteLossError, predict, train, train_epoch
from .widgets import linreg_demo, live_demo, robust_fit_demo, softmax_overflow_demo

__all__ = [
    "Accumulator", "Animator", "Timer", "atomic_path",
    "cpu", "num_gpus", "try_all_gpus", "try_gpu", "DeviceMismatchError", "set_seed", "in_notebook", "interactive",
    "load_array", "synthetic_data", "TensorLoader",
    "load_data_fashion_mnist", "get_fashion_mnist_labels", "ensure_fashion_mnist", "DataNotFoundError",
    "linreg", "squared_loss", "sgd",
    "l1_loss", "huber_loss", "logsumexp", "log_softmax", "cross_entropy_from_logits", "binary_cross_entropy",
    "softmax", "cross_entropy", "accuracy", "evaluate_accuracy",
    "train_epoch", "train", "predict", "NonFiniteLossError",
    "check_gradient", "check_data_iter", "check_sgd", "check_squared_loss", "check_data_loader",
    "check_softmax", "check_cross_entropy", "check_accuracy", "check_cross_entropy_from_logits", "check_huber_loss",
    "check_optimizer", "check_dropout", "check_clip_gradients", "check_batch_norm", "check_quantize",
    "live_demo", "linreg_demo", "robust_fit_demo", "softmax_overflow_demo",
    "mlp", "plot", "plot_histories", "set_axes", "set_figsize", "show_images",
]
__version__ = "0.1.0"
