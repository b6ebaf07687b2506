"""Every lesson as a hosted notebook (Colab, Kaggle) runs it: offline, from a bare environment.

    ./course test-hosted                  every lesson and notebook of worked solutions (~15 minutes)
    ./course test-hosted --quick          lesson 03 only (CI's smoke test)
    ./course test-hosted notebooks/15_quantization_onnx.ipynb ...

The environment holds only what such a service preinstalls — a recent Python (3.12, Colab's),
torch, torchvision, numpy, pandas, matplotlib, ipywidgets and the kernel — and no d2lcore. Each
notebook starts from exactly that environment, with an empty data folder and no Fashion-MNIST
package, as a fresh hosted runtime would, copied alone into an empty folder (a notebook of worked
solutions with its lesson beside it, which it runs first), and runs in nbval's lax mode (every
cell runs, every assert holds). Its first cell then does what it does on Colab:

- it pip-installs `d2lcore @ git+REPOSITORY@vVERSION` (scripts/hosted.py). Here git is pointed at a
  local repository holding this checkout under that tag (git's `url.<base>.insteadOf`), and pip at a
  local folder of wheels (`--no-index`), so nothing is downloaded;
- the lesson's data come from `load_data_fashion_mnist`'s download path, served on 127.0.0.1 from
  the official archives in ../shared/data/fashion-mnist, checked by their SHA-256.

After each notebook the preinstalled packages must be exactly as before: the first cell installs
the course's package and what it needs, and replaces nothing the service already has.

Building the environment and the folder of wheels needs PyPI once (they are kept in
~/.cache/d2lcore/hosted, rebuilt when pyproject.toml changes); running the notebooks needs no network.
"""
import argparse
import functools
import hashlib
import http.server
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import tomllib

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import hosted  # noqa: E402

ROOT = hosted.ROOT
CACHE = pathlib.Path(os.environ.get("D2L_HOSTED_DIR", pathlib.Path.home() / ".cache" / "d2lcore" / "hosted"))
PYTHON = "3.12"
# what a hosted notebook service has before the lesson runs (and nothing of the course's own)
PREINSTALLED = ["torch", "torchvision", "numpy", "pandas", "matplotlib", "ipywidgets", "ipykernel"]
ARCHIVES = ROOT.parent / "shared" / "data" / "fashion-mnist"
QUICK = ["notebooks/03_fashion_mnist.ipynb"]
KERNEL = "d2lcore-hosted"


def fingerprint():
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + json.dumps(PREINSTALLED).encode()).hexdigest()[:16]


def run(cmd, log, **kw):
    with open(log, "a") as out:
        out.write(f"$ {' '.join(map(str, cmd))}\n")
        out.flush()
        done = subprocess.run([str(c) for c in cmd], stdout=out, stderr=subprocess.STDOUT, **kw)
    if done.returncode:
        raise SystemExit(f"failed ({done.returncode}): {' '.join(map(str, cmd))} (see {log})")


def freeze(py):
    """{normalised name: version} of every package in the environment."""
    out = subprocess.run([str(py), "-m", "pip", "list", "--format=json"], capture_output=True, text=True, check=True)
    return {p["name"].lower().replace("_", "-"): p["version"] for p in json.loads(out.stdout)}


