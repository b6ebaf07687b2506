"""`./course grade SUBMISSIONS_DIR`: autograde students' submissions with nbgrader, each on its own.

    ./course grade SUBMISSIONS_DIR [--course _assignments] [--out grades] [--timeout 120]

SUBMISSIONS_DIR holds STUDENT/ASSIGNMENT/ASSIGNMENT.ipynb (nbgrader's `submitted/` layout: what
`nbgrader collect` or `zip_collect` gather). The course folder is what `./course assignments` built.
Writes OUT/grades.csv (a row per submission: its score, the points of each question, the cells the
student changed that they were not to change; a submission graded again replaces its row, the other
rows are kept) and OUT/feedback/STUDENT/ASSIGNMENT.html (nbgrader's feedback),
OUT/autograded/STUDENT/ASSIGNMENT.ipynb (the executed copy).

Each submission is graded by nbgrader autograde in a course folder of its own (a copy of the
gradebook), in a fresh kernel, each cell within --timeout seconds (nbgrader interrupts it), its
printing cut to 1000 lines; the whole submission within --submission-timeout. Run as root, it runs
as the unprivileged account `d2lgrader`, which can write only that folder: a submission that
deletes files reaches only its own copy, never the submissions or another student's. Whatever it
started is killed after it (all of the account's processes, in one pass a fork cannot escape), and
its copy of the gradebook holds no other student (their grades, comments, e-mail). nbgrader's
feedback is made by the same account; the folder is then root's, and the score and the feedback are
read from it only where they are files nbgrader wrote (a link or a file planted under another name
is never followed or copied), before the next submission runs. Two `./course grade` runs at once
take turns, a submission each (a scratch folder is the account's only while its submission holds
the lock), and nothing it scheduled with cron or at runs (the account is denied both). The
submissions folder is only read. A submission that breaks nbgrader, or its own grading, gets 0 and
the reason, and the others are graded on.

A locked cell the student changed (a test, the set-up) is restored by nbgrader before grading, from
its checksum in the gradebook; the question it belongs to then scores 0 and the CSV names the cell.
"""
import argparse
import contextlib
import csv
import fcntl
import os
import pathlib
import pwd
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
import tempfile

import nbformat

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from d2lcore.infra.atomic import atomic_path  # noqa: E402  (grades.csv is never half written)
GRADER = "d2lgrader"
# held while a submission runs as GRADER: every process of that account is killed after each one, so two
# runs at once (two assignments, two instructors) would kill each other's kernels and score them 0
LOCK = pathlib.Path("/run/d2lcore-grading.lock")
# (deny list, allow list) of cron and at: a job scheduled by a submission would outlive every kill
SCHEDULER_LISTS = (("/etc/cron.deny", "/etc/cron.allow"), ("/etc/at.deny", "/etc/at.allow"))


@contextlib.contextmanager
def one_submission_at_a_time():
    """An exclusive lock on LOCK for one submission's run as GRADER; says so once when it has to wait."""
    with open(LOCK, "a") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"waiting for another ./course grade (submissions run as {GRADER} one at a time: {LOCK})",
                  file=sys.stderr, flush=True)
            fcntl.flock(f, fcntl.LOCK_EX)
        yield


def grader_account():
    """The unprivileged account submissions run as (root only); made once, no home, no login. An
    account of that name that is someone's (a login shell, a home of its own) is refused: every
    submission would run as that person, and every process of it is killed after each one. A home
    folder that exists but is not the account's (a system account's /nonexistent, made by some other
    program) is no sign of a person."""
    try:
        account = pwd.getpwnam(GRADER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", GRADER],
                       check=True, capture_output=True)
        deny_scheduled_jobs()
        return pwd.getpwnam(GRADER)
    own_home = os.path.isdir(account.pw_dir) and os.stat(account.pw_dir).st_uid == account.pw_uid
    if account.pw_uid == 0 or account.pw_shell not in ("/usr/sbin/nologin", "/sbin/nologin", "/bin/false") \
            or own_home:
        raise SystemExit(f"the account {GRADER} exists and looks like a person's (uid {account.pw_uid}, shell "
                         f"{account.pw_shell}, home {account.pw_dir}): submissions must run as an account of their "
                         f"own. Rename that account, then run again ({GRADER} is then made as a system account).")
    deny_scheduled_jobs()
    return account


