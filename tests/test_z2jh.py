"""Beyond one server, on paper: the Zero to JupyterHub values and the repo2docker image definition.

No cluster or image builder runs here; what can be checked is: the values validate against the
chart's own values schema (hub/z2jh/values.schema.json, as the chart ships it), a mistyped key
does not, and the values make the same choices as ./course hub (hub/jupyterhub_config.py); and
binder/postBuild runs, its pip only logging, into a prefix of the test's own.
"""
import json
import pathlib
import re

import jsonschema
import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
SCHEMA = json.loads((ROOT / "hub" / "z2jh" / "values.schema.json").read_text())
VALUES = yaml.safe_load((ROOT / "hub" / "z2jh" / "values.yaml").read_text())
DEFAULTS = yaml.safe_load((ROOT / "hub" / "z2jh" / "chart-default-values.yaml").read_text())


def merged(defaults, values):
    """Values over the chart's defaults, as Helm merges them (maps key by key, the rest replaced)."""
    if isinstance(defaults, dict) and isinstance(values, dict):
        return {k: merged(defaults[k], values[k]) if k in defaults and k in values else values.get(k, defaults.get(k))
                for k in {**defaults, **values}}
    return values
CONFIG = (ROOT / "hub" / "jupyterhub_config.py").read_text()


def errors(values):
    """What the chart's schema finds wrong with `values` merged over its defaults (Helm's check)."""
    validator = jsonschema.validators.validator_for(SCHEMA)(SCHEMA)
    return [f"{'.'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(merged(DEFAULTS, values))]


def test_the_values_validate_against_the_charts_schema():
    assert errors({}) == []  # the chart's own defaults pass: the check itself works
    assert errors(VALUES) == []


@pytest.mark.parametrize("path, value", [(("singleuser", "memory", "limt"), "3G"),  # a typo
                                          (("cull", "timeout"), "an hour")])  # a wrong type
def test_a_mistake_in_the_values_is_caught_by_the_schema(path, value):
    values = json.loads(json.dumps(VALUES))
    node = values
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    assert errors(values), f"the schema let {'.'.join(path)} = {value!r} through"


def test_the_values_make_the_class_hubs_choices():
    hub, user = VALUES["hub"]["config"], VALUES["singleuser"]
    assert f'c.JupyterHub.authenticator_class = "{hub["JupyterHub"]["authenticator_class"]}"' in CONFIG
    assert f'c.Authenticator.username_pattern = r"{hub["Authenticator"]["username_pattern"]}"' in CONFIG
    assert hub["NativeAuthenticator"]["open_signup"] is False and "open_signup = False" in CONFIG
    assert user["defaultUrl"] == re.search(r'c.Spawner.default_url = "([^"]+)"', CONFIG)[1]
    assert user["memory"]["limit"] == "3G" and 'D2L_HUB_MEM_LIMIT_GB", "3"' in CONFIG
    assert user["extraEnv"]["OMP_NUM_THREADS"] == "1" and 'D2L_HUB_THREADS", "1"' in CONFIG
    assert VALUES["cull"]["timeout"] == 3600 and "D2L_HUB_CULL_TIMEOUT', '3600'" in CONFIG
    assert {m["mountPath"] for m in user["storage"]["extraVolumeMounts"]} == {"/dev/shm"}
    # a student's home: a 2 GB volume there, a 2 GB quota on one server
    assert user["storage"]["capacity"] == "2Gi" and 'D2L_HUB_DISK_QUOTA_GB", "2"' in CONFIG
    assert user["lifecycleHooks"]["postStart"]["exec"]["command"][0] == "gitpuller"


def test_the_image_runs_the_charts_jupyterhub_and_the_course_pins():
    chart_hub = re.search(r"appVersion (\d+\.\d+\.\d+)", (ROOT / "hub" / "z2jh" / "values.yaml").read_text())[1]
    image = (ROOT / "hub" / "image-requirements.txt").read_text()
    assert f"jupyterhub=={chart_hub}\n" in image  # a student's server speaks the hub's version
    binder = (ROOT / "binder" / "requirements.txt").read_text()
    for ref in re.findall(r"^-[rc] (\S+)", binder, re.M):
        assert (ROOT / "binder" / ref).resolve().is_file(), ref  # pip reads them relative to this file
    post = (ROOT / "binder" / "postBuild").read_text()
    assert "ensure_fashion_mnist" in post and "-c constraints.txt \".[lab,onnx]\"" in post
    assert 'D2L_DATA_DIR="${NB_PYTHON_PREFIX}/share/d2lcore-data"' in (ROOT / "binder" / "start").read_text()


@pytest.mark.skipif(not pathlib.Path("/usr/share/datasets/fashion-mnist").is_dir(),
                    reason="copies Fashion-MNIST from Debian's dataset-fashion-mnist (no network here)")
def test_the_images_build_script_puts_the_lab_defaults_and_the_data_into_the_images_python(tmp_path):
    # repo2docker runs binder/postBuild in the checkout with the image's python and pip on the PATH;
    # here pip only logs (the course's packages are this environment's), the rest runs for real
    import os
    import subprocess
    import sys
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    (bin_ / "pip").write_text(f'#!/bin/sh\necho "$*" >> {tmp_path / "pip.log"}\n')
    (bin_ / "pip").chmod(0o755)
    (bin_ / "python").write_text(f'#!/bin/sh\nexec {sys.executable} "$@"\n')  # (a link would lose the venv)
    (bin_ / "python").chmod(0o755)
    prefix = tmp_path / "srv" / "conda" / "envs" / "notebook"
    env = dict(os.environ, PATH=f"{bin_}:{os.environ['PATH']}", NB_PYTHON_PREFIX=str(prefix))
    run = subprocess.run(["bash", str(ROOT / "binder" / "postBuild")], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    assert (tmp_path / "pip.log").read_text() == "install --no-cache-dir -c constraints.txt .[lab,onnx]\n"
    jupyter = prefix / "share" / "jupyter"
    assert (jupyter / "labextensions" / "@d2lcore" / "rise-widgets" / "package.json").is_file()
    tracker = json.loads((jupyter / "lab" / "settings" / "overrides.d" / "d2lcore.json").read_text())["@jupyterlab/notebook-extension:tracker"]
    assert tracker["kernelShutdown"] is True and tracker["autoStartDefaultKernel"] is True
    data = prefix / "share" / "d2lcore-data"
    raw = {p.name: p.stat().st_size for p in (data / "FashionMNIST" / "raw").iterdir()}
    assert raw == {"train-images-idx3-ubyte": 47040016, "train-labels-idx1-ubyte": 60008,  # the official sizes
                   "t10k-images-idx3-ubyte": 7840016, "t10k-labels-idx1-ubyte": 10008}, raw
    assert not any(p.stat().st_mode & 0o222 for p in data.rglob("*"))  # one read-only copy for every student