def environment(log):
    """The bare environment (its python) and the folder of wheels the first cells install from,
    built when missing or stale."""
    from version_matrix import python_for

    venv, wheels, stamp = CACHE / f"py{PYTHON}", CACHE / "wheels", CACHE / "stamp"
    py = venv / "bin" / "python"
    if stamp.exists() and stamp.read_text() == fingerprint() and py.exists() and (CACHE / "baseline.json").exists():
        return py, wheels
    stamp.unlink(missing_ok=True)  # written last: a build cut short is done again next time
    for folder in (venv, wheels):
        shutil.rmtree(folder, ignore_errors=True)
    CACHE.mkdir(parents=True, exist_ok=True)
    run([python_for(PYTHON), "-m", "venv", venv], log)
    run([py, "-m", "pip", "install", "--quiet", "--upgrade", "pip"], log)
    run([py, "-m", "pip", "install", "--quiet", *PREINSTALLED], log)
    (CACHE / "baseline.json").write_text(json.dumps(freeze(py)))  # what every notebook starts from
    # What the first cells will install: resolved against PyPI now, with the preinstalled packages
    # in place, then downloaded, so that the notebooks can install it offline.
    report = CACHE / "install-report.json"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    extras = ",".join(hosted.EXTRAS)
    run([py, "-m", "pip", "install", "--quiet", "--dry-run", "--report", report, f"d2lcore[{extras}] @ {ROOT.as_uri()}"],
        log)
    wanted = [f"{item['metadata']['name']}=={item['metadata']['version']}"
              for item in json.loads(report.read_text())["install"] if item["metadata"]["name"] != "d2lcore"]
    build = project["build-system"]["requires"]  # pip builds d2lcore in an isolated environment
    run([py, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:", "-d", wheels, *wanted], log)
    run([py, "-m", "pip", "download", "--quiet", "-d", wheels, *build], log)
    stamp.write_text(fingerprint())
    return py, wheels


def tagged_copy(folder):
    """A git repository at `folder` holding this checkout's files (as they are now, committed or
    not), with the tag the lessons install: what the course's repository holds at its release."""
    _, ref = hosted.settings()
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.split("\0")
    for name in filter(None, files):
        src = ROOT / name
        if src.is_file():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, folder / name)
    git = ["git", "-C", str(folder), "-c", "user.name=d2lcore", "-c", "user.email=d2lcore@127.0.0.1"]
    subprocess.run(["git", "init", "-q", str(folder)], check=True)
    subprocess.run(git + ["add", "-A"], check=True)
    subprocess.run(git + ["commit", "-q", "-m", "the course as released"], check=True)
    subprocess.run(git + ["tag", ref], check=True)


def serve(folder):
    """An HTTP server on 127.0.0.1 for the files in `folder`; returns (server, base URL)."""
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def alone(notebook, folder):
    """The notebook copied into an empty folder, as Colab opens it: a lesson alone; a notebook of
    worked solutions in solutions/ beside its lesson (it runs the lesson first), as a student who
    uploads both, or clones the repository, has them. Returns the copy's path."""
    if notebook.parent.name == "solutions":
        lesson = notebook.parent.parent / notebook.name.replace("_solutions", "")
        (folder / "solutions").mkdir(parents=True)
        shutil.copy2(lesson, folder / lesson.name)
        return pathlib.Path(shutil.copy2(notebook, folder / "solutions" / notebook.name))
    folder.mkdir(parents=True)
    return pathlib.Path(shutil.copy2(notebook, folder / notebook.name))


def reset(py, baseline, log):
    """Back to what the service preinstalls: remove whatever a first cell installed."""
    extra = sorted(set(freeze(py)) - set(baseline))
    if extra:
        run([py, "-m", "pip", "uninstall", "--quiet", "--yes", *extra], log)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*", help="notebooks to run (default: every lesson and solutions notebook)")
    parser.add_argument("--quick", action="store_true", help=f"only {', '.join(QUICK)}")
    parser.add_argument("--out", default=ROOT / "_hosted", type=pathlib.Path, help="where hosted.json and the log go")
    args = parser.parse_args()
    chosen = QUICK if args.quick else args.notebooks or [str(p.relative_to(ROOT)) for p in hosted.notebooks()]
    if not (ARCHIVES / "train-images-idx3-ubyte.gz").exists():
        raise SystemExit(f"the Fashion-MNIST archives the loopback mirror serves are missing: {ARCHIVES}")
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    log = out / "hosted.log"
    log.write_text("")
    start = time.monotonic()
    py, wheels = environment(log)
    built = time.monotonic() - start
    baseline = json.loads((CACHE / "baseline.json").read_text())
    reset(py, baseline, log)  # a run cut short may have left a lesson's installs behind
    assert freeze(py) == baseline and "d2lcore" not in baseline, "the bare environment is not as it was built"
    repository, ref = hosted.settings()
    results = []
    with tempfile.TemporaryDirectory(prefix="d2l-hosted-") as tmp:
        tmp = pathlib.Path(tmp)
        tagged_copy(tmp / "repository")
        kernels = tmp / "kernels" / KERNEL
        kernels.mkdir(parents=True)
        (kernels / "kernel.json").write_text(json.dumps({
            "argv": [str(py), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "hosted notebook (bare)", "language": "python"}))
        server, mirror = serve(ARCHIVES)
        try:
            for notebook in chosen:
                reset(py, baseline, log)
                data = tmp / "data" / pathlib.Path(notebook).stem
                data.mkdir(parents=True)
                copy = alone(ROOT / notebook, tmp / "work" / pathlib.Path(notebook).stem)
                env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "VIRTUAL_ENV", "D2L_", "GIT_"))}
                env.update(
                    JUPYTER_PATH=str(tmp), PYTHONHASHSEED="0", CUDA_VISIBLE_DEVICES="", OMP_NUM_THREADS="1",
                    MKL_NUM_THREADS="1", PYDEVD_DISABLE_FILE_VALIDATION="1", D2L_HEADLESS="1",
                    # pip: only the local wheels; git: the course's repository is the local copy
                    PIP_NO_INDEX="1", PIP_FIND_LINKS=str(wheels), PIP_DISABLE_PIP_VERSION_CHECK="1",
                    GIT_CONFIG_COUNT="1", GIT_CONFIG_KEY_0=f"url.{tmp / 'repository'}.insteadOf",
                    GIT_CONFIG_VALUE_0=repository,
                    # the data: no system package, an empty folder, the loopback mirror
                    D2L_FASHION_MNIST_SYSTEM_DIRS="", D2L_DATA_DIR=str(data), D2L_FASHION_MNIST_MIRROR=mirror)
                t0 = time.monotonic()
                done = subprocess.run(
                    [sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-kernel-name", KERNEL, "-q",
                     "-p", "no:cacheprovider", "-p", "no:randomly", str(copy)], cwd=copy.parent, env=env,
                    capture_output=True, text=True)
                after = freeze(py)
                changed = sorted(f"{name} {v} -> {after.get(name, 'removed')}" for name, v in baseline.items()
                                 if after.get(name) != v)
                added = sorted(set(after) - set(baseline))
                with open(log, "a") as f:
                    f.write(f"\n## {notebook}\n{done.stdout}{done.stderr}\ninstalled: {', '.join(added)}\n")
                # d2lcore among the packages added: the first cell did install it (not found elsewhere)
                results.append(dict(notebook=notebook, passed=done.returncode == 0 and not changed and "d2lcore" in added,
                                    seconds=round(time.monotonic() - t0), installed=added, changed=changed,
                                    summary=(done.stdout.strip().splitlines() or ["(no output)"])[-1]))
                r = results[-1]
                print(f"{'ok  ' if r['passed'] else 'FAIL'} {notebook}  {r['seconds']} s  {r['summary']}"
                      + (f"  REPLACED: {'; '.join(changed)}" if changed else ""), flush=True)
        finally:
            server.shutdown()
            reset(py, baseline, log)
    first = next((r["installed"] for r in results if r["installed"]), [])
    summary = dict(python=subprocess.run([str(py), "-c", "import platform; print(platform.python_version())"],
                                         capture_output=True, text=True).stdout.strip(),
                   preinstalled={k: baseline[k] for k in PREINSTALLED}, repository=repository, ref=ref,
                   build_s=round(built), results=results)
    (out / "hosted.json").write_text(json.dumps(summary, indent=1))
    failed = [r["notebook"] for r in results if not r["passed"]]
    print(f"\n{len(results) - len(failed)} of {len(results)} notebooks ran in the bare environment "
          f"(Python {summary['python']}, " + ", ".join(f"{k} {baseline[k]}" for k in PREINSTALLED[:6]) + ")")
    print(f"a first cell installed: {', '.join(first) or 'nothing'}; replaced: nothing" if not any(
        r["changed"] for r in results) else "a first cell REPLACED a preinstalled package (see above)")
    print(f"log: {log}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
