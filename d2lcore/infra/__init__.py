"""What a lesson need not read: data files and their cache, atomic writes, the guards, device-error
messages, whether a person is watching, and running a lesson's cells for its solutions.

Names the lessons call from here: `ensure_fashion_mnist` and `data_dir` (lessons 03, 15),
`atomic_path` and `show_in_netron` (lesson 15), and `run_lesson` (the first cell of every
worked-solutions notebook). Nothing here imports the lesson modules (d2lcore/*.py): the arrows run
one way, from the lessons' code to this. The live demos are `d2lcore.demos`.
"""
from .atomic import atomic_path
from .device_errors import DeviceMismatchError
from .fashion_mnist_files import DataCacheError, DataNotFoundError, data_dir, ensure_fashion_mnist
from .guards import NonFiniteLossError
from .lesson_runner import LessonCellError, run_lesson
from .netron_view import show_in_netron
from .session import in_notebook, interactive

__all__ = ["atomic_path", "DeviceMismatchError", "DataNotFoundError", "DataCacheError", "data_dir",
           "ensure_fashion_mnist",
           "NonFiniteLossError", "in_notebook", "run_lesson", "LessonCellError", "interactive", "show_in_netron"]
