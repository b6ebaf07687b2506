"""Hygiene of the committed notebooks: what strict nbval and students would trip over.

nbval re-executes the notebooks; these checks catch what it cannot see: a cell never
executed (nbval skips it), cells run out of order, a stored error or warning, a lesson
missing from the README, a notebook that is not a lesson (goals, exercises), a lesson and its
worked-solutions notebook (notebooks/solutions/) drifting apart.
"""
import ast
import json
import pathlib
import re
import sys

import nbformat
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import hosted  # noqa: E402  (the install cell's tag)
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))  # the lessons
SOLUTIONS = sorted((ROOT / "notebooks" / "solutions").glob("*.ipynb"))  # their worked solutions, one each
README = (ROOT / "README.md").read_text(encoding="utf-8")  # its table of lessons
TESTS_DOC = (ROOT / "docs" / "tests.md").read_text(encoding="utf-8")  # its list of the cells not compared


def code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]


def test_lessons_are_numbered_00_01_02_without_gaps():
    numbers = [int(p.name[:2]) for p in NOTEBOOKS]
    assert NOTEBOOKS and all(re.fullmatch(r"\d\d_[a-z0-9_]+\.ipynb", p.name) for p in NOTEBOOKS)
    assert numbers == list(range(len(NOTEBOOKS)))


def read(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    nb.path = path
    return nb


def lesson_of(solutions_path):
    return solutions_path.parents[1] / solutions_path.name.replace("_solutions.ipynb", ".ipynb")


@pytest.fixture(params=NOTEBOOKS, ids=lambda p: p.name)
def nb(request):
    """A lesson."""
    return read(request.param)


@pytest.fixture(params=NOTEBOOKS + SOLUTIONS, ids=lambda p: p.name)
def any_nb(request):
    """A lesson or a worked-solutions notebook: both run under nbval, with the same hygiene."""
    return read(request.param)


def test_every_code_cell_was_executed_top_to_bottom(any_nb):
    nb = any_nb
    counts = [c.execution_count for c in code_cells(nb)]
    assert None not in counts, f"{nb.path.name}: cells never executed (nbval would not compare them)"
    assert counts == list(range(1, len(counts) + 1)), f"{nb.path.name}: re-run it top to bottom"


def test_only_cells_marked_to_raise_store_an_error(any_nb):
    nb = any_nb
    for i, c in enumerate(code_cells(nb)):
        errors = [o for o in c.outputs if o.output_type == "error"]
        marked = "# NBVAL_RAISES_EXCEPTION" in c.source
        if marked:
            # the tag lets `jupyter execute` (./course execute) carry on past the error
            assert "raises-exception" in c.metadata.get("tags", []), f"{nb.path.name} cell {i}: add tag raises-exception"
            assert errors, f"{nb.path.name} cell {i}: marked to raise but stored no error"
        else:
            assert not errors, f"{nb.path.name} cell {i} stored an error: {errors[0].ename}"


def test_outputs_hold_no_warnings_or_machine_paths(any_nb):
    nb = any_nb
    for i, c in enumerate(code_cells(nb)):
        for o in c.outputs:
            text = json.dumps(o.get("text", "")) + json.dumps(o.get("data", {}).get("text/plain", ""))
            assert "Warning" not in text, f"{nb.path.name} cell {i}: output holds a warning"
            assert not re.search(r"/(root|home|work|Users)/|/tmp/(?!ipykernel)", text), \
                f"{nb.path.name} cell {i}: output holds a machine path"


def test_reads_as_a_lesson_with_goals_and_exercises(nb):
    first = nb.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith(f"# {nb.path.name[:2]} · ")
    assert "**Goals.**" in first.source
    assert any(c.cell_type == "markdown" and "## Exercises" in c.source for c in nb.cells)
    # key terms carry their Chinese name at first use, e.g. "tensors (张量)"
    assert re.search(r"\([\u4e00-\u9fff]+", first.source), "goals should name key terms in Chinese too"


def test_exercises_start_with_a_passing_self_check(nb):
    (k,) = [i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and "## Exercises" in c.source]
    checks = [c for c in nb.cells[k:] if c.cell_type == "code" and re.search(r"^assert d2l\.check_\w+\(", c.source, re.M)]
    assert checks, f"{nb.path.name}: the Exercises section should use a d2l.check_* self-check (issue #8)"
    # the stored output is the check's report: a ✓ line for every check asserted to pass
    for c in checks:
        text = "".join(o.get("text", "") for o in c.outputs)
        assert text.count("✓ ") == len(re.findall(r"^assert d2l\.check_", c.source, re.M)), text


def test_no_cell_is_skipped_or_ignored_by_a_comment(any_nb):
    nb = any_nb
    # a comment marker is visible to students and silently does nothing when mistyped; a skipped cell
    # is never run at all. What varies by machine is tagged (below) or masked by nbval_sanitize.cfg.
    for i, c in enumerate(nb.cells):
        assert not re.search(r"NBVAL_(IGNORE_OUTPUT|SKIP|CHECK_OUTPUT)", c.source), f"{nb.path.name} cell {i}"
        assert "nbval-skip" not in c.metadata.get("tags", []), f"{nb.path.name} cell {i}"


# The rule for a value that truly varies by machine (a training run's accuracy, the winner of a close
# comparison): printed as measured, beside the bound its assert checks, in a cell tagged
# nbval-ignore-output. Such a cell trains (optimiser steps) or times, or prints what a training cell produced.
IGNORED = "nbval-ignore-output"
VARIES = re.compile(r"\.step\(|\bd2l\.train\(|\btrain_epoch\(|\bsgd\(|-= *lr\b|perf_counter|\bTimer\(")


def _names(tree, kind):
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, kind)}


