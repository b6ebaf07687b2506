"""The class hub (./course hub) smoke-tested as CI can: two simulated students on a real JupyterHub.

`./course test-hub --students 2 --lessons 01 --checks` starts a hub of its own from the class's
environment (scripts/class_hub.py sets it up in D2L_HUB_DIR), makes two Unix accounts, starts their
servers, runs lesson 01 in both at once over the kernel websocket, then checks what the class
relies on: a student cannot read another's files; the course's update reaches a student's copy and
keeps their edit; Fashion-MNIST is one shared read-only copy; a kernel over the memory limit dies and
the server lives; a student who fills their disk quota (homes on a btrfs filesystem of the test's own)
keeps their last saved notebook and the other goes on; a graded assignment goes round (the
instructor releases it in formgrader, both students fetch, validate and submit, one also under the
other's name, formgrader collects (only each student's own) and autogrades them, 6 and 3 of 6, and
the feedback comes back; a student cannot read the instructors' version); a hub restarted mid-class finds the
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


@pytest.mark.skipif(os.geteuid() != 0, reason="gives folders to other accounts (root)")
def test_the_load_tests_clean_up_keeps_a_real_students_entry_inside_a_test_accounts_folder(tmp_path):
    # ./course test-hub on a class's server: its instructor's course folder in the exchange held a real
    # student's submission, and was removed whole
    import importlib.util
    spec = importlib.util.spec_from_file_location("hub_load_test", ROOT / "scripts" / "hub_load_test.py")
    hlt = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hlt)
    test_uid, real_uid = 54321, 54322
    inbound = tmp_path / "d2lcore" / "inbound"
    real, test, only_test = inbound / "realstudent+01+2026", inbound / "teststudent+01+2026", tmp_path / "testonly"
    for folder in (real, test, only_test / "sub"):
        folder.mkdir(parents=True)
        (folder / "a.ipynb").write_text("work")
    for path in (tmp_path / "d2lcore", inbound, test, test / "a.ipynb", only_test, only_test / "sub",
                 only_test / "sub" / "a.ipynb"):
        os.chown(path, test_uid, test_uid)
    for path in (real, real / "a.ipynb"):
        os.chown(path, real_uid, real_uid)
    hlt.remove_owned_by({test_uid}, tmp_path)
    assert (real / "a.ipynb").read_text() == "work"  # the real student's, kept with the folders above it
    assert not test.exists() and not only_test.exists()  # the test's own, gone


@pytest.mark.skipif(os.geteuid() != 0, reason="makes entries of other accounts (root)")
def test_the_hubs_collect_takes_no_work_under_anothers_name_and_follows_no_link(tmp_path, monkeypatch):
    # nbgrader's own collect took the newest entry named after a student whoever made it, and followed a link
    # in a submission to any file the instructor can read (a classmate's collected work)
    import importlib.util
    import pwd
    import sys
    from nbgrader.coursedir import CourseDirectory
    monkeypatch.setenv("PATH", f"{pathlib.Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")  # alembic
    from traitlets.config import Config
    spec = importlib.util.spec_from_file_location("safe_collect", ROOT / "hub" / "safe_collect.py")
    safe = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(safe)
    inbound = tmp_path / "exchange" / "d2lcore" / "inbound"
    inbound.mkdir(parents=True)
    secret = tmp_path / "secret.txt"
    secret.write_text("a classmate's collected work")
    secret.chmod(0o600)

    def entry(name, owner, files):
        folder = inbound / name
        folder.mkdir()
        (folder / "timestamp.txt").write_text(name.split("+")[2])
        for file, text in files.items():
            (folder / file).symlink_to(text[1:]) if text.startswith("@") else (folder / file).write_text(text)
        for path in [folder, *folder.iterdir()]:
            os.lchown(path, pwd.getpwnam(owner).pw_uid, -1)

    entry("nobody+A1+2026-12-01 10:00:00.000000 UTC", "nobody", {"A1.ipynb": "nobody's own work"})
    entry("nobody+A1+2099-01-01 10:00:00.000000 UTC", "daemon", {"A1.ipynb": "forged by daemon"})
    (tmp_path / "secret-folder").mkdir(mode=0o700)
    (tmp_path / "secret-folder" / "work.ipynb").write_text("a classmate's collected work")
    entry("daemon+A1+2026-12-01 11:00:00.000000 UTC", "daemon", {"A1.ipynb": f"@{secret}", "notes.txt": "daemon's notes",
                                                                "sub": f"@{tmp_path / 'secret-folder'}"})
    os.mkfifo(inbound / "daemon+A1+2026-12-01 11:00:00.000000 UTC" / "pipe")  # opening it must not hang the collect
    (inbound / "carol+A1+not a time").mkdir()  # a name that is no submission's: it stopped nbgrader's collect
    config = Config()
    (tmp_path / "course").mkdir()
    config.CourseDirectory.root = str(tmp_path / "course")
    config.CourseDirectory.course_id = "d2lcore"
    config.CourseDirectory.assignment_id = "A1"
    config.Exchange.root = str(tmp_path / "exchange")
    collect = safe.SafeExchangeCollect(coursedir=CourseDirectory(config=config), config=config)
    collect.start()
    submitted = tmp_path / "course" / "submitted"
    assert (submitted / "nobody" / "A1" / "A1.ipynb").read_text() == "nobody's own work"
    assert (submitted / "daemon" / "A1" / "notes.txt").read_text() == "daemon's notes"
    assert not (submitted / "daemon" / "A1" / "A1.ipynb").exists()  # the link: left out, not followed
    assert sorted(p.name for p in (submitted / "daemon" / "A1").iterdir()) == ["notes.txt", "timestamp.txt"]
    assert sorted(p.name for p in submitted.iterdir()) == ["daemon", "nobody"]
