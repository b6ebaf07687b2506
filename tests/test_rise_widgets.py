"""extensions/rise-widgets: the prebuilt JupyterLab extension that lets widgets render in RISE.

The browser test (tests/test_browser.py) shows sliders rendering and redrawing in a slideshow;
these check, without a browser, what that rests on.
"""
import filecmp
import json
import os
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
EXT = ROOT / "extensions" / "rise-widgets"
BUILT = EXT / "labextension"


def _remote_entry():
    build = json.loads((BUILT / "package.json").read_text())["jupyterlab"]["_build"]
    return (BUILT / build["load"]).read_text()


def test_the_built_extension_offers_the_console_module_to_the_shared_scope():
    # webpack registers a bundled shared module by name and version; without it RISE's app
    # has no @jupyterlab/console and the widget manager does not load
    provided = re.findall(r'name:"(@jupyterlab/console)",version:"([0-9.]+)"', _remote_entry())
    assert len(provided) == 1, provided


def test_the_bundled_console_matches_the_version_of_rise_apps_own_packages():
    # RISE's app ships @jupyterlab/* of one release; a console of another could expect APIs
    # its cells or notebook lack. JupyterLab itself must keep its own console: ours is older.
    rise = pytest.importorskip("jupyterlab_rise", reason="jupyterlab-rise is not installed")
    import jupyterlab
    bundle = (pathlib.Path(rise.__file__).parent / "static" / "bundle.js").read_text(errors="replace")
    notebook = re.search(r'"@jupyterlab/notebook","([0-9.]+)"', bundle)
    assert notebook, "RISE's app no longer names its @jupyterlab/notebook version where expected"
    (_, ours), = re.findall(r'name:"(@jupyterlab/console)",version:"([0-9.]+)"', _remote_entry())
    assert ours == notebook.group(1), (ours, notebook.group(1))
    as_tuple = lambda v: tuple(int(x) for x in v.split(".")[:3])
    assert as_tuple(ours) < as_tuple(jupyterlab.__version__), (ours, jupyterlab.__version__)


def test_the_source_pins_what_was_built():
    pkg = json.loads((EXT / "package.json").read_text())
    lock = json.loads((EXT / "package-lock.json").read_text())
    shared = pkg["jupyterlab"]["sharedPackages"]["@jupyterlab/console"]
    assert shared["bundled"] is True and shared["singleton"] is True
    (_, built), = re.findall(r'name:"(@jupyterlab/console)",version:"([0-9.]+)"', _remote_entry())
    assert lock["packages"]["node_modules/@jupyterlab/console"]["version"] == built


@pytest.mark.skipif(not os.environ.get("D2L_VENV"), reason="runs in the course's environment (./course test)")
def test_course_installs_the_extension_where_jupyterlab_finds_it():
    installed = pathlib.Path(os.environ["D2L_VENV"]) / "share" / "jupyter" / "labextensions" / "@d2lcore" / "rise-widgets"
    cmp = filecmp.dircmp(BUILT, installed)
    assert installed.is_dir() and not cmp.diff_files and not cmp.left_only, (cmp.diff_files, cmp.left_only)
    assert not filecmp.dircmp(BUILT / "static", installed / "static").diff_files


def test_the_built_extension_carries_the_style_sheet_as_written():
    # edited in style/index.css but not rebuilt, the lab would still cut printed lines mid-word
    pkg = json.loads((BUILT / "package.json").read_text())
    assert pkg["style"] == "style/index.css" and pkg["jupyterlab"]["_build"]["style"] == "./style"
    source = (EXT / "style" / "index.css").read_text()
    assert "word-break: normal" in source
    chunks = [p.read_text() for p in (BUILT / "static").glob("*.js")]
    assert sum(source in chunk for chunk in chunks) == 1
