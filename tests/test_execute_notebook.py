"""`./course execute`'s notebook runner: stored tracebacks name no machine's paths, a failed run
leaves the lesson as it was."""
import importlib.util
import pathlib
import re
import subprocess
import sys
import sysconfig

import nbformat
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("execute_notebook", ROOT / "scripts" / "execute_notebook.py")
execute_notebook = importlib.util.module_from_spec(spec)
spec.loader.exec_module(execute_notebook)
# the lessons and their worked solutions (which run cells with tracebacks too)
NOTEBOOKS = (sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
             + sorted((ROOT / "notebooks" / "solutions").glob("[0-9][0-9]_*.ipynb")))

# the author's machine: a home folder, or an absolute path to a site-packages or a checkout's folder
MACHINE_PATH = re.compile(r"(?:^|[\s'\"=(\[])(/(?:home|Users|root)/\S*|/\S*/(?:site-packages|d2lcore|notebooks)/)")


def _stored_text(nb):
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            texts = out.get("traceback", []) + [out.get("text", "")]
            texts += [v if isinstance(v, str) else "".join(v) for v in out.get("data", {}).values()
                      if isinstance(v, (str, list))]
            for text in texts:
                yield i, "".join(text)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_stored_output_shows_a_path_of_the_machine_that_ran_it(path):
    nb = nbformat.read(path, as_version=4)
    for i, text in _stored_text(nb):
        plain = re.sub(r"\x1b\[[0-9;]*m", "", text)
        assert str(ROOT) not in plain and str(ROOT.resolve()) not in plain, f"{path.name} cell {i}: {plain[:300]}"
        found = MACHINE_PATH.search(plain)
        assert not found, f"{path.name} cell {i} shows {found.group(1)!r}: re-run ./course execute {path.name}"


def test_tracebacks_are_rewritten_relative_to_the_checkout_and_site_packages():
    lib = sysconfig.get_paths()["purelib"]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x")])
    nb.cells[0].outputs = [nbformat.v4.new_output(
        "error", ename="TypeError", evalue="boom",
        traceback=[f"File \x1b[32m{ROOT}/d2lcore/linear_regression.py:48\x1b[39m, in sgd",
                   f"File \x1b[32m{lib}/torch/nn/modules/module.py:1787\x1b[39m",
                   f"File {pathlib.Path.home()}/elsewhere/x.py:1", "TypeError: boom"])]
    assert execute_notebook.scrub_tracebacks(nb) == 3
    assert nb.cells[0].outputs[0].traceback == [
        "File \x1b[32md2lcore/linear_regression.py:48\x1b[39m, in sgd",
        "File \x1b[32m…/site-packages/torch/nn/modules/module.py:1787\x1b[39m",
        "File ~/elsewhere/x.py:1", "TypeError: boom"]


def _notebook(tmp_path, *sources, raises=False):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    if raises:
        nb.cells[-1].metadata["tags"] = ["raises-exception"]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path / "lesson.ipynb"
    nbformat.write(nb, path)
    return path


def test_a_deliberate_error_is_stored_with_relative_paths(tmp_path):
    path = _notebook(tmp_path, "import torch\ntorch.nn.Linear(2, 1)(torch.zeros(3))", raises=True)
    execute_notebook.execute(path)
    (error,) = nbformat.read(path, as_version=4).cells[0].outputs
    assert error.ename == "RuntimeError"
    shown = "\n".join(error.traceback)
    assert "…/site-packages/torch/nn/modules/" in shown
    assert sysconfig.get_paths()["purelib"] not in shown


