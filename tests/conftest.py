import matplotlib

# Unit tests draw off-screen; set in-process only, so notebook kernels keep their inline backend.
matplotlib.use("Agg")

from hypothesis import settings

# Property tests must not vary between runs (CI reruns the suite to prove it is deterministic):
# derandomize draws the same examples every run, and no example database is written to the repo.
settings.register_profile("d2lcore", derandomize=True, database=None, deadline=None, max_examples=150,
                          print_blob=True)
settings.load_profile("d2lcore")

import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item: the browser tests' fixtures take a screenshot
    only when the test itself failed."""
    outcome = yield
    rep = outcome.get_result()
    setattr(item, f"rep_{rep.when}", rep)


# --- the static site, built once for its unit and browser tests --------------------------------

import json  # noqa: E402
import pathlib  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402

import nbformat  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]
SCRATCH = "d2l_scratch_softmax_attempt_7f3a"


@pytest.fixture(scope="session")
def built_site(tmp_path_factory):
    """The site as `./course site` builds it, from a clone of this checkout in which a student has been
    at work: a scratch cell in lesson 04 and a new notebook, neither committed.

    (site folder, the build's stderr, the checkout it was built from). Shared by tests/test_site.py
    and tests/test_site_browser.py: one build (about 20 s) for both."""
    tmp = tmp_path_factory.mktemp("site")
    clone = tmp / "checkout"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True, capture_output=True)
    # the builder under test is this working tree's (so that the test means the same before a commit)
    for part in ("scripts", "site", "pyproject.toml"):
        src, dst = ROOT / part, clone / part
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(src, dst)
    lesson = clone / "notebooks" / "04_softmax_scratch.ipynb"
    nb = nbformat.read(lesson, as_version=4)
    cell = nbformat.v4.new_code_cell(f"def {SCRATCH}(X):\n    return X.exp() / X.exp().sum()")
    cell.outputs = [nbformat.v4.new_output("stream", text="✗ check_softmax failed\n")]
    nb.cells.insert(5, cell)
    nbformat.write(nb, lesson)
    (clone / "notebooks" / "Untitled.ipynb").write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4,
                                                                    "nbformat_minor": 5}))
    # a new lesson staged (git add) but not committed, with a space in its name: not in the last commit
    shutil.copy(clone / "notebooks" / "00_preliminaries.ipynb", clone / "notebooks" / "17_new lesson.ipynb")
    subprocess.run(["git", "add", "notebooks/17_new lesson.ipynb"], cwd=clone, check=True, capture_output=True)
    out = tmp / "out"
    run = subprocess.run([sys.executable, str(clone / "scripts" / "build_site.py"), str(out)],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return out, run.stderr, clone


# --- one class hub at a time -------------------------------------------------------------------

@pytest.fixture(scope="module")
def hub_lock():
    """Held while a module runs a class hub. `./course test` runs the unit tests (tests/test_class_hub.py)
    beside the browser tests (tests/test_browser.py's hub), and both set up D2L_HUB_DIR and make and
    remove the same load-test accounts: the second waits for the first."""
    import fcntl
    with open("/tmp/d2lcore-hub-tests.lock", "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        yield
        fcntl.flock(f, fcntl.LOCK_UN)


# (test_selfcheck.py, test_book.py)
@pytest.fixture
def ipython_shell(monkeypatch, tmp_path):
    """The process's IPython shell. Where no test has made one yet (matplotlib-inline's
    set_matplotlib_formats does), one for this test only: its profile in tmp_path, no history file,
    and everything it installs process-wide (the singleton, __main__, its atexit hook) undone after."""
    from traitlets.config import Config
    from IPython.core.interactiveshell import InteractiveShell
    import atexit
    import sys
    if InteractiveShell.initialized():
        yield InteractiveShell.instance()
        return
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path))
    monkeypatch.setitem(sys.modules, "__main__", sys.modules["__main__"])
    monkeypatch.setattr(sys, "displayhook", sys.displayhook)
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    config = Config()
    config.HistoryManager.enabled = False
    shell = InteractiveShell.instance(config=config)
    try:
        yield shell
    finally:
        atexit.unregister(shell.atexit_operations)
        InteractiveShell.clear_instance()
