"""Re-execute lessons in place and store their outputs (`./course execute` runs this).

    python scripts/execute_notebook.py notebooks/01_linear_regression_scratch.ipynb ...

Each notebook runs top to bottom in a fresh kernel in the current environment (./course sets the
reference settings first). Two things make the stored file fit to commit and share:
- tracebacks of the cells that raise on purpose name files relative to the checkout
  (`d2lcore/linear_regression.py:48`) or to site-packages (`…/site-packages/torch/...`), not the
  author's absolute paths (`/home/ana/course/.venv/lib/python3.11/...`), which mean nothing to a
  reader and show where someone's files live; nbval compares an error's name and message only, so
  this changes no test;
- the file is replaced atomically, and only after the whole notebook ran: a failing cell, Ctrl-C or a
  full disk leaves the lesson as it was (a half-written .ipynb would not even open), and the slide
  rules (scripts/slides.py: breaks depend on output lengths) are applied before it is stored, so a
  lesson stored by a run that failed on a later one is complete too;
- a lesson saved while it ran (edited in JupyterLab meanwhile) is not replaced: the run would
  silently drop the edits. It stops instead, saying so.
"""
import pathlib
import sys
import sysconfig

import nbformat
from nbclient import NotebookClient

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))  # imported from elsewhere too (the tests)
from d2lcore.infra.atomic import atomic_path  # noqa: E402
import slides  # noqa: E402  (the slide rules)


def _prefixes():
    """(absolute prefix, what a reader sees instead), the longest first so a site-packages inside the
    checkout's .venv is named as site-packages, not as a path in the checkout."""
    pairs = {}
    for key in ("purelib", "platlib"):
        lib = pathlib.Path(sysconfig.get_paths()[key])
        for p in {str(lib), str(lib.resolve())}:
            pairs[p + "/"] = "…/site-packages/"
    for p in {str(ROOT), str(ROOT.resolve())}:
        pairs[p + "/"] = ""
    home = pathlib.Path.home()
    # IPython itself writes a path under the home folder as ~/... (an environment in ~/.venv, a
    # checkout in ~/d2lcore: most laptops): that form is replaced as well
    for prefix, shown in list(pairs.items()):
        if prefix.startswith(str(home) + "/"):
            pairs["~/" + prefix[len(str(home)) + 1:]] = shown
    pairs[str(home) + "/"] = "~/"
    return sorted(pairs.items(), key=lambda kv: -len(kv[0]))


def relative_paths(text, prefixes):
    for prefix, shown in prefixes:
        text = text.replace(prefix, shown)
    return text


def scrub_tracebacks(nb, prefixes=None):
    """Rewrite the absolute paths in every stored error's traceback; return how many lines changed."""
    prefixes = prefixes or _prefixes()
    changed = 0
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") != "error":
                continue
            new = [relative_paths(line, prefixes) for line in out["traceback"]]
            changed += sum(a != b for a, b in zip(new, out["traceback"]))
            out["traceback"] = new
    return changed


class ChangedWhileRunning(RuntimeError):
    """The notebook's file was saved by someone else while it ran."""


def execute(path):
    """Run the notebook at `path` in a fresh kernel and store its outputs in it. Raises
    ChangedWhileRunning, leaving the file as it is, when it was saved meanwhile."""
    path = pathlib.Path(path)
    before = path.read_bytes()
    nb = nbformat.reads(before.decode("utf-8"), as_version=4)
    # nbclient directly: `jupyter execute` cannot be told to leave out per-cell timestamps or the
    # state of widgets (random ids; headless runs show a static figure instead), which would make
    # every re-execution a diff.
    NotebookClient(nb, kernel_name="python3", record_timing=False, store_widget_state=False,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    scrub_tracebacks(nb)
    slides.apply_to(nb)  # slide breaks depend on output lengths; stored with the outputs they follow
    with atomic_path(path) as tmp:
        nbformat.write(nb, tmp)
        # last, just before the rename: what was saved during the run (minutes) would be lost
        if path.read_bytes() != before:
            raise ChangedWhileRunning(
                f"{path} was saved by someone else while it ran (open in JupyterLab?), so the run's outputs were "
                f"not stored and the saved version is kept; close it there and run ./course execute again")


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        if not pathlib.Path(arg).is_file():  # else "could not store" it, as if it had run
            sys.exit(f"[course] error: there is no notebook {arg}")
        print(f"[course] executing {arg}", file=sys.stderr, flush=True)
        try:
            execute(arg)
        except (ChangedWhileRunning, OSError) as e:  # a full disk too: one line, not nbformat's traceback
            sys.exit(f"[course] error: {e}" if isinstance(e, ChangedWhileRunning) else
                     f"[course] error: could not store {arg} ({e.strerror or e}); it is left as it was")
