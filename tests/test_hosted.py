"""The lessons on a hosted notebook: each first cell installs d2lcore where it is missing, the
"Open in Colab" links, and (CI's smoke test of ./course test-hosted) a lesson run in a bare
environment, offline, that way."""
import json
import pathlib
import subprocess
import sys
import tomllib

import nbformat
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import hosted  # noqa: E402

VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def first_code(path):
    return next(c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")


def test_every_lesson_and_its_link_say_what_pyproject_says():
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "hosted.py"), "--check"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr


def test_every_notebook_installs_the_release_of_its_own_version():
    repository, ref = hosted.settings()
    assert ref == f"v{VERSION}"
    for path in hosted.notebooks():
        cell = first_code(path)  # the first code cell a student runs, before the set-up cell
        assert cell.metadata["tags"] == [hosted.TAG] and cell.source.startswith(hosted.FIRST_LINE), path.name
        assert f"@ git+{repository}@v{VERSION}\"" in cell.source, path.name


def test_the_onnx_lesson_and_its_solutions_ask_for_the_onnx_extra_and_no_other_does():
    needs = {p.name for p in hosted.notebooks() if hosted.extras_for(p)}
    assert needs == {"15_quantization_onnx.ipynb", "15_quantization_onnx_solutions.ipynb"}
    assert '"d2lcore[onnx] @ git+' in first_code(ROOT / "notebooks" / "15_quantization_onnx.ipynb").source


def test_the_install_cell_goes_before_the_set_up_cell_once_and_is_updated_in_place():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Title"),
                                         nbformat.v4.new_code_cell("import d2lcore as d2l"),
                                         nbformat.v4.new_code_cell("d2l.set_seed(0)")])
    old = hosted.install_source([], "https://github.com/a/b", "v1.0.0")
    new = hosted.install_source(["onnx"], "https://github.com/me/course", "v2.0.0")
    assert hosted.with_install_cell(nb, old) and hosted.with_install_cell(nb, new)
    assert not hosted.with_install_cell(nb, new)  # nothing left to change
    assert [c.source for c in nb.cells] == ["# Title", new, "import d2lcore as d2l", "d2l.set_seed(0)"]
    assert "git+https://github.com/me/course@v2.0.0" in new and nb.cells[1].metadata["tags"] == [hosted.TAG]


def run_block(block, monkeypatch, importable):
    """Run the cell's block as a kernel would; returns the commands it gave subprocess.run."""
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda cmd, **kw: calls.append((cmd, kw)))
    if not importable:
        # as on a service without the course: importing d2lcore fails
        monkeypatch.setitem(sys.modules, "d2lcore", None)
    exec(compile(block, "<first cell>", "exec"), {})
    return calls


def test_the_block_installs_nothing_where_d2lcore_is_there(monkeypatch):
    block = hosted.install_source([], "https://github.com/a/b", "v1.0.0")
    assert run_block(block, monkeypatch, importable=True) == []


def test_the_block_pip_installs_the_tagged_release_into_the_kernels_python_where_it_is_missing(monkeypatch):
    block = hosted.install_source([], "https://github.com/a/b", "v1.0.0")
    [(cmd, kw)] = run_block(block, monkeypatch, importable=False)
    assert cmd == [sys.executable, "-m", "pip", "install", "--quiet", "d2lcore @ git+https://github.com/a/b@v1.0.0"]
    assert kw == {"check": True}  # a failed install stops the lesson at its first cell


def test_a_folder_named_d2lcore_beside_the_notebook_is_not_taken_for_the_package(tmp_path):
    # on Colab, `git clone .../d2lcore` in /content (as the solutions suggest) leaves a folder d2lcore
    # there, which imports as an empty namespace package: the block must still install the package
    (tmp_path / "d2lcore" / "notebooks").mkdir(parents=True)
    block = hosted.install_source([], "https://github.com/a/b", "v1.0.0")
    probe = ("import subprocess, sys\n"
             "calls = []\n"
             "subprocess.run = lambda cmd, **kw: calls.append(cmd)\n"
             f"exec({block!r})\n"
             "print(len(calls), 'd2lcore' in sys.modules)\n")
    # -S: no site-packages, so only the folder can be found; -c puts the current folder first, as a kernel does
    run = subprocess.run([sys.executable, "-S", "-c", probe], cwd=tmp_path, capture_output=True, text=True)
    assert run.stdout.split() == ["1", "False"], (run.stdout, run.stderr)


def test_colab_opens_the_lesson_as_stored_at_the_release_tag():
    url = hosted.colab_url(ROOT / "notebooks" / "04_softmax_scratch.ipynb", "https://github.com/me/course", "v0.3.0")
    assert url == "https://colab.research.google.com/github/me/course/blob/v0.3.0/notebooks/04_softmax_scratch.ipynb"
    readme = (ROOT / "README.md").read_text()
    lessons = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    for name in lessons:
        assert f"[Open in Colab]({hosted.colab_url(ROOT / 'notebooks' / name, *hosted.settings())})" in readme, name


def test_a_repository_colab_cannot_open_is_refused(tmp_path, monkeypatch):
    fake = tmp_path / "pyproject.toml"
    fake.write_text('[project]\nversion = "1.0"\n[tool.d2lcore.hosted]\nrepository = "https://gitlab.com/me/course"\n')
    monkeypatch.setattr(hosted, "ROOT", tmp_path)
    with pytest.raises(SystemExit, match="github.com/OWNER/REPO"):
        hosted.settings()
    fake.write_text(fake.read_text().replace("https://gitlab.com/me/course", "https://github.com/me/course.git"))
    with pytest.raises(SystemExit, match="github.com/OWNER/REPO"):  # Colab's link would not open
        hosted.settings()


def test_the_fashion_mnist_lesson_runs_in_a_bare_hosted_environment_offline(tmp_path):
    # CI's smoke test of ./course test-hosted: lesson 03 from a bare Python 3.12 environment (torch,
    # numpy, ... but no d2lcore), its first cell installing d2lcore from a local tagged repository and
    # local wheels, the data downloaded from a loopback mirror; the environment is kept (~3 min to build)
    import hosted_test
    from version_matrix import python_for
    try:
        python_for("3.12")
    except SystemExit as e:
        pytest.skip(str(e))
    if not (hosted_test.ARCHIVES / "train-images-idx3-ubyte.gz").exists():
        pytest.skip(f"no Fashion-MNIST archives for the loopback mirror at {hosted_test.ARCHIVES}")
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "hosted_test.py"), "--quick", "--out", str(tmp_path)],
                         capture_output=True, text=True, timeout=1500)
    log = (tmp_path / "hosted.log").read_text() if (tmp_path / "hosted.log").exists() else ""
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:] + log[-4000:]
    summary = json.loads((tmp_path / "hosted.json").read_text())
    [result] = summary["results"]
    assert result["passed"] and "d2lcore" in result["installed"] and not result["changed"]
    assert summary["python"].startswith("3.12.") and "passed" in result["summary"]
