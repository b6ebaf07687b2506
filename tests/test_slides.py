"""Every lesson presents as slides: RISE metadata on every cell, no slide longer than a screen; hints
fold in the lesson, worked solutions fold in the lesson's solutions notebook (notebooks/solutions/)."""
import importlib.util
import pathlib
import re

import nbformat
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("slides", ROOT / "scripts" / "slides.py")
slides = importlib.util.module_from_spec(spec)
spec.loader.exec_module(slides)
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
SOLUTIONS = sorted((ROOT / "notebooks" / "solutions").glob("[0-9][0-9]_*_solutions.ipynb"))


@pytest.fixture(params=NOTEBOOKS, ids=lambda p: p.name)
def nb(request):
    nb = nbformat.read(request.param, as_version=4)
    nb.path = request.param
    return nb


def test_every_cell_has_a_slide_type_and_the_title_opens_the_talk(nb):
    kinds = [c.metadata.get("slideshow", {}).get("slide_type") for c in nb.cells]
    assert None not in kinds, f"{nb.path.name}: run scripts/slides.py"
    assert set(kinds) <= {"slide", "subslide", "fragment", "-", "skip", "notes"}
    assert kinds[0] == "slide" and nb.metadata["rise"]["scroll"] is True


def test_the_set_up_cell_is_shown_on_the_first_slide_and_sections_start_slides(nb):
    # RISE never runs a hidden cell: a hidden set-up cell made a presenter's first live cell fail
    kinds = [c.metadata["slideshow"]["slide_type"] for c in nb.cells]
    first_code = slides.set_up_cell(nb)
    assert "import" in nb.cells[first_code].source
    # before it, only the cell that installs d2lcore on a hosted notebook, which is left out
    assert [c.metadata["tags"] for c in nb.cells[:first_code] if c.cell_type == "code"] == [[slides.INSTALL]]
    assert [kinds[i] for i, c in enumerate(nb.cells[:first_code]) if c.cell_type == "code"] == ["skip"]
    assert kinds[first_code] == "-" and "subslide" not in kinds[:first_code]
    for c in nb.cells:
        if c.cell_type == "markdown" and c.source.startswith("## "):
            assert c.metadata["slideshow"]["slide_type"] == "slide", c.source.splitlines()[0]


def test_a_markdown_cell_holds_at_most_one_section_heading_at_its_top(nb):
    # a "## Summary" in the middle of a cell would not start a slide: one slide of two sections
    for c in nb.cells:
        if c.cell_type == "markdown":
            late = [line for line in c.source.splitlines()[1:] if line.startswith("## ")]
            assert not late, f"{nb.path.name}: split the cell before {late[0]!r}"


def test_no_slide_is_longer_than_a_screen(nb):
    """A slide (or sub-slide) holds at most MAX_LINES lines of source and output; only a single
    cell that is itself longer may exceed it, and only up to TALLEST_CELL lines (what still fits)
    unless it shows a traceback, which RISE scrolls: a figure or printout below the screen's edge
    would have the presenter scroll in front of the class (split such a cell)."""
    groups, current = [], []
    for c in nb.cells:
        kind = c.metadata["slideshow"]["slide_type"]
        if kind == "skip":
            continue
        if kind in ("slide", "subslide") and current:
            groups.append(current)
            current = []
        current.append(c)
    groups.append(current)
    for g in groups:
        total = sum(slides.cell_lines(c) for c in g)
        assert total <= slides.MAX_LINES or len(g) == 1, (
            f"{nb.path.name}: a slide of {total} lines starting with {g[0].source.splitlines()[0]!r}")
        traceback = any(o.output_type == "error" for o in g[0].get("outputs", []))
        assert total <= slides.TALLEST_CELL or traceback, (
            f"{nb.path.name}: the cell starting with {g[0].source.splitlines()[0]!r} takes {total} lines, more "
            f"than a slide shows ({slides.TALLEST_CELL}): split it, its output's part on a sub-slide of its own")


