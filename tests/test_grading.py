"""./course grade: submissions autograded by nbgrader, right and wrong and hostile ones.

Each submission is the students' copy of an assignment with answers filled in: the lesson's own
solution (full marks), or that solution with a mistake students make planted in it (the question's
points lost, exactly), or something hostile (a loop that never ends, megabytes of printing, files
deleted, another student's submission attacked, a locked test cell edited). CI grades a handful;
`./course test-grading` (D2L_GRADING_ALL=1) grades them all.
"""
import csv
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

import nbformat
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import assignments as A  # noqa: E402

pytest.importorskip("nbgrader", reason="nbgrader is not installed (./course setup installs it)")
ALL = os.environ.get("D2L_GRADING_ALL") == "1"


def answers_of(course, name):
    return A.solved(course / "source" / name / f"{name}.ipynb")


def submit(course, subs, student, name, change=None, cell_change=None):
    """The released copy with every answer filled in; `change` {grade_id: (old, new)} plants a mistake
    in an answer (the old text must be there); `cell_change` {grade_id: new source} replaces a cell."""
    nb = nbformat.read(course / "release" / name / f"{name}.ipynb", as_version=4)
    answers = answers_of(course, name)
    for grade_id, (old, new) in (change or {}).items():
        assert old in answers[grade_id], (grade_id, old)
        answers[grade_id] = answers[grade_id].replace(old, new)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id]
        if grade_id in (cell_change or {}):
            cell.source = cell_change[grade_id]
    folder = subs / student / name
    folder.mkdir(parents=True)
    nbformat.write(nb, str(folder / f"{name}.ipynb"))
    return folder / f"{name}.ipynb"


