"""run_lesson: a worked-solutions notebook runs its lesson's real cells first, quietly, in its own kernel."""
import pathlib

import nbformat
import pytest
from nbclient import NotebookClient

from d2lcore.infra import run_lesson


def notebook(path, *cells):
    """Write a notebook of code cells; a (source, tags) pair tags its cell."""
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"}})
    for cell in cells:
        source, tags = cell if isinstance(cell, tuple) else (cell, [])
        nb.cells.append(nbformat.v4.new_code_cell(source, metadata={"tags": tags}))
    nbformat.write(nb, path)
    return path


def printed(cell):
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    """A lesson (one figure, one error shown on purpose, one bad cell in a second lesson) and a
    solutions notebook in solutions/ beside it, executed in a real kernel as Jupyter would."""
    root = tmp_path_factory.mktemp("course")
    (root / "solutions").mkdir()
    notebook(root / "01_lesson.ipynb",
             'x = 2\nprint("the lesson prints this")',
             ("# NBVAL_RAISES_EXCEPTION\n1 / 0", ["raises-exception"]),
             "import matplotlib.pyplot as plt\nplt.plot([1, 2])\ny = x * 3\ny")
    notebook(root / "02_broken.ipynb", "before = 1", "undefined_name + 1", "after = 1")
    path = notebook(root / "solutions" / "01_lesson_solutions.ipynb",
                    'import d2lcore as d2l\nd2l.infra.run_lesson("../01_lesson.ipynb")',
                    "print(y, plt.get_fignums())",
                    'try:\n    d2l.infra.run_lesson("../02_broken.ipynb")\nexcept d2l.infra.LessonCellError as e:\n'
                    '    print(e)\nprint(before, "after" in globals())',
                    'try:\n    d2l.infra.run_lesson("../01_lesson_typo.ipynb")\nexcept FileNotFoundError as e:\n'
                    '    print(type(e).__name__)')
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=120, resources={"metadata": {"path": str(path.parent)}}).execute()
    return nb.cells


def test_the_lessons_names_are_defined_and_its_output_hidden(ran):
    # one line says what ran; the lesson's print, figure, error and last value are not shown
    assert printed(ran[0]) == "ran the 3 code cells of 01_lesson.ipynb: their names are defined here (outputs hidden)\n"
    assert [o.output_type for o in ran[0].outputs] == ["stream"]
    assert printed(ran[1]) == "6 []\n"  # y from the lesson; its figure closed, not shown here


def test_a_lesson_cell_that_fails_stops_the_run_naming_the_cell_and_the_error(ran):
    text = printed(ran[2])
    assert "02_broken.ipynb, cell 2 ('undefined_name + 1') failed: NameError" in text
    assert text.endswith("1 False\n")  # the cells before it ran, the ones after did not


def test_a_missing_lesson_says_where_it_was_looked_for(ran):
    assert printed(ran[3]) == "FileNotFoundError\n"


def test_outside_a_kernel_it_says_where_to_run(tmp_path, monkeypatch):
    monkeypatch.setattr("IPython.get_ipython", lambda: None)  # other tests may have made a shell in this process
    lesson = notebook(tmp_path / "01_lesson.ipynb", "x = 1")
    with pytest.raises(RuntimeError, match="IPython kernel"):
        run_lesson(pathlib.Path(lesson))