def test_a_site_packages_under_home_that_ipython_wrote_with_a_tilde_is_shortened_too(tmp_path, monkeypatch):
    # an environment in the home folder (~/.venv, most laptops; ./course test-versions' legs): IPython
    # writes its frames as ~/..., which the absolute prefix alone never matched (found on Python 3.13)
    lib = tmp_path / ".cache" / "venv" / "lib" / "python3.13" / "site-packages"
    monkeypatch.setattr(pathlib.Path, "home", classmethod(lambda cls: tmp_path))
    monkeypatch.setattr(execute_notebook.sysconfig, "get_paths", lambda: {"purelib": str(lib), "platlib": str(lib)})
    prefixes = execute_notebook._prefixes()
    frame = "File ~/.cache/venv/lib/python3.13/site-packages/torch/nn/modules/linear.py:134, in Linear.forward"
    assert execute_notebook.relative_paths(frame, prefixes) == \
        "File …/site-packages/torch/nn/modules/linear.py:134, in Linear.forward"
    assert execute_notebook.relative_paths(f"{tmp_path}/notes/x.py", prefixes) == "~/notes/x.py"


def test_a_run_that_fails_leaves_the_lesson_as_it_was(tmp_path):
    path = _notebook(tmp_path, "print('ran')", "1 / 0")
    before = path.read_bytes()
    with pytest.raises(Exception, match="ZeroDivisionError"):
        execute_notebook.execute(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["lesson.ipynb"]  # no temporary file left behind


def test_a_lesson_saved_while_it_runs_keeps_the_saved_version(tmp_path):
    # #28: JupyterLab saving the lesson during a run lost those edits when the run replaced the file
    path = _notebook(tmp_path, "import nbformat\n"
                               "nb = nbformat.read('lesson.ipynb', as_version=4)\n"
                               "nb.cells.append(nbformat.v4.new_markdown_cell('a note saved meanwhile'))\n"
                               "nbformat.write(nb, 'lesson.ipynb')")
    with pytest.raises(RuntimeError, match="saved by someone else while it ran"):
        execute_notebook.execute(path)
    saved = nbformat.read(path, as_version=4)
    assert saved.cells[-1].source == "a note saved meanwhile" and not saved.cells[0].outputs
    assert [p.name for p in tmp_path.iterdir()] == ["lesson.ipynb"]


def test_a_full_disk_says_so_in_one_line_and_leaves_the_lesson(tmp_path):
    path = _notebook(tmp_path, "print('ran')")
    before = path.read_bytes()
    script = ROOT / "scripts" / "execute_notebook.py"
    run = subprocess.run([sys.executable, "-c", f"""
import errno, sys, nbformat
def full(*a, **k):
    raise OSError(errno.ENOSPC, "No space left on device")
nbformat.write = full
sys.argv = ["execute_notebook.py", {str(path)!r}]
exec(compile(open({str(script)!r}).read(), {str(script)!r}, "exec"), {{"__name__": "__main__", "__file__": {str(script)!r}}})
"""], capture_output=True, text=True, timeout=120)
    assert run.returncode == 1
    assert run.stderr.splitlines()[-1] == (f"[course] error: could not store {path} (No space left on device); "
                                           f"it is left as it was")
    assert path.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["lesson.ipynb"]


def test_each_notebook_is_stored_with_its_slide_rules_applied_even_when_a_later_one_fails(tmp_path):
    # the slide rules ran after every notebook had executed: a later failure left the earlier ones stored
    # with slide breaks made for their old outputs, and a rerun of the fixed notebook alone never mended them
    slides = importlib.util.module_from_spec(spec := importlib.util.spec_from_file_location(
        "slides", ROOT / "scripts" / "slides.py"))
    spec.loader.exec_module(slides)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = _notebook(tmp_path / "a", "import torch", "print('\\n'.join(map(str, range(40))))", "1 + 1")
    fails = _notebook(tmp_path / "b", "raise ValueError('a later lesson fails')")
    assert slides.apply(first, check=True)  # out of date before the run
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "execute_notebook.py"), str(first), str(fails)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode != 0 and "a later lesson fails" in run.stderr
    assert nbformat.read(first, as_version=4).cells[1].outputs  # the first was executed and stored...
    assert not slides.apply(first, check=True)  # ...with its slide metadata made for those outputs


def test_a_mistyped_path_is_named_as_missing_not_as_unstored(tmp_path):
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "execute_notebook.py"), str(tmp_path / "01_typo.ipynb")],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode != 0 and "there is no notebook" in run.stderr and "could not store" not in run.stderr
    assert list(tmp_path.iterdir()) == []