def varying_cells(nb):
    """Indices (in code_cells(nb)) of the cells whose results can vary by machine: a cell that trains
    or times, directly or through a function the notebook defines, or that reads a name a training
    cell assigned (the model, its history), or a name such a cell assigned in turn. A
    worked-solutions notebook first runs its lesson's cells, so the lesson's functions and trained
    names count there too."""
    cells = code_cells(nb)
    path = getattr(nb, "path", None)
    before = code_cells(read(lesson_of(path))) if path is not None and path.parent.name == "solutions" else []
    trees = [ast.parse(c.source) for c in before + cells]
    functions = {n.name: n for t in trees for n in ast.walk(t) if isinstance(n, ast.FunctionDef)}

    def trains(tree, seen):
        if VARIES.search(ast.unparse(tree)):
            return True
        called = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
        return any(trains(functions[f], seen | {f}) for f in called - seen if f in functions)

    varying, trained = set(), set()  # trained: names a training cell assigned (a model, its history)
    for i, tree in enumerate(trees, -len(before)):  # the lesson's cells (if any) get negative indices
        if trains(tree, set()):
            varying.add(i)
            trained |= _names(tree, ast.Store)
        elif _names(tree, ast.Load) & trained:
            varying.add(i)
            trained |= _names(tree, ast.Store)  # a model picked from the trained ones varies too
    return {i for i in varying if i >= 0}


def tagged(nb):
    return [i for i, c in enumerate(code_cells(nb)) if IGNORED in c.metadata.get("tags", [])]


def tagged_cell_problems(nb):
    """What is wrong with the cells of nb tagged nbval-ignore-output (an empty list: nothing)."""
    cells, varying, problems = code_cells(nb), varying_cells(nb), []
    for i in tagged(nb):
        c, where = cells[i], f"code cell {i + 1} ({cells[i].source.splitlines()[0]!r})"
        printed = "".join(o.get("text", "") for o in c.outputs if o.output_type == "stream")
        if i not in varying:
            problems.append(f"{where} is tagged {IGNORED} but neither trains nor prints a training result")
        if not re.search(r"^\s*assert\b", c.source, re.M):
            problems.append(f"{where}: a tagged cell asserts the robust bound of what it prints")
        if "asserted" not in printed or not re.search(r"\d\.\d", printed):
            problems.append(f"{where}: print the measured numbers beside '(asserted: ...)'")
    return problems


def test_output_is_ignored_only_where_a_training_result_is_printed_beside_its_asserted_bound(any_nb):
    nb = any_nb
    assert not tagged_cell_problems(nb), f"{nb.path.name}: {tagged_cell_problems(nb)}"


def test_tagging_a_deterministic_cell_fails():
    def cell(source, printed, tags=()):
        c = nbformat.v4.new_code_cell(source, outputs=[nbformat.v4.new_output("stream", text=printed)])
        c.metadata["tags"] = list(tags)
        return c

    train = ("opt = torch.optim.SGD(net.parameters(), lr=0.1)\nfor X, y in data:\n    opt.step()\n"
             "acc = evaluate(net)")
    report = 'print(f"accuracy {acc:.4f} (asserted: > 0.8)")\nassert acc > 0.8'
    softmax = 'p = torch.softmax(torch.tensor([1.0, 2.0]), 0)\nprint(f"{p[0]:.4f} (asserted: < 0.5)")\nassert p[0] < 0.5'
    nb = nbformat.v4.new_notebook(cells=[
        cell(train, ""), cell(report, "accuracy 0.8512 (asserted: > 0.8)\n", [IGNORED]),
        cell(softmax, "0.2689 (asserted: < 0.5)\n", [IGNORED]),
        cell("print(acc)", "0.8512\n", [IGNORED])])
    problems = tagged_cell_problems(nb)
    assert len(problems) == 3, problems
    assert "code cell 3" in problems[0] and "neither trains" in problems[0]
    assert all("code cell 4" in p for p in problems[1:])


