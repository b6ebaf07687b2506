"""scripts/lab_defaults.py: what every JupyterLab of the course gets (./course lab, the class hub, the
class's image). Chromium checks what a person sees (tests/test_browser.py, in ./course lab and on the
hub); these check the files it writes into an environment."""
import json
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import lab_defaults  # noqa: E402


def _extension(prefix):
    return prefix / "share" / "jupyter" / "labextensions" / "@d2lcore" / "rise-widgets"


def _overrides(prefix):
    return prefix / "share" / "jupyter" / "lab" / "settings" / "overrides.json"


def test_a_new_environment_gets_the_slideshow_extension_and_the_kernel_defaults(tmp_path):
    subprocess.run([sys.executable, str(ROOT / "scripts" / "lab_defaults.py"), str(tmp_path)], check=True)
    built = lab_defaults.EXTENSION
    copied = _extension(tmp_path)
    names = sorted(p.relative_to(built) for p in built.rglob("*") if p.is_file())
    assert names and names == sorted(p.relative_to(copied) for p in copied.rglob("*") if p.is_file())
    assert all((built / n).read_bytes() == (copied / n).read_bytes() for n in names)
    assert not copied.is_symlink()  # the environment must not depend on where the checkout is
    tracker = json.loads(_overrides(tmp_path).read_text())["@jupyterlab/notebook-extension:tracker"]
    assert tracker == {"autoStartDefaultKernel": True, "kernelShutdown": True}
    assert _overrides(tmp_path).stat().st_mode & 0o777 == 0o644  # the hub's students read it too


def test_running_it_again_changes_nothing(tmp_path):
    assert lab_defaults.install(tmp_path) == (True, True)
    stamp = _overrides(tmp_path).stat().st_mtime_ns
    assert lab_defaults.install(tmp_path) == (False, False)
    assert _overrides(tmp_path).stat().st_mtime_ns == stamp


def test_an_older_copy_of_the_extension_is_replaced_whole(tmp_path):
    old = _extension(tmp_path)
    (old / "static").mkdir(parents=True)
    (old / "static" / "remoteEntry.0000.js").write_text("an older build")
    (old / "package.json").write_text("{}")
    assert lab_defaults.install_extension(tmp_path)
    assert not (old / "static" / "remoteEntry.0000.js").exists()  # two remote entries would both load
    assert (old / "package.json").read_bytes() == (lab_defaults.EXTENSION / "package.json").read_bytes()
    assert [p.name for p in old.parent.iterdir()] == ["rise-widgets"]  # no staging folder left behind


def test_defaults_another_tool_set_are_kept_and_ours_merged_in(tmp_path):
    path = _overrides(tmp_path)
    path.parent.mkdir(parents=True)
    theirs = {"@jupyterlab/apputils-extension:themes": {"theme": "JupyterLab Dark"},
              "@jupyterlab/notebook-extension:tracker": {"kernelShutdown": False, "recordTiming": True}}
    path.write_text(json.dumps(theirs))
    assert lab_defaults.install_overrides(tmp_path)
    merged = json.loads(path.read_text())
    assert merged["@jupyterlab/apputils-extension:themes"] == {"theme": "JupyterLab Dark"}
    assert merged["@jupyterlab/notebook-extension:tracker"] == {
        "kernelShutdown": True, "recordTiming": True, "autoStartDefaultKernel": True}


def test_an_overrides_file_that_is_not_json_is_reported_and_left_as_it_was(tmp_path):
    path = _overrides(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_text('{"@jupyterlab/notebook-extension:tracker": {')
    with pytest.raises(SystemExit, match="is not JSON"):
        lab_defaults.install_overrides(tmp_path)
    assert path.read_text() == '{"@jupyterlab/notebook-extension:tracker": {'
