"""The lessons on a hosted notebook (Colab, Kaggle, SageMaker Studio Lab): the cell that installs
d2lcore there (a cell of its own, before the set-up cell, tagged hosted-install), and the "Open in
Colab" links.

    ./course hosted            write both from pyproject.toml's [tool.d2lcore.hosted] (after editing it)
    ./course hosted --check    exit 1, naming the files, where they differ from it (a test runs this)

Where they point is set in one place, pyproject.toml:

    [tool.d2lcore.hosted]
    repository = "https://github.com/OWNER/REPO"   # the course's repository on GitHub

and the version is the project's: a lesson installs `git+REPOSITORY@vVERSION`, the release it was
written for (a tag), and Colab opens the lesson as stored at that tag. docs/hosted-notebooks.md
says how an instructor points both at their own copy.
"""
import argparse
import pathlib
import re
import sys
import tomllib

import nbformat

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from d2lcore.infra.atomic import atomic_path  # noqa: E402  (a lesson is never left half-written)

NOTEBOOKS = ROOT / "notebooks"
README = ROOT / "README.md"
# The extra a lesson needs beyond d2lcore's own requirements, and the modules that show it is there
# (a hosted service may have some of them: the cell installs only when one is missing).
EXTRAS = {"onnx": ["onnx", "onnxruntime", "onnxscript", "netron"]}
FIRST_LINE = "try:  # d2lcore comes with the course; on a hosted notebook (Colab, Kaggle) this cell installs it"
# The install cell's tag. It is a cell of its own, before the set-up cell, left out of the slides
# (scripts/slides.py): a presenter has d2lcore, and the title slide has no room for it.
TAG = "hosted-install"
README_ROW = re.compile(r"^\| `(\d\d_[a-z0-9_]+\.ipynb)` \| (.*?)(?: \| \[Open in Colab\]\([^)]*\))? \|$", re.M)


def settings():
    """(repository URL without a trailing slash, ref) from pyproject.toml."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    repository = project["tool"]["d2lcore"]["hosted"]["repository"].rstrip("/")
    if not re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", repository) or repository.endswith(".git"):
        raise SystemExit(f"[tool.d2lcore.hosted] repository must be https://github.com/OWNER/REPO "
                         f"(Colab opens notebooks from GitHub), got {repository!r}")
    return repository, f"v{project['project']['version']}"


def notebooks():
    """Every lesson and every notebook of worked solutions, in order."""
    return sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")) + sorted(NOTEBOOKS.glob("solutions/[0-9][0-9]_*.ipynb"))


def extras_for(path):
    """The extras a notebook needs: those whose modules its lesson (or the notebook) imports."""
    lesson = NOTEBOOKS / f"{path.name[:2]}{path.stem[2:].removesuffix('_solutions')}.ipynb"
    sources = [path] + ([lesson] if lesson != path and lesson.exists() else [])
    code = "\n".join(c.source for p in sources for c in nbformat.read(p, as_version=4).cells if c.cell_type == "code")
    return [extra for extra, modules in EXTRAS.items()
            if any(re.search(rf"^\s*(?:import|from) {m}\b", code, re.M) for m in modules)]


def install_source(extras, repository, ref):
    """The install cell's code: import, else pip install, once. A folder named d2lcore in the notebook's
    folder (a clone of the course, as the solutions suggest on Colab) imports as an empty namespace
    package: that counts as missing, so the package is installed and found before it."""
    modules = ", ".join(["d2lcore"] + [m for e in extras for m in EXTRAS[e]])
    package = "d2lcore" + (f"[{','.join(extras)}]" if extras else "")
    return (f"{FIRST_LINE}\n"
            f"    import {modules}\n"
            "    if getattr(d2lcore, \"__file__\", None) is None:  # a clone's folder d2lcore, not the package\n"
            "        raise ModuleNotFoundError(\"d2lcore\")\n"
            "except ModuleNotFoundError:\n"
            "    import importlib, subprocess, sys\n"
            "    sys.modules.pop(\"d2lcore\", None)\n"
            '    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet",\n'
            f'                    "{package} @ git+{repository}@{ref}"], check=True)\n'
            "    importlib.invalidate_caches()")


def colab_url(path, repository, ref):
    return f"https://colab.research.google.com/github/{repository.removeprefix('https://github.com/')}/blob/{ref}/{path.relative_to(ROOT).as_posix()}"


def install_cell(nb):
    """The notebook's install cell, or None."""
    return next((c for c in nb.cells if TAG in c.metadata.get("tags", [])), None)


def with_install_cell(nb, source):
    """Put the install cell, holding `source`, just before the first code cell (or update the one
    there). Returns True if the notebook changed."""
    cell = install_cell(nb)
    if cell is None:
        cell = nbformat.v4.new_code_cell(source, metadata={"tags": [TAG], "slideshow": {"slide_type": "skip"}})
        cell.id = TAG
        nb.cells.insert(next(i for i, c in enumerate(nb.cells) if c.cell_type == "code"), cell)
        return True
    if cell.source == source:
        return False
    cell.source = source
    return True


def readme_with_links(text, repository, ref):
    def row(m):
        url = colab_url(NOTEBOOKS / m.group(1), repository, ref)
        return f"| `{m.group(1)}` | {m.group(2)} | [Open in Colab]({url}) |"
    return README_ROW.sub(row, text)


def apply(check):
    """Write (or, with check, only compare) every notebook's first cell and the README's links.
    Returns the paths that differed."""
    repository, ref = settings()
    differ = []
    for path in notebooks():
        nb = nbformat.read(path, as_version=4)
        if with_install_cell(nb, install_source(extras_for(path), repository, ref)):
            differ.append(path)
            if not check:
                with atomic_path(path) as tmp:
                    nbformat.write(nb, tmp)
    text = README.read_text()
    new = readme_with_links(text, repository, ref)
    if new != text:
        differ.append(README)
        if not check:
            README.write_text(new)
    return differ


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a file is out of date")
    args = parser.parse_args()
    differ = apply(args.check)
    names = ", ".join(str(p.relative_to(ROOT)) for p in differ)
    if args.check and differ:
        sys.exit(f"not what pyproject.toml's [tool.d2lcore.hosted] says: {names} (run ./course hosted)")
    print(f"updated {names}" if differ else "every lesson's install cell and Colab link is up to date")


if __name__ == "__main__":
    main()
