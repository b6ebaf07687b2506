"""d2lcore is the lessons' own code: each function below is written in a lesson, and d2lcore's
version must contain the lesson's lines, in the lesson's order. d2lcore may add lines between
them (a guard, a device move, each with a comment saying why), and may extend a block's header
(`with torch.no_grad():` -> `with torch.no_grad(), explain_device_errors(...):`).

Which functions: every function of `d2l.__all__` that a lesson writes itself (a `def name(` in a
lesson's code cell), against the first lesson that writes it, so a new helper needs no row here.
Where keeping the text in step is not practical, the lesson checks the behaviour instead: EXEMPT,
with the reason.
"""
import ast
import inspect
import json
import pathlib
import re

import pytest

import d2lcore as d2l

NOTEBOOKS = pathlib.Path(__file__).resolve().parents[1] / "notebooks"

# d2lcore's functions that a lesson writes, where the lesson checks the behaviour instead of the text
EXEMPT = {
    "softmax": "lesson 07 asserts it agrees with torch's and passes the self-check",
    "log_softmax": "lesson 07 asserts it agrees with torch's and passes the self-check",
}


def _written_in(name):
    """The first lesson with a code cell that defines `name`, or None."""
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            if cell["cell_type"] == "code" and re.search(rf"^def {name}\(", "".join(cell["source"]), re.M):
                return path.stem
    return None


# (notebook, the function's name there, d2lcore's function), derived from d2l.__all__ and the lessons
PAIRS = sorted((lesson, name, getattr(d2l, name)) for name in d2l.__all__
               if inspect.isfunction(getattr(d2l, name)) and name not in EXEMPT
               and (lesson := _written_in(name)) is not None)


def _body_lines(source, name):
    """The statements of function `name` in `source`, one stripped line each: no docstring,
    no comments, `d2l.` prefixes dropped, and an index built with torch.arange on the data's
    device read as the lesson's range(len(...))."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef) and node.name == name:
            body = node.body[1:] if isinstance(node.body[0], ast.Expr) and isinstance(
                node.body[0].value, ast.Constant) else node.body
            text = "\n".join(source.splitlines()[body[0].lineno - 1:node.end_lineno])
            lines = [re.sub(r"\s+#.*$", "", line).strip() for line in text.splitlines()]
            lines = [line.replace("d2l.", "") for line in lines if line and not line.startswith("#")]
            return [re.sub(r"torch\.arange\(len\((\w+)\), device=\w+\.device\)", r"range(len(\1))", line)
                    for line in lines]
    raise LookupError(name)


def _lesson_source(notebook, name):
    cells = json.loads((NOTEBOOKS / f"{notebook}.ipynb").read_text())["cells"]
    for cell in cells:
        src = "".join(cell["source"])
        if cell["cell_type"] == "code" and re.search(rf"^def {name}\(", src, re.M):
            return src
    raise LookupError(f"{notebook} defines no {name}")


def _matches(lesson_line, core_line):
    return core_line == lesson_line or (
        lesson_line.endswith(":") and core_line.endswith(":") and core_line.startswith(lesson_line[:-1]))


@pytest.mark.parametrize("notebook, name, ours", PAIRS, ids=[f"{p[0][:2]}-{p[1]}" for p in PAIRS])
def test_d2lcore_holds_the_lessons_lines_in_order(notebook, name, ours):
    lesson = _body_lines(_lesson_source(notebook, name), name)
    core = _body_lines(inspect.getsource(inspect.getmodule(ours)), ours.__name__)
    i = 0
    for line in core:
        if i < len(lesson) and _matches(lesson[i], line):
            i += 1
    assert i == len(lesson), (f"d2lcore's {ours.__name__} has drifted from lesson {notebook[:2]}'s: the lesson's line "
                              f"{lesson[i]!r} is missing (in order) from d2lcore's\n" + "\n".join(core))


@pytest.mark.parametrize("notebook, name, ours", PAIRS, ids=[f"{p[0][:2]}-{p[1]}" for p in PAIRS])
def test_d2lcores_docstring_points_to_the_lesson(notebook, name, ours):
    lesson = str(int(notebook[:2]))
    assert re.search(rf"lesson 0?{lesson}\b", ours.__doc__ or "", re.I), f"{ours.__name__}'s docstring names no lesson {lesson}"



def d2l_names_used(src):
    """The names of d2l.<name> in a code cell's code (not in a comment or a string; a cell may hold magics)."""
    from IPython.core.inputtransformer2 import TransformerManager
    return {node.attr for node in ast.walk(ast.parse(TransformerManager().transform_cell(src)))
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "d2l"}


def test_a_name_in_a_comment_or_a_string_is_not_a_use():
    src = "%matplotlib inline\n# see d2l.plot\nprint('d2l.Timer')\nd2l.train(net, d2l.try_gpu())\nf = d2l.mlp"
    assert d2l_names_used(src) == {"train", "try_gpu", "mlp"}


def test_every_top_level_name_is_used_by_a_lesson():
    """The curated namespace holds what the lessons call; the rest lives in submodules."""
    used = set()
    for path in NOTEBOOKS.glob("*.ipynb"):
        for cell in json.loads(path.read_text())["cells"]:
            if cell["cell_type"] == "code":
                used |= d2l_names_used("".join(cell["source"]))
    unused = sorted(set(d2l.__all__) - used)
    assert not unused, f"no lesson uses d2l.{', d2l.'.join(unused)}: move them to a submodule"


def test_the_lesson_code_pairs_are_found_and_every_exemption_is_still_needed():
    assert len(PAIRS) >= 9, PAIRS  # 01's four, 04's three, 07's, 11's when this was written
    stale = [name for name in EXEMPT if _written_in(name) is None]
    assert not stale, f"no lesson writes {stale} any more: drop them from EXEMPT"
