"""`./course test-versions`: the course on the Python and library versions students have, measured.

    ./course test-versions                  # every leg below
    ./course test-versions py3.13-newest    # one or more legs by name
    ./course test-versions --quick LEG      # the unit tests and two lessons only (CI's smoke test)

Legs (each a virtual environment of its own, kept in ~/.cache/d2lcore/versions/LEG and rebuilt
when pyproject.toml changes):
  py3.11-newest, py3.12-newest, py3.13-newest
      that Python with the newest packages pip resolves today (no constraints.txt);
  py3.11-oldest
      the oldest versions pyproject.toml allows of torch, torchvision, numpy, matplotlib, ipywidgets,
      jupyterlab and jupyterlab-rise (OLDEST below: the lower bounds), the rest newest.
In each: every lesson and every notebook of worked solutions in nbval's lax mode (every cell runs
and every assert must hold; the stored outputs, the reference machine's, are not compared) and the
unit tests (not the browser, class-hub and grading tests: those test the server's own environment).
It prints a table (docs/versions.md, "The last full run", records one) and writes versions.json.
"""
import argparse
import hashlib
import json
import os
import pathlib
import shutil
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
CACHE = pathlib.Path(os.environ.get("D2L_VERSIONS_DIR", pathlib.Path.home() / ".cache" / "d2lcore" / "versions"))
# the lower bounds of pyproject.toml, pinned: tests/test_versions.py checks the two agree
OLDEST = {"torch": "2.6.0", "torchvision": "0.21.0", "numpy": "1.24.0", "matplotlib": "3.9.0",
          "ipywidgets": "8.0.0", "jupyterlab": "4.4.0", "jupyterlab-rise": "0.43.1"}
LEGS = {"py3.11-newest": ("3.11", {}), "py3.12-newest": ("3.12", {}), "py3.13-newest": ("3.13", {}),
        "py3.11-oldest": ("3.11", OLDEST)}
SHOWN = ("torch", "torchvision", "numpy", "matplotlib", "jupyterlab", "ipywidgets")
NOT_HERE = ["--ignore=tests/test_browser.py", "--ignore=tests/test_site_browser.py", "--ignore=tests/test_class_hub.py",
            "--ignore=tests/test_grading.py", "--ignore=tests/test_assignments.py",
            # the smoke tests of the other heavy commands, which build environments of their own
            "--deselect=tests/test_versions.py::test_the_newest_python_leg_runs_two_lessons_and_the_core_unit_tests",
            "--deselect=tests/test_hosted.py::test_the_fashion_mnist_lesson_runs_in_a_bare_hosted_environment_offline"]


def python_for(version):
    """An interpreter of that minor version: pyenv's, or pythonX.Y on PATH."""
    found = sorted((pathlib.Path.home() / ".pyenv" / "versions").glob(f"{version}.*/bin/python"))
    if found:
        return str(found[-1])
    exe = shutil.which(f"python{version}")
    if exe:
        return exe
    raise SystemExit(f"no Python {version} here: install it (pyenv install {version}) or put python{version} on PATH")


def fingerprint(pins):
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + json.dumps(pins, sort_keys=True).encode()).hexdigest()[:16]


def environment(leg, log):
    """The leg's virtual environment, built if missing or stale. Returns its python."""
    version, pins = LEGS[leg]
    venv = CACHE / leg
    stamp = venv / ".d2lcore-versions"
    py = venv / "bin" / "python"
    if stamp.exists() and stamp.read_text() == fingerprint(pins) and py.exists():
        # the environment is kept, the course's package is this checkout's, every time
        cmd = [str(py), "-m", "pip", "install", "--quiet", "--no-deps", "--force-reinstall", str(ROOT)]
        with open(log, "a") as out:
            if subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT).returncode:
                raise RuntimeError(f"{leg}: pip could not install this checkout's d2lcore (see {log})")
        return py
    if venv.exists():
        shutil.rmtree(venv)
    venv.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([python_for(version), "-m", "venv", str(venv)], check=True)
    constraints = venv / "oldest.txt"
    constraints.write_text("".join(f"{name}=={v}\n" for name, v in pins.items()))
    # not editable: the leg tests the package as pip installs it (a wheel built from this checkout)
    cmd = [str(py), "-m", "pip", "install", "--quiet", "-c", str(constraints), f"{ROOT}[lab,onnx,test,site]"]
    with open(log, "a") as out:
        out.write(f"$ {' '.join(cmd)}\n")
        out.flush()
        run = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT)
    if run.returncode:
        raise RuntimeError(f"{leg}: pip could not install the course with {pins or 'the newest packages'} (see {log})")
    stamp.write_text(fingerprint(pins))
    return py