def test_the_committed_metadata_is_what_the_rules_give():
    stale = [p.name for p in NOTEBOOKS + SOLUTIONS if slides.apply(p, check=True)]
    assert not stale, f"run: python scripts/slides.py notebooks/*.ipynb notebooks/solutions/*.ipynb  ({stale})"


def _folded(cell):
    return bool(set(cell.metadata.get("tags", [])) & slides.FOLDED)


def test_only_hints_and_solutions_are_left_out_of_the_slides_and_solution_code_starts_folded(nb):
    # (and the cell that installs d2lcore on a hosted notebook: it does nothing where a presenter is)
    for c in nb.cells:
        kind = c.metadata["slideshow"]["slide_type"]
        left_out = _folded(c) or slides.INSTALL in c.metadata.get("tags", [])
        assert (kind == "skip") == left_out, f"{nb.path.name}: {c.source.splitlines()[0]!r} is {kind}"
        if c.cell_type == "code" and _folded(c):
            assert c.metadata["jupyter"] == {"source_hidden": True, "outputs_hidden": True}


@pytest.fixture(params=NOTEBOOKS + SOLUTIONS, ids=lambda p: p.name)
def any_nb(request):
    nb = nbformat.read(request.param, as_version=4)
    nb.path = request.param
    return nb


def test_hints_and_solutions_fold_themselves_and_follow_the_exercises(any_nb):
    nb = any_nb
    exercises = next(i for i, c in enumerate(nb.cells) if c.source.startswith("## Exercises"))
    for i, c in enumerate(nb.cells):
        if not _folded(c):
            continue
        assert i > exercises, f"{nb.path.name}: a hint or solution before the Exercises: {c.source[:60]!r}"
        if c.cell_type == "code":  # folded to a bar in JupyterLab: a click opens it
            assert c.metadata["jupyter"] == {"source_hidden": True, "outputs_hidden": True}, nb.path.name
        if c.cell_type == "markdown":
            text = c.source.strip()
            assert text.startswith("<details><summary>") and text.endswith("</details>"), c.source[:60]
            # JupyterLab renders markdown inside <details> only after a blank line
            assert "</summary>\n\n" in text, c.source[:60]


def _exercise_numbers(nb):
    """The numbers of the exercises listed after "## Exercises" (lines "N. ..." of untagged cells)."""
    exercises = next(i for i, c in enumerate(nb.cells) if c.source.startswith("## Exercises"))
    numbers = set()
    for c in nb.cells[exercises:]:
        if c.cell_type == "markdown" and not _folded(c):
            numbers |= {int(m) for m in re.findall(r"^(\d+)\. ", c.source, flags=re.M)}
    return numbers


def _titles(nb):
    summaries = [re.match(r"<details><summary><b>([^<]*)</b>", c.source.strip())
                 for c in nb.cells if c.cell_type == "markdown" and _folded(c)]
    return [m[1] for m in summaries if m]


def test_every_exercise_has_hints_and_a_worked_solution(nb):
    # students working alone (issue 19): one "Hints" box in the lesson, and solution boxes that cover
    # every exercise in its solutions notebook (issue 29: Run All of a lesson shows no answer)
    assert _titles(nb) == ["Hints"], f"{nb.path.name}: {_titles(nb)}"
    sol = nbformat.read(ROOT / "notebooks" / "solutions" / f"{nb.path.stem}_solutions.ipynb", as_version=4)
    titles = _titles(sol)
    assert titles and all(t.startswith("Solution") for t in titles), titles
    solved = {int(n) for t in titles for n in re.findall(r"\d+", t)}
    assert _exercise_numbers(nb) and solved == _exercise_numbers(nb), (
        f"{nb.path.name}: exercises {sorted(_exercise_numbers(nb))}, solutions for {sorted(solved)}")