def becoming(uid, gid, new_session=False):
    """A preexec_fn that turns the child into the account (no supplementary groups), in a session of
    its own if asked."""
    def drop():
        if new_session:
            os.setsid()
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)
    return drop


def kill_every_process_of(uid, gid):
    """SIGKILL every process of the account. kill(-1) made as the account signals all of them in one
    pass over the kernel's process list, which a fork cannot escape (a process that keeps forking to
    new process IDs outlives any number of pkill passes)."""
    # the shell's kill builtin: kill(-1) spares the caller itself, which then exits
    subprocess.run(["/bin/sh", "-c", "kill -KILL -1"], preexec_fn=becoming(uid, gid), capture_output=True)


def deny_scheduled_jobs():
    """List the account in cron.deny and at.deny (where cron or at is installed, and where there is no
    allow list, which already leaves it out): a job it scheduled would outlive any kill."""
    for deny, allow in SCHEDULER_LISTS:
        if os.path.exists(allow):
            continue
        names = pathlib.Path(deny).read_text().split() if os.path.exists(deny) else []
        if GRADER not in names:
            with open(deny, "a") as f:
                f.write(f"{GRADER}\n")


def remove_scheduled_jobs():
    """Remove any crontab of the account (made before it was denied, or through a cron that ignores
    the deny list), and its at jobs."""
    if shutil.which("crontab"):
        subprocess.run(["crontab", "-r", "-u", GRADER], capture_output=True)
    if shutil.which("atq"):
        jobs = subprocess.run(["atq"], capture_output=True, text=True).stdout.splitlines()
        ids = [line.split()[0] for line in jobs if line.split()[-1:] == [GRADER]]
        if ids:
            subprocess.run(["atrm", *ids], capture_output=True)


def gradebook_of_one(path, student):
    """Remove every other student, with their submissions, grades and comments, from the gradebook
    copy at `path`, and rewrite the file so that nothing of theirs is left in its free pages: the
    submission runs beside this copy and could read it."""
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{path}") as gb:
        for other in [s.id for s in gb.students if s.id != student]:
            gb.remove_student(other)
        left = [s.id for s in gb.students if s.id != student]
    if left:  # nbgrader logs a failed removal and goes on
        raise RuntimeError(f"could not remove {', '.join(left)} from the gradebook copy")
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.execute("VACUUM")


def grading_python():
    """(interpreter, as_grader): as root, an interpreter the unprivileged account can run, with nbgrader
    and the course: the class hub's environment (./course hub) or this one if it lies where others can
    read it (a Python under /root, e.g. pyenv's, does not). Else this interpreter as the caller."""
    if os.geteuid() != 0:
        return sys.executable, False
    sys.path.insert(0, str(ROOT / "scripts"))
    from class_hub import readable_by_all
    hub = pathlib.Path(os.environ.get("D2L_HUB_DIR", "/opt/d2lcore-hub")) / "venv" / "bin" / "python"
    for python in (hub, pathlib.Path(sys.executable)):
        if python.exists() and readable_by_all(python.resolve()) and subprocess.run(
                [str(python), "-c", "import nbgrader, d2lcore"], capture_output=True).returncode == 0:
            return str(python), True
    print("warning: no Python the unprivileged account can run (this one lies under /root): submissions run as "
          "root, each in a scratch folder, but a submission could reach other files. Set up the class hub's "
          "environment (sudo ./course hub --setup-only) to grade as an unprivileged account.", file=sys.stderr)
    return sys.executable, False


def exposed_to_others(course, subs):
    """The folders beside the scratch ones whose files every account can read: the course's (its
    gradebook, its source notebooks) and the submissions'."""
    from class_hub import readable_by_all  # grading_python put scripts/ on the path
    probes = {course: [course / "gradebook.db", *sorted((course / "source").rglob("*.ipynb"))[:1]],
              subs: sorted(subs.rglob("*.ipynb"))[:1]}
    return [folder for folder, files in probes.items() if any(readable_by_all(f) for f in files)]


