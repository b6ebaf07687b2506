"""End to end: `./course lab` serves the course in JupyterLab.

Runs the README's first command with a fixed port and token, checks that the server answers
and lists every lesson, then stops it. Needs the course's own environment (the one
`./course test` runs in), since `./course lab` starts JupyterLab from it.
"""
import json
import os
import pathlib
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url):
    with urllib.request.urlopen(url, timeout=5) as r:
        return r.status, r.read().decode()


@pytest.mark.skipif(os.environ.get("D2L_VENV") is None
                    or pathlib.Path(os.environ["D2L_VENV"]).resolve() != pathlib.Path(sys.prefix).resolve(),
                    reason="run through ./course test, whose environment ./course lab uses")
def test_course_lab_serves_the_notebooks():
    port, token = _free_port(), "d2lcore-test-token"
    proc = subprocess.Popen(
        [str(ROOT / "course"), "lab", "--no-browser", "--ip=127.0.0.1", f"--ServerApp.port={port}",
         f"--IdentityProvider.token={token}", "--ServerApp.port_retries=0"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            try:
                status, body = _get(f"{base}/api/contents?token={token}")
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError("JupyterLab did not answer:\n" + (proc.stdout.read() if proc.poll() is not None else ""))
                time.sleep(0.5)
        assert status == 200
        served = {item["name"] for item in json.loads(body)["content"]}
        lessons = {p.name for p in (ROOT / "notebooks").glob("*.ipynb")}
        assert lessons and lessons <= served
        status, page = _get(f"{base}/lab?token={token}")
        assert status == 200 and "JupyterLab" in page
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


@pytest.mark.skipif(os.environ.get("D2L_VENV") is None, reason="run through ./course test, whose environment it reuses")
def test_course_test_names_the_notebooks_that_differ_from_git(tmp_path):
    # what a student has after running a lesson in JupyterLab: its file saved with new outputs
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    lesson = sorted((clone / "notebooks").glob("*.ipynb"))[1]
    nb = json.loads(lesson.read_text())
    next(c for c in nb["cells"] if c["cell_type"] == "code")["execution_count"] = 99
    lesson.write_text(json.dumps(nb, indent=1))
    run = subprocess.run([str(clone / "course"), "test", "--collect-only", "-q", "tests/test_timer.py"],
                         capture_output=True, text=True, timeout=300,
                         env=dict(os.environ, D2L_VENV=os.environ["D2L_VENV"]))
    assert run.returncode == 0, run.stderr[-2000:]
    assert "these notebooks differ from the committed ones" in run.stderr
    assert f"notebooks/{lesson.name}" in run.stderr and "git stash" in run.stderr
    subprocess.run(["git", "-C", str(clone), "checkout", "-q", "--", "notebooks"], check=True)
    again = subprocess.run([str(clone / "course"), "test", "--collect-only", "-q", "tests/test_timer.py"],
                           capture_output=True, text=True, timeout=300,
                           env=dict(os.environ, D2L_VENV=os.environ["D2L_VENV"]))
    assert "differ from the committed" not in again.stderr
