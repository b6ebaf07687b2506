"""Give every lesson RISE slide metadata, so the RISE button in JupyterLab gives a talk.

    python scripts/slides.py notebooks/*.ipynb          # set the metadata (idempotent)
    python scripts/slides.py --check notebooks/*.ipynb  # exit 1 if any notebook is out of date

The rules, so that every slide holds one idea and fits on a screen:
- the title cell and every "## " section start a new slide; every "### " subsection a sub-slide;
- the set-up cell (the first code cell: imports and seeding) is skipped;
- if a slide would grow past MAX_LINES (source lines + output lines, a figure counting as
  FIGURE_LINES), the cell that overflows starts a sub-slide;
- everything else continues the current slide.
RISE's options (scrolling for the occasional long cell, a plain theme) go in the notebook metadata.
tests/test_slides.py checks that the committed notebooks follow these rules.
"""
import argparse
import sys

import nbformat

MAX_LINES = 55
FIGURE_LINES = 14
RISE_OPTIONS = {"scroll": True, "theme": "simple", "transition": "none", "start_slideshow_at": "beginning"}


def cell_lines(cell):
    """How much screen a cell takes: its source lines plus its output lines."""
    n = cell.source.count("\n") + 1
    for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
        data = out.get("data", {})
        if out.output_type == "stream":
            n += out.text.count("\n")
        elif "image/png" in data:
            n += FIGURE_LINES
        elif out.output_type in ("execute_result", "display_data"):
            n += data.get("text/plain", "").count("\n") + 1
        elif out.output_type == "error":
            n += 2  # RISE shows the error name and message; the traceback scrolls
    return n


def slide_types(nb):
    """The slide type of each cell, by the rules above."""
    types, current = [], 0
    first_code = next((i for i, c in enumerate(nb.cells) if c.cell_type == "code"), None)
    for i, cell in enumerate(nb.cells):
        text = cell.source.lstrip()
        size = cell_lines(cell)
        if i == 0 or (cell.cell_type == "markdown" and text.startswith("## ")):
            kind, current = "slide", size
        elif i == first_code:
            kind = "skip"
        elif cell.cell_type == "markdown" and text.startswith("### "):
            kind, current = "subslide", size
        elif current + size > MAX_LINES:
            kind, current = "subslide", size
        else:
            kind, current = "-", current + size
        types.append(kind)
    return types


def apply(path, check=False):
    nb = nbformat.read(path, as_version=4)
    changed = False
    for cell, kind in zip(nb.cells, slide_types(nb)):
        if cell.metadata.get("slideshow", {}).get("slide_type") != kind:
            cell.metadata["slideshow"] = {"slide_type": kind}
            changed = True
    if nb.metadata.get("rise") != RISE_OPTIONS:
        nb.metadata["rise"] = dict(RISE_OPTIONS)
        changed = True
    if changed and not check:
        nbformat.write(nb, path)
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
