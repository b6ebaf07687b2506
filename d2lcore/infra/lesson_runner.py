"""Run a lesson's code cells in the kernel of its worked-solutions notebook.

The worked solutions live beside each lesson (`notebooks/solutions/NN_topic_solutions.ipynb`) so that
a lesson's Run All runs the lesson only and shows no answer. The solutions still work on what the
lesson built (its data, functions, trained models), so their notebook starts by running the
lesson's cells here — the real cells, not a copy that could drift — with their output hidden.
"""
import pathlib

import nbformat

RAISES = "raises-exception"  # tag of a cell that shows an error on purpose


class LessonCellError(RuntimeError):
    """A lesson's cell failed while its solutions notebook ran it."""


def run_lesson(path, shell=None):
    """Run every code cell of the lesson notebook at `path` (relative to the kernel's working folder,
    which Jupyter sets to the running notebook's folder) in this IPython kernel, top to bottom, as if
    they had been run above: the lesson's names (data, functions, models) are then defined here.

    Their output (text, figures, widgets) is hidden, and figures they leave open are closed. Cells
    tagged raises-exception show an error on purpose and may fail; any other failure stops here with
    the lesson's cell number and the error.
    """
    from IPython import get_ipython

    shell = shell or get_ipython()
    if shell is None:
        raise RuntimeError("run_lesson runs a lesson's cells in an IPython kernel (Jupyter, nbval); "
                           "from plain Python, open the lesson in Jupyter instead")
    path = pathlib.Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no lesson at {path.resolve()}: expected the lesson beside this notebook's "
                                "folder (solutions/ is a folder of notebooks/)")
    nb = nbformat.read(path, as_version=4)
    # the output is hidden, so no figure need be rendered to PNG for it: plain text only meanwhile
    formats = shell.display_formatter.active_types
    shell.display_formatter.active_types = ["text/plain"]
    try:
        ran = _run_cells(shell, path, nb)
    finally:
        shell.display_formatter.active_types = formats
    print(f"ran the {ran} code cells of {path.name}: their names are defined here (outputs hidden)")


def _run_cells(shell, path, nb):
    from IPython.utils.capture import capture_output

    ran = 0
    for number, cell in enumerate(nb.cells, 1):
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        # compiled and run here rather than through shell.run_cell, which would show the traceback of
        # an error the lesson makes on purpose in this notebook; magics are translated as IPython does
        try:
            with capture_output(stdout=True, stderr=True, display=True):
                exec(compile(shell.transform_cell(cell.source), f"<{path.name}, cell {number}>", "exec"),
                     shell.user_ns)
        except Exception as error:
            if RAISES not in cell.metadata.get("tags", []):
                raise LessonCellError(f"{path.name}, cell {number} ({cell.source.splitlines()[0]!r}) failed: "
                                      f"{type(error).__name__}: {error}. Run the lesson itself to see the cell "
                                      "fail in place.") from error
        finally:
            _close_figures()
        ran += 1
    return ran


def _close_figures():
    import sys

    if "matplotlib.pyplot" in sys.modules:  # only if the lesson drew something
        sys.modules["matplotlib.pyplot"].close("all")
