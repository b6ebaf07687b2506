"""Give every lesson RISE slide metadata, so the RISE button in JupyterLab gives a talk, and fold
its hints and worked solutions.

    python scripts/slides.py notebooks/*.ipynb          # set the metadata (idempotent)
    python scripts/slides.py --check notebooks/*.ipynb  # exit 1 if any notebook is out of date

The rules, so that every slide holds one idea and fits on a screen:
- the title cell and every "## " section start a new slide; every "### " subsection a sub-slide
  (a markdown cell holds at most one section heading, at its top: tests/test_slides.py checks);
- the set-up cell (the first code cell: imports and seeding) stays on the title slide, so that a
  presenter runs it first (RISE never runs a hidden cell, and every later cell needs it);
- the cell before it that installs d2lcore on a hosted notebook (tagged hosted-install,
  scripts/hosted.py) is left out ("skip"): a presenter's environment has d2lcore, so the cell would
  do nothing there, and nothing later needs it;
- if a slide would grow past MAX_LINES (see cell_lines), the cell that overflows starts a
  sub-slide; a single cell longer than that gets a sub-slide of its own. Up to TALLEST_CELL lines
  it still fits; only a long traceback may be longer, and scrolls (RISE's `scroll` option): a
  longer cell with a figure or a printout is split in the lesson, its output's part on a
  sub-slide of its own (tests/test_slides.py, and tests/test_browser.py in Chromium).
- everything else continues the current slide;
- hints and worked solutions (cells tagged "hint" or "solution", after the Exercises) are left out
  of the slides ("skip"): they are for a student working alone, who opens them on purpose. In
  JupyterLab a solution's code cell starts folded (input and output hidden: click the bar to open
  it); markdown hints and solutions fold themselves with <details>. The static site folds the
  solution cells too (scripts/build_site.py).
The line costs were fitted to slide heights measured in Chromium at 1280x720 (RISE 0.43, the
simple theme): about 17 px per line of text, code or output, 30 px per cell, 300 px per figure,
48 px per slide, and 684 px of room; tests/test_browser.py measures every slide again.
RISE's options (scrolling for the occasional long cell, a plain theme, the 1280x720 slide that
reveal.js scales to the window) go in the notebook metadata; notebooks/rise.css (RISE loads it from
the notebook's folder) hides JupyterLab's "Click to add a cell." box and holds the slide to 1280x720.
tests/test_slides.py checks that the committed notebooks follow these rules.
"""
import argparse
import pathlib
import sys

import nbformat

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from d2lcore.infra.atomic import atomic_path  # noqa: E402  (a lesson is never left half-written)

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import hosted  # noqa: E402  (the install cell's tag: one home)

MAX_LINES = 34  # 48 px + 34 lines of 17 px = 626 px of the 684 px a slide has at 1280x720
# the most lines one cell may take and still fit, measured in Chromium (tests/test_browser.py, every
# lesson): cells of 39 lines took 691 to 694 px, more than the 684; every one of 38 lines or fewer fit
TALLEST_CELL = 38
FIGURE_LINES = 18  # a stored figure is about 300 px tall
CELL_LINES = 2  # a cell's own padding and prompt, about 30 px
FOLDED = {"hint", "solution"}  # cell tags of what a student opens on purpose
INSTALL = hosted.TAG  # the cell that installs d2lcore on a hosted notebook
# width/height: every slide is laid out at 1280x720 (what MAX_LINES is fitted to) and reveal.js scales
# it to the window, up to fill a 1920x1080 projector and down into JupyterLab's half-width preview
# (margin 0, minScale 0.2); notebooks/rise.css holds JupyterLab's notebook to that size
RISE_OPTIONS = {"scroll": True, "theme": "simple", "transition": "none", "start_slideshow_at": "beginning",
                "width": 1280, "height": 720, "margin": 0, "minScale": 0.2}


def cell_lines(cell):
    """How much screen a cell takes, in lines: its source, its outputs (a figure counting as
    FIGURE_LINES, an error as its whole traceback, as RISE shows it) and CELL_LINES of padding."""
    n = CELL_LINES + cell.source.count("\n") + 1
    for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
        data = out.get("data", {})
        if out.output_type == "stream":
            n += out.text.count("\n")
        elif "image/png" in data:
            n += FIGURE_LINES
        elif out.output_type in ("execute_result", "display_data"):
            n += data.get("text/plain", "").count("\n") + 1
        elif out.output_type == "error":
            n += sum(line.count("\n") + 1 for line in out.get("traceback", []))
    return n


def set_up_cell(nb):
    """The index of the lesson's set-up cell: its first code cell, the install cell aside."""
    return next((i for i, c in enumerate(nb.cells)
                 if c.cell_type == "code" and INSTALL not in c.metadata.get("tags", [])), None)


def slide_types(nb):
    """The slide type of each cell, by the rules above."""
    types, current = [], 0
    first_code = set_up_cell(nb)
    for i, cell in enumerate(nb.cells):
        text = cell.source.lstrip()
        size = cell_lines(cell)
        if set(cell.metadata.get("tags", [])) & (FOLDED | {INSTALL}):
            types.append("skip")
            continue
        if i == 0 or (cell.cell_type == "markdown" and text.startswith("## ")):
            kind, current = "slide", size
        elif i == first_code:
            kind, current = "-", current + size  # the set-up cell, on the title slide
        elif cell.cell_type == "markdown" and text.startswith("### "):
            kind, current = "subslide", size
        elif current + size > MAX_LINES:
            kind, current = "subslide", size
        else:
            kind, current = "-", current + size
        types.append(kind)
    return types


def apply(path, check=False):
    """Apply the slide rules to the notebook at `path` (unless `check`); whether it was out of date."""
    nb = nbformat.read(path, as_version=4)
    changed = apply_to(nb)
    if changed and not check:
        with atomic_path(path) as tmp:
            nbformat.write(nb, tmp)
    return changed


def apply_to(nb):
    """Apply the slide rules to a notebook in memory; whether anything changed."""
    changed = False
    for cell, kind in zip(nb.cells, slide_types(nb)):
        if cell.metadata.get("slideshow", {}).get("slide_type") != kind:
            cell.metadata["slideshow"] = {"slide_type": kind}
            changed = True
        folded = {"source_hidden": True, "outputs_hidden": True}
        if cell.cell_type == "code" and "solution" in cell.metadata.get("tags", []):
            if cell.metadata.get("jupyter") != folded:
                cell.metadata["jupyter"] = folded
                changed = True
    if nb.metadata.get("rise") != RISE_OPTIONS:
        nb.metadata["rise"] = dict(RISE_OPTIONS)
        changed = True
    return changed


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("notebooks", nargs="+")
    p.add_argument("--check", action="store_true", help="report notebooks whose metadata is out of date")
    args = p.parse_args()
    stale = [path for path in args.notebooks if apply(path, check=args.check)]
    for path in stale:
        print(("out of date: " if args.check else "updated: ") + path)
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
