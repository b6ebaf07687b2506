"""Hygiene of the committed notebooks: what strict nbval and students would trip over.

nbval re-executes the notebooks; these checks catch what it cannot see: a cell never
executed (nbval skips it), cells run out of order, a stored error or warning, a lesson
missing from the README, a notebook that is not a lesson (goals, exercises).
"""
import json
import pathlib
import re

import nbformat
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
README = (ROOT / "README.md").read_text(encoding="utf-8")


def code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]


def test_lessons_are_numbered_00_01_02_without_gaps():
    numbers = [int(p.name[:2]) for p in NOTEBOOKS]
    assert NOTEBOOKS and all(re.fullmatch(r"\d\d_[a-z0-9_]+\.ipynb", p.name) for p in NOTEBOOKS)
    assert numbers == list(range(len(NOTEBOOKS)))


@pytest.fixture(params=NOTEBOOKS, ids=lambda p: p.name)
def nb(request):
    path = request.param
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    nb.path = path
    return nb


def test_every_code_cell_was_executed_top_to_bottom(nb):
    counts = [c.execution_count for c in code_cells(nb)]
    assert None not in counts, f"{nb.path.name}: cells never executed (nbval would not compare them)"
    assert counts == list(range(1, len(counts) + 1)), f"{nb.path.name}: re-run it top to bottom"


def test_only_cells_marked_to_raise_store_an_error(nb):
    for i, c in enumerate(code_cells(nb)):
        errors = [o for o in c.outputs if o.output_type == "error"]
        marked = "# NBVAL_RAISES_EXCEPTION" in c.source
        if marked:
            # the tag lets `jupyter execute` (./course execute) carry on past the error
            assert "raises-exception" in c.metadata.get("tags", []), f"{nb.path.name} cell {i}: add tag raises-exception"
            assert errors, f"{nb.path.name} cell {i}: marked to raise but stored no error"
        else:
            assert not errors, f"{nb.path.name} cell {i} stored an error: {errors[0].ename}"


def test_outputs_hold_no_warnings_or_machine_paths(nb):
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


def test_no_cell_is_blanket_ignored_or_skipped(nb):
    # what truly varies (timings, speed-ups, device names) is masked by tests/nbval_sanitize.cfg,
    # so every other character of every output is still compared
    for i, c in enumerate(nb.cells):
        assert not re.search(r"NBVAL_(IGNORE_OUTPUT|SKIP|CHECK_OUTPUT)", c.source), f"{nb.path.name} cell {i}"
        assert not {"nbval-ignore-output", "nbval-skip"} & set(c.metadata.get("tags", [])), f"{nb.path.name} cell {i}"


def test_listed_in_the_readme(nb):
    assert nb.path.name in README


def test_kernel_is_the_standard_python3(nb):
    assert nb.metadata["kernelspec"]["name"] == "python3"


def test_no_widget_state_is_stored(nb):
    # headless runs draw a static figure; stored widget models only churn diffs (random ids)
    assert "widgets" not in nb.metadata, f"{nb.path.name}: re-execute with ./course execute"