def question_of(grade_id):
    return grade_id.rsplit("-", 1)[0]


def tampered_cells(submitted, release):
    """grade_ids of locked cells the student changed: nbgrader's checksum of the submitted cell against
    the one nbgrader stored in the released copy (the course's, not the student's, metadata)."""
    from nbgrader.utils import compute_checksum
    changed = []
    for path in sorted(submitted.glob("*.ipynb")):
        released = release / path.name
        if not released.exists():
            continue
        want = {c.metadata.nbgrader["grade_id"]: c.metadata.nbgrader.get("checksum")
                for c in nbformat.read(released, as_version=4).cells
                if c.metadata.get("nbgrader", {}).get("locked") and "grade_id" in c.metadata.nbgrader}
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception:  # not a notebook: nbgrader will say so
            continue
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id in want and compute_checksum(cell) != want[grade_id]:
                changed.append(grade_id)
    return changed


def grade_one(course, student, assignment, folder, out, timeout, submission_timeout, python, as_grader):
    """Autograde one submission in a scratch course folder. Returns its CSV row (a dict)."""
    row = {"student": student, "assignment": assignment, "score": 0.0, "max_score": None, "error": "",
           "changed_locked_cells": ""}
    scratch = pathlib.Path(tempfile.mkdtemp(prefix="d2l-grade-"))
    try:
        shutil.copy2(course / "gradebook.db", scratch / "gradebook.db")
        gradebook_of_one(scratch / "gradebook.db", student)
        # the root set last wins: the course folder's config names where it was built, which it may have left
        config = (course / "nbgrader_config.py").read_text()
        (scratch / "nbgrader_config.py").write_text(config + f"c.CourseDirectory.root = {str(scratch)!r}\n"
                                                    f"c.Execute.timeout = {timeout}\n")
        target = scratch / "submitted" / student / assignment
        target.mkdir(parents=True)
        for path in folder.iterdir():  # plain files only: a link could point at anything
            if path.is_file() and not path.is_symlink():
                shutil.copy2(path, target / path.name)
        row["changed_locked_cells"] = " ".join(tampered_cells(target, course / "release" / assignment))
        # the assignment's other files (the lesson's code its exercises run): nbgrader puts its source
        # copy in place of the student's before grading. Not the source notebook: the submission runs
        # here and could print the solutions and hidden tests into its feedback
        for path in (course / "source" / assignment).glob("*"):
            if path.is_file() and path.suffix != ".ipynb":
                (scratch / "source" / assignment).mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, scratch / "source" / assignment / path.name)
        env = dict(os.environ, PATH=f"{pathlib.Path(python).parent}{os.pathsep}{os.environ.get('PATH', '')}",
                   HOME=str(scratch), OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", D2L_HEADLESS="1", MPLBACKEND="Agg")
        cmd = [python, "-m", "nbgrader", "autograde", assignment, "--student", student, "--create",
               "--force", "--log-level=WARN"]
        preexec = None
        if as_grader:
            account = grader_account()
            preexec = becoming(account.pw_uid, account.pw_gid, new_session=True)
        with one_submission_at_a_time() if as_grader else contextlib.nullcontext():
            if as_grader:  # only now: a submission of another run, running as the account, cannot reach it
                subprocess.run(["chown", "-R", f"{account.pw_uid}:{account.pw_gid}", str(scratch)], check=True)
                os.chmod(scratch, 0o700)
            proc = subprocess.Popen(cmd, cwd=scratch, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    text=True, preexec_fn=preexec, start_new_session=preexec is None)
            try:
                log, _ = proc.communicate(timeout=submission_timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                log, _ = proc.communicate()
                row["error"] = f"grading stopped after {submission_timeout} s"
            # the feedback as the same account: nbgrader reads its config and writes its files in a folder
            # the submission could change (a planted link or config would act with root's rights)
            try:
                subprocess.run([python, "-m", "nbgrader", "generate_feedback", assignment, "--student", student,
                                "--force", "--log-level=WARN"], cwd=scratch, env=env, capture_output=True,
                               timeout=300, preexec_fn=preexec, start_new_session=preexec is None)
            except subprocess.TimeoutExpired:  # no feedback file: the scores stand
                pass
            if as_grader:  # nothing the submission started lives on, and nothing of the account may change
                kill_every_process_of(account.pw_uid, account.pw_gid)
                remove_scheduled_jobs()
                close_to_the_account(scratch)
            # still under the lock: the next submission runs as the same account, and must find the
            # scores read (a hard link to this gradebook left in /tmp would reach it; written_there refuses one)
            if not written_there(scratch / "gradebook.db", scratch):
                row["error"] = "the submission replaced the gradebook (a link, or not a file)"
                return row
            scores = read_scores(scratch / "gradebook.db", student, assignment)
            row["max_score"] = autograded_points(course / "gradebook.db", assignment)
            if scores is None:
                row["error"] = row["error"] or "nbgrader could not grade it: " + " ".join(log.split()[-40:])
                return row
            total, max_score, per_question = scores
            for grade_id in row["changed_locked_cells"].split():
                question = question_of(grade_id)
                for key in [k for k in per_question if question_of(k) == question]:
                    total -= per_question[key][0]
                    per_question[key] = (0.0, per_question[key][1])
            row.update(score=total, max_score=max_score)
            row.update({f"{k} ({mx:g})": f"{got:g}" for k, (got, mx) in per_question.items()})
            take_results(scratch, student, assignment, out)
            return row
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def close_to_the_account(scratch):
    """Make the scratch folder root's alone, once every process of the account is gone: the account
    can no longer reach anything in it. Only the folder itself: a recursive chown would also give root
    any file outside that the submission hard-linked into the folder (a classmate's, where the kernel
    allows such links: fs.protected_hardlinks=0), and that student could no longer save it."""
    os.chown(scratch, 0, 0, follow_symlinks=False)
    os.chmod(scratch, 0o700)


def written_there(path, scratch):
    """Whether `path` is a plain file of the scratch folder, as nbgrader writes them: not a symbolic link,
    not a second name (hard link) of a file elsewhere, not a FIFO or device, and not reached through a
    linked folder. The submission ran in that folder and could plant any of those, to make root read
    (and copy out, or open as a database) a file it chose."""
    try:
        st = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISREG(st.st_mode) and st.st_nlink == 1 and path.parent.resolve().is_relative_to(scratch.resolve())


def take_results(scratch, student, assignment, out):
    """Copy nbgrader's feedback and the executed notebook out of the scratch folder, to
    OUT/feedback/STUDENT/ASSIGNMENT.html and OUT/autograded/STUDENT/ASSIGNMENT.ipynb: only the files of
    those names (nbgrader's), and only where they are files nbgrader wrote (`written_there`). A file the
    submission planted under another name there is never copied in their place."""
    for kind, suffix in (("feedback", ".html"), ("autograded", ".ipynb")):
        path = scratch / kind / student / assignment / f"{assignment}{suffix}"
        if written_there(path, scratch):
            dest = out / kind / student / f"{assignment}{suffix}"
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, dest)


def read_scores(gradebook, student, assignment):
    """(score, max score, {grade_id: (points, max points)}) of the autograded cells; None if not graded."""
    from nbgrader.api import Gradebook, MissingEntry
    with Gradebook(f"sqlite:///{gradebook}") as gb:
        try:
            submission = gb.find_submission(assignment, student)
        except MissingEntry:
            return None
        per = {}
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                if grade.cell.cell_type == "code" and not grade.needs_manual_grade:
                    per[grade.name] = (float(grade.score), float(grade.max_score))
        if not per:  # nbgrader made the submission but graded nothing (its kernel died, not a notebook)
            return None
        auto_max = sum(mx for _, mx in per.values())
        return sum(got for got, _ in per.values()), auto_max, per


def autograded_points(gradebook, assignment):
    """The most autograded points the assignment gives (its test cells'), from the course's gradebook."""
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{gradebook}") as gb:
        # a code cell that is also a solution cell (an exercise's code) is graded by hand
        return sum(cell.max_score for notebook in gb.find_assignment(assignment).notebooks
                   for cell in notebook.grade_cells if cell.cell_type == "code"
                   and cell.name not in {s.name for s in notebook.solution_cells})


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("submissions", type=pathlib.Path)
    parser.add_argument("--course", type=pathlib.Path, default=ROOT / "_assignments",
                        help="the course folder ./course assignments built (default _assignments)")
    parser.add_argument("--out", type=pathlib.Path, default=pathlib.Path("grades"))
    parser.add_argument("--timeout", type=int, default=120, help="seconds a cell may run (default 120: the cell that runs the lesson before the exercises takes up to 30 s on a quiet 2-core machine)")
    parser.add_argument("--submission-timeout", type=int, default=900,
                        help="seconds a whole submission may take to grade (default 900)")
    args = parser.parse_args()
    course, subs, out = args.course.resolve(), args.submissions.resolve(), args.out.resolve()
    if not (course / "gradebook.db").exists():
        raise SystemExit(f"{course} holds no built assignments: run ./course assignments first")
    if not subs.is_dir():
        raise SystemExit(f"{subs}: no such folder (expected STUDENT/ASSIGNMENT/ASSIGNMENT.ipynb)")
    known = {p.name for p in (course / "source").iterdir()}
    python, as_grader = grading_python()
    if as_grader:
        for folder in exposed_to_others(course, subs):
            print(f"warning: {folder} can be read by every account, also by {GRADER} while a submission runs: a "
                  f"submission could read it (the gradebook, your solutions, the other submissions). Make it yours "
                  f"alone: chmod -R go-rwx {folder}", file=sys.stderr)
    rows = []
    for student in sorted(p for p in subs.iterdir() if p.is_dir()):
        for folder in sorted(p for p in student.iterdir() if p.is_dir()):
            if folder.name not in known:
                print(f"skipped {student.name}/{folder.name}: no such assignment", file=sys.stderr)
                continue
            try:
                row = grade_one(course, student.name, folder.name, folder, out, args.timeout,
                                args.submission_timeout, python, as_grader)
            except Exception as e:  # a gradebook the submission broke, a failed chown: this one, not the batch
                row = {"student": student.name, "assignment": folder.name, "score": 0.0, "max_score": None,
                       "error": f"grading failed: {type(e).__name__}: {e}", "changed_locked_cells": ""}
            rows.append(row)
            print(f"{row['student']} {row['assignment']}: {row['score']:g} of {row['max_score'] or '?'} autograded points"
                  + (f" — {row['error']}" if row["error"] else "")
                  + (f" — changed locked cells: {row['changed_locked_cells']}" if row["changed_locked_cells"] else ""),
                  flush=True)
    write_grades(out, rows)
    print(f"{len(rows)} submissions graded: {out / 'grades.csv'}, feedback in {out / 'feedback'}")


def write_grades(out, rows):
    """Add `rows` to OUT/grades.csv: a submission graded again replaces its row, the others' rows
    (earlier runs, another assignment's run at the same time) are kept. Under a lock, through a
    temporary file renamed into place: the file is never half written, and no run erases another's."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / "grades.csv"
    with open(out / ".grades.csv.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        kept = []
        if path.exists():
            with open(path, newline="") as f:
                graded = {(r["student"], r["assignment"]) for r in rows}
                kept = [r for r in csv.DictReader(f) if (r["student"], r["assignment"]) not in graded]
        merged = sorted(kept + rows, key=lambda r: (r["student"], r["assignment"]))
        fields = ["student", "assignment", "score", "max_score", "error", "changed_locked_cells"]
        fields += sorted({k for r in merged for k in r} - set(fields))
        with atomic_path(path) as tmp, open(tmp, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=fields, restval="")
            writer.writeheader()
            writer.writerows(merged)


if __name__ == "__main__":
    main()