def test_docs_tests_lists_the_cells_whose_output_is_not_compared(nb):
    table = TESTS_DOC.split("cells whose output is not compared", 1)[-1].split("\n\n")[1]  # the table after the words
    rows = {k: (int(a), int(b)) for k, a, b in re.findall(r"^\| (\d\d) \| (\d+) \| (\d+) \|", table, re.M)}
    counted = (len(tagged(nb)), len(tagged(read(solutions_of(nb.path)))))
    assert rows.get(nb.path.name[:2], (0, 0)) == counted, (
        f"{nb.path.name} and its solutions have {counted} cells tagged {IGNORED}: update the list in "
        "docs/tests.md")


# --- a lesson and its worked solutions --------------------------------------------------------

def solutions_of(lesson_path):
    return lesson_path.parent / "solutions" / f"{lesson_path.stem}_solutions.ipynb"


def numbered_lists(nb):
    """The exercise lists of a lesson: its untagged markdown cells after "## Exercises" with "N. " lines."""
    k = next(i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and c.source.startswith("## Exercises"))
    return [c.source.strip() for c in nb.cells[k:] if c.cell_type == "markdown" and not c.metadata.get("tags")
            and re.search(r"^\d+\. ", c.source, re.M)]


def test_every_lesson_has_one_worked_solutions_notebook_and_no_solutions_of_its_own(nb):
    assert [p.name for p in SOLUTIONS] == [f"{p.stem}_solutions.ipynb" for p in NOTEBOOKS]
    # Run All of a lesson runs the lesson only and shows no answer (issue #29)
    assert not [c for c in nb.cells if "solution" in c.metadata.get("tags", [])], nb.path.name
    target = f"solutions/{solutions_of(nb.path).name}"
    links = [i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and f"]({target})" in c.source]
    exercises = next(i for i, c in enumerate(nb.cells) if c.source.startswith("## Exercises"))
    assert [i for i in links if i > exercises], f"{nb.path.name}: the Exercises should link to {target}"


@pytest.fixture(params=SOLUTIONS, ids=lambda p: p.name)
def sol(request):
    return read(request.param)


def test_worked_solutions_run_their_lesson_first_and_repeat_its_exercises_word_for_word(sol):
    lesson = read(lesson_of(sol.path))
    title = re.match(r"# (\d\d) · (.+)", lesson.cells[0].source)
    assert sol.cells[0].source.startswith(f"# {title[1]} · {title[2]} — worked solutions\n"), sol.cells[0].source[:80]
    assert f"](../{lesson.path.name})" in sol.cells[0].source  # a link back to the lesson
    install, setup = code_cells(sol)[:2]  # the cell that installs d2lcore on a hosted notebook, then this
    assert install.metadata["tags"] == [hosted.TAG]
    assert f'd2l.infra.run_lesson("../{lesson.path.name}")' in setup.source
    ran = "".join(o.get("text", "") for o in setup.outputs)
    assert ran == f"ran the {len(code_cells(lesson))} code cells of {lesson.path.name}: their names are defined " \
                  "here (outputs hidden)\n", ran
    # a solution answers the exercise as the lesson asks it: the same words, not a copy that drifted
    (exercises,) = [c for c in sol.cells if c.cell_type == "markdown" and c.source.startswith("## Exercises")]
    assert exercises.source == "## Exercises\n\n" + "\n\n".join(numbered_lists(lesson)), \
        f"{sol.path.name}: copy the lesson's exercises again"
    after = sol.cells[sol.cells.index(exercises) + 1:]
    assert after and all("solution" in c.metadata.get("tags", []) for c in after), sol.path.name


def test_listed_in_the_readme(nb):
    assert nb.path.name in README


def test_kernel_is_the_standard_python3(any_nb):
    nb = any_nb
    assert nb.metadata["kernelspec"]["name"] == "python3"


def test_no_widget_state_is_stored(any_nb):
    nb = any_nb
    # headless runs draw a static figure; stored widget models only churn diffs (random ids)
    assert "widgets" not in nb.metadata, f"{nb.path.name}: re-execute with ./course execute"
