"""What a lesson need not read: data files and their cache, atomic writes, the guards, device-error
messages, whether a person is watching, the live widgets, and running a lesson's cells for its solutions.

Names the lessons call from here: `ensure_fashion_mnist` and `data_dir` (lessons 03, 15),
`atomic_path` and `show_in_netron` (lesson 15), the live demos (lessons 01, 06, 07), and `run_lesson`
(the first cell of every worked-solutions notebook).
"""
from .atomic import atomic_path
from .device_errors import DeviceMismatchError
from .fashion_mnist_files import DataCacheError, DataNotFoundError, data_dir, ensure_fashion_mnist
from .guards import NonFiniteLossError
from .lesson_runner import LessonCellError, run_lesson
from .netron_view import show_in_netron
from .session import in_notebook, interactive
from .widgets import linreg_demo, live_demo, robust_fit_demo, softmax_overflow_demo

__all__ = ["atomic_path", "DeviceMismatchError", "DataNotFoundError", "DataCacheError", "data_dir",
           "ensure_fashion_mnist",
           "NonFiniteLossError", "in_notebook", "run_lesson", "LessonCellError", "interactive", "show_in_netron",
           "live_demo", "linreg_demo", "robust_fit_demo", "softmax_overflow_demo"]
