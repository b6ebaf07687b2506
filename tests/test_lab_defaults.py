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


def _settings(prefix):
    return prefix / "share" / "jupyter" / "lab" / "settings"


def _overrides(prefix):
    return _settings(prefix) / "overrides.d" / "d2lcore.json"


def _in_effect(prefix):
    """The defaults JupyterLab's settings service (jupyterlab_server) applies in that environment."""
    from jupyterlab_server.settings_utils import _get_overrides
    overrides, error = _get_overrides(str(_settings(prefix)))
    return overrides.get("@jupyterlab/notebook-extension:tracker", {}), error


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


def test_jupyterlab_applies_them_and_an_owners_overrides_json_is_left_alone_and_wins(tmp_path):
    assert lab_defaults.install(tmp_path)
    assert _in_effect(tmp_path) == ({"autoStartDefaultKernel": True, "kernelShutdown": True}, "")
    owners = _settings(tmp_path) / "overrides.json"
    text = '{"@jupyterlab/notebook-extension:tracker": {"kernelShutdown": false}}'
    owners.write_text(text)
    assert lab_defaults.install(tmp_path) == (False, False)
    assert owners.read_text() == text
    assert _in_effect(tmp_path) == ({"autoStartDefaultKernel": True, "kernelShutdown": False}, "")


def test_a_link_in_the_extensions_place_is_replaced_by_a_copy_even_a_broken_one(tmp_path):
    place = _extension(tmp_path)
    place.parent.mkdir(parents=True)
    place.symlink_to(lab_defaults.EXTENSION)  # a link to the checkout (as `labextension develop` makes)
    assert lab_defaults.install_extension(tmp_path)
    assert not place.is_symlink() and (place / "package.json").is_file()
    assert lab_defaults.EXTENSION.is_dir()  # the link's target is untouched
    place.rename(tmp_path / "moved")
    place.symlink_to(tmp_path / "gone")  # a link to a checkout moved since
    assert lab_defaults.install_extension(tmp_path)
    assert not place.is_symlink() and (place / "package.json").is_file()
    (place.parent / ".rise-widgets.abcd1234" / "old").mkdir(parents=True)  # a run killed mid-swap left it
    place.joinpath("package.json").write_text("{}")
    assert lab_defaults.install_extension(tmp_path)
    assert [p.name for p in place.parent.iterdir()] == ["rise-widgets"]