def versions_in(py):
    code = ("import importlib.metadata as m, platform, json; print(json.dumps(dict(python=platform.python_version(), "
            + ", ".join(f"{name.replace('-', '_')}=m.version({name!r})" for name in SHOWN) + ")))")
    return json.loads(subprocess.run([str(py), "-c", code], capture_output=True, text=True, check=True).stdout)


def outcome(text):
    """pytest's last line: 'N passed, M failed, ...' -> dict."""
    last = [line for line in text.splitlines() if " in " in line and ("passed" in line or "failed" in line or "error" in line)]
    counts = {}
    for part in (last[-1].strip("= ").split(" in ")[0].split(", ") if last else []):
        n, _, what = part.partition(" ")
        if n.isdigit():
            counts[what.rstrip("s") if what.endswith("s") and what != "passed" else what] = int(n)
    return counts


def run_leg(leg, out, quick):
    log = out / f"{leg}.log"
    log.write_text("")
    start = time.monotonic()
    py = environment(leg, log)
    built = time.monotonic() - start
    env = dict(os.environ, PYTHONHASHSEED="0", D2L_HEADLESS="1", CUDA_VISIBLE_DEVICES="", OMP_NUM_THREADS="1",
               MKL_NUM_THREADS="1", PYDEVD_DISABLE_FILE_VALIDATION="1", D2L_BROWSER="0")
    env.pop("VIRTUAL_ENV", None)
    notebooks = (["notebooks/01_linear_regression_scratch.ipynb", "notebooks/04_softmax_scratch.ipynb"] if quick
                 else ["notebooks"])
    units = ["tests/test_linreg.py", "tests/test_losses.py", "tests/test_softmax.py", "tests/test_selfcheck.py"] if quick \
        else ["tests"]
    # the two streams side by side, one thread each (as ./course test does)
    nb = subprocess.Popen([str(py), "-m", "pytest", "--nbval-lax", "--nbval-current-env", "-q", "-p", "no:cacheprovider",
                           *notebooks], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    unit = subprocess.run([str(py), "-m", "pytest", "-q", "-p", "no:cacheprovider", *units, *NOT_HERE], cwd=ROOT,
                          env=env, capture_output=True, text=True)
    nb_out, _ = nb.communicate()
    with open(log, "a") as f:
        f.write(f"\n## notebooks (lax)\n{nb_out}\n## unit tests\n{unit.stdout}{unit.stderr}\n")
    result = dict(leg=leg, **versions_in(py), notebooks=outcome(nb_out), notebooks_rc=nb.returncode,
                  units=outcome(unit.stdout), units_rc=unit.returncode, build_s=round(built),
                  test_s=round(time.monotonic() - start - built), quick=quick)
    result["passed"] = nb.returncode == 0 and unit.returncode == 0
    return result


def table(results):
    lines = ["| leg | Python | torch | torchvision | numpy | matplotlib | jupyterlab | ipywidgets | notebooks (lax) | unit tests | result |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        def counts(c):
            return ", ".join(f"{n} {k}" for k, n in c.items()) or "none ran"
        lines.append(f"| {r['leg']} | {r['python']} | {r['torch']} | {r['torchvision']} | {r['numpy']} | {r['matplotlib']} "
                     f"| {r['jupyterlab']} | {r['ipywidgets']} | {counts(r['notebooks'])} | {counts(r['units'])} "
                     f"| {'passed' if r['passed'] else 'FAILED'} |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("legs", nargs="*", choices=[[]] + list(LEGS), default=[], metavar="LEG",
                        help=f"which legs (default all): {', '.join(LEGS)}")
    parser.add_argument("--quick", action="store_true", help="two lessons and four unit-test files only (CI's smoke test)")
    parser.add_argument("--out", type=pathlib.Path, default=ROOT / "_versions", help="logs and versions.json (default _versions/)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    results = []
    for leg in args.legs or list(LEGS):
        print(f"== {leg}", flush=True)
        try:
            r = run_leg(leg, args.out, args.quick)
        except RuntimeError as e:
            r = dict(leg=leg, python=LEGS[leg][0], **{k: "-" for k in SHOWN}, notebooks={}, units={}, passed=False,
                     error=str(e))
        results.append(r)
        print(table([r]).splitlines()[-1], flush=True)
    (args.out / "versions.json").write_text(json.dumps(results, indent=1))
    print("\n" + table(results))
    print(f"\nlogs: {args.out}/LEG.log")
    sys.exit(0 if all(r["passed"] for r in results) else 1)


if __name__ == "__main__":
    main()
