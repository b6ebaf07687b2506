"""The course's additions to JupyterLab, put into a Python environment: `python scripts/lab_defaults.py PREFIX`.

One place for what every JupyterLab the course runs in gets, whoever set it up: `./course lab`
(the checkout's .venv), the class hub (`./course hub`: its venv), the class's container image
(binder/postBuild) and an instructor's conda environment (docs/presenting.md):

- extensions/rise-widgets, prebuilt: widgets render in RISE slideshows, the presenter is told when
  a kernel was lost, and slides rescale when the window does (its index.js says how and why);
- JupyterLab defaults (a user's own settings still win over these): a lesson opens with its kernel
  started (without this JupyterLab asks "Select Kernel" whenever the kernel list arrives after the
  notebook, on a slow or busy machine), and closing a lesson's tab shuts its kernel down (each holds
  PyTorch and often the data set, about 1 GB: 17 lessons fill a laptop, and a class server's
  memory limit, one by one).

Each part is replaced only when it differs, so running it again is quick and changes nothing. The
defaults go into their own file (overrides.d/d2lcore.json): an environment's overrides.json, if its
owner wrote one, is left alone and wins over them.
"""
import json
import os
import pathlib
import shutil
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[1]
EXTENSION = ROOT / "extensions" / "rise-widgets" / "labextension"
EXTENSION_NAME = "@d2lcore/rise-widgets"
OVERRIDES = {"@jupyterlab/notebook-extension:tracker": {"autoStartDefaultKernel": True, "kernelShutdown": True}}


def _same_tree(a, b):
    if b.is_symlink() or not b.is_dir():  # a link is replaced by a copy
        return False
    files = lambda root: sorted(p.relative_to(root) for p in root.rglob("*") if p.is_file())
    return files(a) == files(b) and all((a / f).read_bytes() == (b / f).read_bytes() for f in files(a))


def install_extension(prefix):
    """Copy the prebuilt extension into PREFIX/share/jupyter/labextensions (copied, not linked: the
    environment must not depend on where the checkout is). Returns True when it was (re)placed."""
    target = pathlib.Path(prefix) / "share" / "jupyter" / "labextensions" / EXTENSION_NAME
    if _same_tree(EXTENSION, target):
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    for left in target.parent.glob(".rise-widgets.*"):  # a run killed mid-swap left it (JupyterLab skips it)
        shutil.rmtree(left, ignore_errors=True)
    # copied beside it first, then swapped in: JupyterLab never finds half an extension
    staging = pathlib.Path(tempfile.mkdtemp(prefix=".rise-widgets.", dir=target.parent))
    try:
        shutil.copytree(EXTENSION, staging / "new")
        if os.path.lexists(target):  # a folder, a file, or a link (even a broken one): moved aside whole
            os.replace(target, staging / "old")
        os.replace(staging / "new", target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return True


def install_overrides(prefix):
    """Write the course's defaults to PREFIX/share/jupyter/lab/settings/overrides.d/d2lcore.json:
    JupyterLab reads that folder's files (one per package) before overrides.json, which stays the
    environment owner's and wins over ours. Returns True when the file changed."""
    path = pathlib.Path(prefix) / "share" / "jupyter" / "lab" / "settings" / "overrides.d" / "d2lcore.json"
    text = json.dumps(OVERRIDES, indent=1) + "\n"
    if path.is_file() and path.read_text() == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    # written beside it, then renamed over it: JupyterLab never reads half a file. (Not d2lcore's
    # atomic_path: importing d2lcore imports PyTorch, which an environment may not have yet.)
    fd, tmp = tempfile.mkstemp(prefix=".d2lcore.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.chmod(tmp, 0o644)  # read by every user of a shared environment (the class hub's students)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return True


def install(prefix):
    return install_extension(prefix), install_overrides(prefix)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__.splitlines()[0])
    extension, overrides = install(sys.argv[1])
    if extension or overrides:  # ./course runs it at every start: silent when nothing changed
        print(f"JupyterLab in {sys.argv[1]}: " + " and ".join(
            what for what, done in (("the slideshows' extension", extension), ("the course's defaults", overrides))
            if done) + " put in place", file=sys.stderr)