L01, L07, L10, L04 = "01_linear_regression_scratch", "07_softmax_numerics", "10_backprop_optimizers", "04_softmax_scratch"


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    if os.geteuid() == 0:  # the class hub's environment lets submissions run as an unprivileged account
        setup = subprocess.run([sys.executable, str(ROOT / "scripts" / "class_hub.py"), "--setup-only"],
                               capture_output=True, text=True, timeout=1800)
        assert setup.returncode == 0, setup.stderr[-2000:]
    base = tmp_path_factory.mktemp("grading")
    course, subs, out = base / "course", base / "submitted", base / "grades"
    A.build(base / "built")
    (base / "built").rename(course)  # moved after it was built (or copied to /srv): its config names the old path
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:  # as formgrader leaves it: the class's records
        gb.add_student("alice", first_name="Alice", email="alice@uni.example")
    files = {}
    files["alice"] = submit(course, subs, "alice", L01)  # the lesson's own solution
    files["bob"] = submit(course, subs, "bob", L01, {"sgd-answer": ("/ batch_size", "")})  # no /batch_size
    victim = files["alice"]
    # another student's submission attacked: graded as root, submissions run as an unprivileged account
    # that cannot reach it (run as yourself, they would: grading isolates students only as root)
    # and, as root, a line planted in nbgrader's config in the scratch folder: the feedback was made by
    # root in that folder, so the config ran with root's rights (it must not get to write into grades/)
    planted = (f"try:\n    open({str(out / 'planted-by-carol')!r}, 'w').write('ran as root')\n"
               "except OSError:\n    pass\n")
    # a process that outlives it: a new process ID every round (one pkill pass always misses it), deleting
    # the submissions graded after it from their scratch folders
    survivor = ("import glob, os, time\nend = time.time() + 60\nwhile time.time() < end:\n"
                "    if os.fork():\n        os._exit(0)\n"
                f"    for p in glob.glob({tempfile.gettempdir() + '/d2l-grade-*/submitted/*/*/*.ipynb'!r}):\n"
                "        try:\n            os.remove(p)\n        except OSError:\n            pass\n"
                "    time.sleep(0.005)\n")
    attack = (f"try:\n    shutil.rmtree({str(victim.parent)!r})  # another student's submission\n"
              "except OSError as e:\n    print('could not:', type(e).__name__)\n"
              f"with open('../../../nbgrader_config.py', 'a') as f:\n    f.write({planted!r})\n"
              "import sqlite3\n"  # the class's grades, comments and e-mail, in the gradebook beside it
              "print('STUDENTS:', [r[0] for r in sqlite3.connect('../../../gradebook.db').execute('select id from student')])\n"
              "print('LINK:', open('shadow.txt').read()[:4] if os.path.exists('shadow.txt') else 'not copied')\n"
              f"import subprocess, sys\nsubprocess.Popen([sys.executable, '-c', {survivor!r}], start_new_session=True)\n"
              ) if os.geteuid() == 0 else ""
    hostile = ("import glob, os, shutil\n" + attack +
               "for f in glob.glob('*'):\n    os.remove(f)  # every file in its folder\n"
               "for i in range(300_000):\n    print('line', i)  # megabytes of output\n\n\n")
    files["carol"] = submit(course, subs, "carol", L01, {"data_iter-answer": ("def data_iter", hostile + "def data_iter")},
                            cell_change={"sgd-check": "assert True  # the test, edited"})
    (files["carol"].parent / "shadow.txt").symlink_to("/etc/shadow")  # a link in the submission: never followed
    files["dave"] = submit(course, subs, "dave", L07, {"stable_softmax-answer": ("def stable_softmax", "import time\nwhile True:  # never ends (asleep: a spin would take a core CI's other streams share)\n    time.sleep(1)\n\n\ndef stable_softmax")})
    files["erin"] = submit(course, subs, "erin", L10, {"Adam-answer": ("m_hat = m / (1 - beta1 ** t)", "m_hat = m")})
    # input() in an answer: it passed Validate and failed autograde in nbgrader#1844; it must do the same in both
    files["kim"] = submit(course, subs, "kim", L01, {"sgd-answer": ("def sgd", "scale = input('scale? ')\n\n\ndef sgd")})
    if ALL:
        files["frank"] = submit(course, subs, "frank", L07, {"stable_softmax-answer": ("X - X.max(dim=1, keepdim=True).values", "X")})
        files["grace"] = submit(course, subs, "grace", L07, {"stable_softmax-answer": (
            "torch.exp(X - X.max(dim=1, keepdim=True).values)\n    return X_exp / X_exp.sum(dim=1, keepdim=True)",
            "torch.exp(X - X.max(dim=0, keepdim=True).values)\n    return X_exp / X_exp.sum(dim=0, keepdim=True)")})
        files["heidi"] = submit(course, subs, "heidi", L01, {"sgd-answer": ("with torch.no_grad():", "raise ValueError('oops')\n    with torch.no_grad():")})
        files["ivan"] = submit(course, subs, "ivan", L04, {"cross_entropy-answer": ("return -torch.log(y_hat[range(len(y_hat)), y])",
                                                                                   "return -torch.log(y_hat[range(len(y_hat)), y]).mean()")})
        files["judy"] = submit(course, subs, "judy", L10, {"Momentum-answer": ("super().__init__", "import os\n        os._exit(1)\n        super().__init__")})
        for lesson in A.lessons():  # every lesson's own solution, exercises' code included
            files[f"zed-{lesson.stem[:2]}"] = submit(course, subs, "zed", lesson.stem)
        (subs / "mallory" / L01).mkdir(parents=True)
        (subs / "mallory" / L01 / f"{L01}.ipynb").write_text("{ not a notebook")
    before = {student: path.read_bytes() for student, path in files.items()}
    # each cell within grade.py's default 120 s: a loop that never ends is stopped, and the cell that runs
    # the lesson before its exercises (lesson 14: 27 s on a quiet machine; CI runs three streams on two
    # cores, and 60 s was too close) is not
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "grade.py"), str(subs), "--course", str(course),
                          "--out", str(out), "--timeout", "120"], capture_output=True, text=True, timeout=1800)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    rows = {(r["student"] if r["student"] != "zed" else f"zed-{r['assignment'][:2]}"): r
            for r in csv.DictReader(open(out / "grades.csv"))}
    return rows, files, before, out, run.stdout, course


def points(row):
    return {k.split(" ")[0]: float(v) for k, v in row.items() if k.endswith(")") and v != ""}


def errors_in(notebook):
    nb = nbformat.read(notebook, as_version=4)
    return [(c.metadata.get("nbgrader", {}).get("grade_id"), o.get("ename"), o.get("evalue", "")[:300])
            for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]


def test_the_lessons_own_solution_gets_full_marks(graded):
    rows, _, _, out, _, _ = graded
    assert float(rows["alice"]["score"]) == float(rows["alice"]["max_score"]) == 6
    assert points(rows["alice"]) == {"sgd-check": 2, "sgd-hidden": 1, "data_iter-check": 2, "data_iter-hidden": 1}
    # the exercises' worked code ran too, after the lesson's code: what the instructor grades by hand
    graded_copy = out / "autograded" / "alice" / f"{L01}.ipynb"
    assert errors_in(graded_copy) == []
    ran = [c for c in nbformat.read(graded_copy, as_version=4).cells if c.metadata.get("nbgrader", {}).get("grade_id") == "lesson"]
    assert "ran the" in ran[0].outputs[0]["text"]


