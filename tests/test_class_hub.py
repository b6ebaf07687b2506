"""The class hub (./course hub) smoke-tested as CI can: two simulated students on a real JupyterHub.

`./course test-hub --students 2 --lessons 01 --checks` starts a hub of its own from the class's
environment (scripts/class_hub.py sets it up in D2L_HUB_DIR), makes two Unix accounts, starts their
servers, runs lesson 01 in both at once over the kernel websocket, then checks what the class
relies on: a student cannot read another's files; the course's update reaches a student's copy and
keeps their edit; Fashion-MNIST is one shared read-only copy; a kernel over the memory limit dies and
the server lives; a student who fills their disk quota (homes on a btrfs filesystem of the test's own)
keeps their last saved notebook and the other goes on; a graded assignment goes round (the
instructor releases it in formgrader, both students fetch, validate and submit, formgrader collects
and autogrades them, 6 and 3 of 6, and the feedback comes back); a hub restarted mid-class finds the
servers; idle servers are culled (after 120 s idle: an autograde holds the instructor's server for
up to a minute, which a shorter timeout would take for idleness). The full load
test (5, 10, 20 students) is `./course test-hub`, not part of CI's time.
"""
import os
import pathlib
import shutil
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("useradd") is None or shutil.which("npm") is None,
                    reason="the class hub makes Unix accounts (root, useradd) and needs npm's proxy")
def test_two_students_run_a_lesson_on_the_class_hub_and_the_class_guarantees_hold(hub_lock):
    run = subprocess.run([str(ROOT / "course"), "test-hub", "--students", "2", "--lessons", "01", "--checks",
                          "--cull-timeout", "120", "--keep"], capture_output=True, text=True, timeout=1500, cwd=ROOT)
    report = run.stdout
    logs = [pathlib.Path(line.split(": ", 1)[1]) for line in report.splitlines() if line.startswith("hub log kept: ")]
    errors = "".join(line for log in logs if log.exists() for line in log.read_text(errors="replace").splitlines(True)
                     if "[E " in line or "[W " in line or "Error" in line)[-6000:]
    for log in logs:  # kept only to explain a failure (the hub's state folder): gone now
        shutil.rmtree(log.parent, ignore_errors=True)
    assert run.returncode == 0, report + run.stderr[-3000:] + "\nthe hub's warnings and errors:\n" + errors
    assert "lesson 01: " in report and "(2 of 2 finished)" in report and "- failures: 0" in report, report
    checks = [line for line in report.splitlines() if line.startswith("- check: ")]
    assert len(checks) == 7 and all(": passed (" in line for line in checks), report + "\nthe hub's warnings and errors:\n" + errors
    assert "idle servers culled, their memory back: after" in report, report
