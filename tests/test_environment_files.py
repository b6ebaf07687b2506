"""pyproject.toml (pip) and environment.yml (conda) must ask for the same packages."""
import pathlib
import re
import tomllib

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
# conda-forge names that differ from PyPI's
CONDA_TO_PYPI = {"pytorch": "torch"}
# conda-only plumbing, not dependencies of the course
CONDA_ONLY = {"python", "pip"}


def _split(spec):
    """'torch>=2.2' -> ('torch', '>=2.2'); names normalised as PyPI does."""
    m = re.match(r"\s*([A-Za-z0-9_.\-]+)\s*(.*)", spec)
    return re.sub(r"[-_.]+", "-", m.group(1)).lower(), m.group(2).replace(" ", "")


def pip_requirements():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    specs = project["dependencies"] + [s for extra in project["optional-dependencies"].values() for s in extra]
    return dict(_split(s) for s in specs)


def conda_requirements():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    reqs = {}
    for dep in env["dependencies"]:
        # conda packages, and PyPI packages in the pip: section (d2lcore itself excepted)
        for spec in [dep] if isinstance(dep, str) else dep.get("pip", []):
            if spec.startswith("-"):
                continue
            name, ver = _split(spec.split("#")[0])
            if name not in CONDA_ONLY:
                reqs[CONDA_TO_PYPI.get(name, name)] = ver
    return reqs


def test_both_files_list_the_same_packages():
    pip, conda = pip_requirements(), conda_requirements()
    assert sorted(pip) == sorted(conda), (
        f"only in pyproject.toml: {sorted(set(pip) - set(conda))}; "
        f"only in environment.yml: {sorted(set(conda) - set(pip))}")


def test_both_files_ask_for_the_same_minimum_versions():
    pip, conda = pip_requirements(), conda_requirements()
    assert {k: pip[k] for k in conda} == conda


def test_the_course_packages_are_all_there():
    needed = {"torch", "torchvision", "jupyterlab", "matplotlib", "nbval", "ipywidgets", "pytest",
              "onnx", "onnxruntime", "netron"}
    assert needed <= set(pip_requirements())


def test_conda_env_installs_d2lcore_itself_and_a_new_enough_python():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "--editable ." in pip_section
    assert "python>=3.11" in env["dependencies"]