@pytest.mark.skipif(not ALL, reason="./course test-grading grades every lesson's own solution (D2L_GRADING_ALL=1)")
def test_every_lessons_own_solution_gets_full_marks_and_its_exercises_code_runs(graded):
    rows, _, _, out, _, _ = graded
    for lesson in A.lessons():
        row = rows[f"zed-{lesson.stem[:2]}"]
        assert float(row["score"]) == float(row["max_score"]), row
        assert errors_in(out / "autograded" / "zed" / f"{lesson.stem}.ipynb") == [], lesson.stem


def test_an_sgd_without_the_division_by_batch_size_loses_exactly_its_question(graded):
    rows, *_ = graded
    assert points(rows["bob"]) == {"sgd-check": 0, "sgd-hidden": 0, "data_iter-check": 2, "data_iter-hidden": 1}
    assert float(rows["bob"]["score"]) == 3


@pytest.mark.skipif(os.geteuid() != 0, reason="submissions run as the grading account only when graded as root")
def test_two_grading_runs_at_once_take_turns_instead_of_killing_each_others_kernels(graded, tmp_path):
    # every process of the grading account is killed after each submission: a second run's kernel died with
    # it, and its submission scored 0 ("nbgrader could not grade it"), as two CI streams once showed
    import fcntl
    import grade
    course = graded[5]
    submit(course, tmp_path / "subs", "lena", L01)
    with open(grade.LOCK, "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # another run's submission is under way
        proc = subprocess.Popen([sys.executable, str(ROOT / "scripts" / "grade.py"), str(tmp_path / "subs"),
                                 "--course", str(course), "--out", str(tmp_path / "out"), "--timeout", "120"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        said = ""
        while "waiting for another ./course grade" not in said:
            line = proc.stderr.readline()
            assert line, f"it never waited: {said}{proc.stdout.read()}"
            said += line
        assert subprocess.run(["pgrep", "-u", grade.GRADER], capture_output=True).returncode == 1  # nothing started
    out, err = proc.communicate(timeout=900)
    assert proc.returncode == 0 and "lena 01_linear_regression_scratch: 6 of 6.0 autograded points" in out, out + err


def test_a_hostile_submission_is_graded_and_touches_no_one_else(graded):
    rows, files, before, out, log, _ = graded
    carol = rows["carol"]
    # its edited test cell: restored by nbgrader, reported, and the question scores 0
    assert carol["changed_locked_cells"] == "sgd-check"
    assert points(carol) == {"sgd-check": 0, "sgd-hidden": 0, "data_iter-check": 2, "data_iter-hidden": 1}
    # it deleted the files of its own folder, printed 5 MB, attacked alice's submission: all of it
    # reached only its scratch copy
    for student in before:
        assert files[student].read_bytes() == before[student], student
    graded_copy = out / "autograded" / "carol" / f"{L01}.ipynb"
    assert graded_copy.stat().st_size < 1_000_000  # nbgrader cut its printing
    if os.geteuid() == 0:
        text = graded_copy.read_text()
        assert "could not: PermissionError" in text
        assert "STUDENTS: ['carol']" in text  # its gradebook copy holds no one else
        assert "LINK: not copied" in text
        # what it left running was killed with it: the submissions graded after it were there to grade
        for later in ("dave", "erin", "kim"):
            assert "could not grade" not in rows[later]["error"], (later, rows[later]["error"])
    assert float(rows["alice"]["score"]) == 6  # graded before or after it, alice keeps her marks
    assert (out / "feedback" / "carol" / f"{L01}.html").exists()
    assert not (out / "planted-by-carol").exists()  # the config it planted never ran as root


def test_a_loop_that_never_ends_costs_its_question_and_grading_goes_on(graded):
    rows, *_ = graded
    assert points(rows["dave"]) == {"stable_softmax-check": 0, "stable_softmax-hidden": 0,
                                    "cross_entropy_from_logits-check": 2, "cross_entropy_from_logits-hidden": 1}


def test_adam_without_bias_correction_loses_exactly_its_question(graded):
    rows, *_ = graded
    assert points(rows["erin"]) == {"Momentum-check": 2, "Momentum-hidden": 1, "Adam-check": 0, "Adam-hidden": 0}


def test_the_feedback_shows_the_self_checks_report(graded):
    rows, files, before, out, log, _ = graded
    html = (out / "feedback" / "bob" / f"{L01}.html").read_text()
    assert "check_sgd" in html and "✗" in html  # the same report a student sees in the lesson


def test_validate_fails_exactly_the_self_checks_the_autograder_scores_zero(graded):
    # the Validate button runs nbgrader's Validator on the student's notebook: its verdict on the
    # visible tests must be the autograder's (nbgrader#1844: input() passed one and failed the other)
    from nbgrader.validator import Validator
    rows, files, _, _, _, _ = graded
    for student in ("alice", "bob", "erin", "kim", "carol"):
        result = Validator().validate(str(files[student]))
        zero = {k.split(" ")[0] for k, v in rows[student].items() if "-check (" in k and v == "0"}
        if rows[student]["changed_locked_cells"]:  # an edited test cell: both say so, nothing else
            assert [c["source"] for c in result["changed"]] == ["assert True  # the test, edited"]
            continue
        failed = {c["source"].splitlines()[-1] for c in result.get("failed", []) if "d2l.check_" in c["source"]}
        expected = set()
        for grade_id in zero:
            nb = nbformat.read(files[student], as_version=4)
            expected |= {c.source.splitlines()[-1] for c in nb.cells
                         if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id}
        assert failed == expected, (student, failed, expected)
    assert points(rows["kim"])["sgd-check"] == 0


@pytest.mark.skipif(not ALL, reason="./course test-grading grades every planted mistake (D2L_GRADING_ALL=1)")
def test_every_planted_mistake_loses_exactly_its_questions_points(graded):
    rows, *_ = graded
    no_softmax = {"stable_softmax-check": 0, "stable_softmax-hidden": 0,
                  "cross_entropy_from_logits-check": 2, "cross_entropy_from_logits-hidden": 1}
    assert points(rows["frank"]) == no_softmax  # no max-shift: overflows
    assert points(rows["grace"]) == no_softmax  # normalised over the wrong axis
    assert points(rows["heidi"]) == {"sgd-check": 0, "sgd-hidden": 0, "data_iter-check": 2, "data_iter-hidden": 1}
    assert points(rows["ivan"]) == {"cross_entropy-check": 0, "cross_entropy-hidden": 0, "accuracy-check": 2,
                                    "accuracy-hidden": 1}
    # a submission that kills its kernel, and one that is not a notebook: graded (0), reported, batch goes on
    for student in ("judy", "mallory"):
        assert float(rows[student]["score"]) == 0 and float(rows[student]["max_score"]) == 6, rows[student]
        assert rows[student]["error"].startswith("nbgrader could not grade it"), rows[student]["error"]
    assert float(rows["heidi"]["score"]) == 3  # graded after them: the batch went on


# --- the parts of grade.py that keep students apart, on their own (fast) ----------------------

sys.path.insert(0, str(ROOT / "scripts"))
import grade  # noqa: E402


def test_grades_of_another_run_are_kept_and_a_regraded_submission_replaces_its_row(tmp_path):
    # each run rewrote grades.csv with its own rows: grading a second assignment erased the first's
    row = {"student": "alice", "assignment": L01, "score": 6.0, "max_score": 6.0, "error": "", "changed_locked_cells": ""}
    grade.write_grades(tmp_path, [row])
    grade.write_grades(tmp_path, [dict(row, student="bob", assignment=L04, score=3.0, **{"q-check (2)": "2"})])
    grade.write_grades(tmp_path, [dict(row, score=4.0)])  # alice's, graded again
    rows = list(csv.DictReader(open(tmp_path / "grades.csv")))
    assert [(r["student"], r["assignment"], r["score"]) for r in rows] == [("alice", L01, "4.0"), ("bob", L04, "3.0")]
    assert rows[1]["q-check (2)"] == "2" and rows[0]["q-check (2)"] == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == [".grades.csv.lock", "grades.csv"]  # no temporary file left


def test_the_gradebook_copy_holds_only_the_student_being_graded(tmp_path, monkeypatch):
    from nbgrader.api import Gradebook
    monkeypatch.setenv("PATH", f"{pathlib.Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")  # alembic
    path = tmp_path / "gradebook.db"
    with Gradebook(f"sqlite:///{path}") as gb:
        gb.add_student("alice", first_name="Alice", email="alice@uni.example")
        gb.add_student("mallory")
        gb.add_assignment("a1")
        gb.add_submission("a1", "alice")
    grade.gradebook_of_one(path, "mallory")
    with Gradebook(f"sqlite:///{path}") as gb:
        assert [s.id for s in gb.students] == ["mallory"] and gb.find_assignment("a1").num_submissions == 0
    assert b"alice" not in path.read_bytes()  # not even in the file's free pages


@pytest.mark.skipif(os.geteuid() != 0 or not os.access("/usr/bin/python3", os.X_OK),
                    reason="runs a process as another account (root), with a Python every account can run")
def test_every_process_of_the_account_is_killed_even_one_that_keeps_forking():
    import tempfile
    import time
    uid = 54329
    beats = pathlib.Path(tempfile.mkdtemp(prefix="d2l-forker-")) / "beats"
    beats.parent.chmod(0o777)
    # a new process every round, each living a millisecond: a pkill pass always lists some already gone
    forker = ("import os, time\nend = time.time() + 30\nwhile time.time() < end:\n"
              "    if os.fork():\n        os._exit(0)\n"
              f"    with open({str(beats)!r}, 'a') as f:\n        f.write('.')\n    time.sleep(0.001)\n")

    def as_account():
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)

    def forking():  # its heartbeat file still grows
        before = beats.stat().st_size if beats.exists() else 0
        time.sleep(0.3)
        return beats.exists() and beats.stat().st_size > before

    try:
        subprocess.Popen(["/usr/bin/python3", "-c", forker], preexec_fn=as_account, start_new_session=True)
        assert forking()
        grade.kill_every_process_of(uid, uid)
        assert not forking()
    finally:
        grade.kill_every_process_of(uid, uid)
        shutil.rmtree(beats.parent, ignore_errors=True)


def test_an_account_named_like_the_grader_that_is_a_persons_is_refused(monkeypatch, tmp_path):
    # a student signed up as d2lgrader before the first ./course grade: every submission would run as them
    import pwd
    monkeypatch.setattr(grade, "SCHEDULER_LISTS", ((str(tmp_path / "cron.deny"), str(tmp_path / "cron.allow")),))
    person = pwd.struct_passwd((grade.GRADER, "x", 1001, 1001, "", "/root", "/bin/bash"))  # a home, a shell
    monkeypatch.setattr(grade.pwd, "getpwnam", lambda name: person)
    with pytest.raises(SystemExit, match="looks like a person's"):
        grade.grader_account()
    system = pwd.struct_passwd((grade.GRADER, "x", 999, 995, "", "/nonexistent", "/usr/sbin/nologin"))
    monkeypatch.setattr(grade.pwd, "getpwnam", lambda name: system)
    assert grade.grader_account() is system
    # a home folder of its own, though no login shell: someone's
    home = tmp_path / "home"
    home.mkdir()
    if os.geteuid() == 0:
        os.chown(home, 999, 995)
    housed = pwd.struct_passwd((grade.GRADER, "x", os.stat(home).st_uid, 995, "", str(home), "/usr/sbin/nologin"))
    monkeypatch.setattr(grade.pwd, "getpwnam", lambda name: housed)
    with pytest.raises(SystemExit, match="looks like a person's"):
        grade.grader_account()
    # a system account's home that some other program made (root's): no sign of a person
    elsewhere = pwd.struct_passwd((grade.GRADER, "x", os.stat(home).st_uid + 1, 995, "", str(home), "/usr/sbin/nologin"))
    monkeypatch.setattr(grade.pwd, "getpwnam", lambda name: elsewhere)
    assert grade.grader_account() is elsewhere


def test_a_submission_that_breaks_its_grading_costs_its_own_row_not_the_batch(tmp_path, monkeypatch):
    # an exception in one submission's grading (a gradebook it overwrote with garbage) ended the run: no CSV at all
    course, subs = tmp_path / "course", tmp_path / "subs"
    (course / "source" / "a1").mkdir(parents=True)
    (course / "gradebook.db").write_bytes(b"")
    for student in ("alice", "bob"):
        (subs / student / "a1").mkdir(parents=True)

    def graded(course, student, assignment, *args):
        if student == "alice":
            raise RuntimeError("file is not a database")
        return {"student": student, "assignment": assignment, "score": 6.0, "max_score": 6.0, "error": "",
                "changed_locked_cells": ""}
    monkeypatch.setattr(grade, "grade_one", graded)
    monkeypatch.setattr(grade, "grading_python", lambda: (sys.executable, False))
    monkeypatch.setattr(sys, "argv", ["grade.py", str(subs), "--course", str(course), "--out", str(tmp_path / "out")])
    grade.main()
    rows = {r["student"]: r for r in csv.DictReader(open(tmp_path / "out" / "grades.csv"))}
    assert rows["alice"]["error"] == "grading failed: RuntimeError: file is not a database" and rows["alice"]["score"] == "0.0"
    assert rows["bob"]["score"] == "6.0"


def test_the_grading_account_is_denied_cron_and_at_once(tmp_path, monkeypatch):
    # a crontab line made by a submission would outlive every kill and reach every later scratch folder
    cron_deny, at_deny, at_allow = tmp_path / "cron.deny", tmp_path / "at.deny", tmp_path / "at.allow"
    cron_deny.write_text("guest\n")
    at_allow.write_text("teacher\n")  # an allow list: everyone else, the account too, is already denied
    monkeypatch.setattr(grade, "SCHEDULER_LISTS", ((str(cron_deny), str(tmp_path / "cron.allow")),
                                                   (str(at_deny), str(at_allow))))
    grade.deny_scheduled_jobs()
    grade.deny_scheduled_jobs()
    assert cron_deny.read_text() == f"guest\n{grade.GRADER}\n" and not at_deny.exists()


def test_only_the_files_nbgrader_wrote_are_copied_out_of_the_scratch_folder(tmp_path):
    # the submission ran in the scratch folder: root copies out of it after, and must copy nothing it planted
    scratch, out, secret = tmp_path / "d2l-grade-x", tmp_path / "grades", tmp_path / "secret.txt"
    secret.write_text("root:the shadow file")
    for student in ("alice", "bob", "carol", "dave"):
        (scratch / "feedback" / student / "a1").mkdir(parents=True)
        (scratch / "autograded" / student / "a1").mkdir(parents=True)
    (scratch / "feedback" / "alice" / "a1" / "a1.html").write_text("<p>alice: 6 of 6</p>")
    (scratch / "autograded" / "alice" / "a1" / "a1.ipynb").write_text("{}")
    # a symbolic link, and a hard link (a second name of the file: not a link to look at)
    (scratch / "feedback" / "bob" / "a1" / "a1.html").symlink_to(secret)
    os.link(secret, scratch / "autograded" / "bob" / "a1" / "a1.ipynb")
    # a file of another name, which took the feedback's place when it sorted after it
    (scratch / "feedback" / "carol" / "a1" / "a1.html").write_text("<p>carol: 0 of 6</p>")
    (scratch / "feedback" / "carol" / "a1" / "zz.html").write_text("<p>carol: 6 of 6</p>")
    # a FIFO (root's copy would wait forever), and a linked folder out of the scratch folder
    os.mkfifo(scratch / "feedback" / "dave" / "a1" / "a1.html")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "a1.ipynb").write_text("root:the shadow file")
    shutil.rmtree(scratch / "autograded" / "dave" / "a1")
    (scratch / "autograded" / "dave" / "a1").symlink_to(tmp_path / "elsewhere")
    for student in ("alice", "bob", "carol", "dave"):
        grade.take_results(scratch, student, "a1", out)
    copied = {str(p.relative_to(out)): p.read_text() for p in out.rglob("*") if p.is_file()}
    assert copied == {"feedback/alice/a1.html": "<p>alice: 6 of 6</p>", "autograded/alice/a1.ipynb": "{}",
                      "feedback/carol/a1.html": "<p>carol: 0 of 6</p>"}
    assert not grade.written_there(scratch / "autograded" / "bob" / "a1" / "a1.ipynb", scratch)


@pytest.mark.skipif(os.geteuid() != 0, reason="changes owners (root)")
def test_closing_the_scratch_folder_gives_root_no_file_the_submission_linked_into_it(tmp_path):
    # chown -R 0:0 of the folder made a classmate's file that the submission hard-linked into it root's:
    # the classmate could no longer save it
    scratch, classmates = tmp_path / "d2l-grade-x", tmp_path / "home"
    scratch.mkdir()
    classmates.mkdir()
    work = classmates / "work.ipynb"
    work.write_text("{}")
    os.chown(work, 54330, 54330)
    os.link(work, scratch / "planted.ipynb")
    os.chown(scratch, 54329, 54329)
    grade.close_to_the_account(scratch)
    assert (work.stat().st_uid, work.stat().st_gid) == (54330, 54330)
    assert (scratch.stat().st_uid, oct(scratch.stat().st_mode & 0o777)) == (0, "0o700")
