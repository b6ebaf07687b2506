"""What a lesson need not read: data files and their cache, atomic writes, the guards, device-error
messages, whether a person is watching, and the live widgets.

Names the lessons call from here: `ensure_fashion_mnist` and `data_dir` (lessons 03, 15),
`atomic_path` and `show_in_netron` (lesson 15), and the live demos (lessons 01, 06, 07).
"""
from .atomic import atomic_path
from .device_errors import DeviceMismatchError
from .fashion_mnist_files import DataCacheError, DataNotFoundError, data_dir, ensure_fashion_mnist
from .guards import NonFiniteLossError
from .netron_view import show_in_netron
from .session import in_notebook, interactive
from .widgets import linreg_demo, live_demo, robust_fit_demo, softmax_overflow_demo

__all__ = ["atomic_path", "DeviceMismatchError", "DataNotFoundError", "DataCacheError", "data_dir",
           "ensure_fashion_mnist",
           "NonFiniteLossError", "in_notebook", "interactive", "show_in_netron",
           "live_demo", "linreg_demo", "robust_fit_demo", "softmax_overflow_demo"]
