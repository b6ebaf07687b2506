"""`./course assignments`: every lesson as an nbgrader assignment, derived from the lesson itself.

    ./course assignments [OUT]     # OUT (default _assignments/) becomes an nbgrader course folder:
                                   #   source/NN_topic/NN_topic.ipynb   the instructor's version
                                   #   release/NN_topic/NN_topic.ipynb  the students' copy
                                   #   gradebook.db, nbgrader_config.py

The lessons stay the single source. A lesson's self-check cell carries cell metadata
`"assignment"`: a list of questions, each
    {"question": "sgd", "define": ["sgd"], "test": "assert d2l.check_sgd(sgd)", "prompt": "..."}
- define: the functions or classes the student writes; their code is taken from the lesson (or,
  for an exercise, its worked solutions notebook) and its body put between nbgrader's solution
  markers, so the students' copy keeps the signature and docstring and nothing of the body;
- test: the lesson's own self-check line, which must stand in that cell (else the lesson and the
  assignment have drifted apart: the build fails). It is the question's visible test, worth
  CHECK_POINTS; the student sees the same report as in the lesson, and Validate runs it;
- hidden tests (assignments/hidden_tests.yml) check what the self-check does not show, worth
  HIDDEN_POINTS; the students' copy has none of them (the course's repository, which students can
  read, does: hidden from the notebook, not secret; docs/assignments.md).
The lesson's exercises follow as manually graded questions (EXERCISE_POINTS each): the exercise as
the lesson words it, and an answer cell; the instructor's version holds the worked solution.
"""
import argparse
import ast
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys

import nbformat
import yaml

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import hosted  # noqa: E402  (the install cell's tag: one home)

ROOT = pathlib.Path(__file__).resolve().parents[1]
LESSONS = ROOT / "notebooks"
CHECK_POINTS, HIDDEN_POINTS, EXERCISE_POINTS = 2, 1, 2
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"


class DriftError(RuntimeError):
    """A lesson and its assignment no longer agree (a test line or a definition is gone)."""


def lessons():
    return sorted(p for p in LESSONS.glob("[0-9][0-9]_*.ipynb"))


def solutions_of(lesson):
    return LESSONS / "solutions" / f"{lesson.stem}_solutions.ipynb"


def spec(nb):
    """(index of the cell, its list of questions) for every cell with `assignment` metadata."""
    return [(i, c.metadata["assignment"]) for i, c in enumerate(nb.cells) if "assignment" in c.metadata]


def definitions(cells):
    """name -> source of its last top-level def/class among these code cells."""
    found = {}
    for cell in cells:
        if cell.cell_type != "code":
            continue
        src = cell.source
        try:
            tree = ast.parse(src)
        except SyntaxError:  # IPython syntax (magics): such a cell defines nothing the assignments use
            continue
        lines = src.splitlines()
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                start = min([node.lineno] + [d.lineno for d in node.decorator_list])
                found[node.name] = (node, "\n".join(lines[start - 1:node.end_lineno]), start)
    return found


def with_solution_markers(node, source, start):
    """The definition with its body (after the docstring) between nbgrader's solution markers."""
    lines = source.splitlines()
    body = node.body
    if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant) \
            and isinstance(body[0].value.value, str):
        keep_until = body[0].end_lineno  # the docstring stays: it tells the student what to write
        body = body[1:]
    else:
        keep_until = body[0].lineno - 1
    if not body:
        raise DriftError(f"{node.name} has no body to turn into a question")
    first = min([body[0].lineno] + [d.lineno for d in getattr(body[0], "decorator_list", [])])
    indent = " " * body[0].col_offset
    head = lines[:keep_until - start + 1]
    between = lines[keep_until - start + 1:first - start]  # blank lines after the docstring
    rest = lines[first - start:]
    return "\n".join(head + between + [indent + BEGIN] + rest + [indent + END])


def exercises(solutions_nb):
    """The '## Exercises' list as [(number, text)] (number 0: a preamble), and the worked solutions as
    [{"numbers": [1, 2], "text": markdown, "code": [source, ...]}], one per folded solution, in order:
    a solution may answer several exercises, and its code cells follow its text."""
    items, groups = [], []
    for cell in solutions_nb.cells:
        tags = cell.metadata.get("tags", [])
        if cell.cell_type == "markdown" and cell.source.startswith("## Exercises"):
            body = cell.source.split("\n", 1)[1]
            parts = re.split(r"^(\d+)\. ", body, flags=re.M)
            preamble = parts[0].strip()
            for k in range(1, len(parts), 2):
                items.append((int(parts[k]), re.sub(r"\n   ", "\n", parts[k + 1]).strip()))
            if preamble:
                items.insert(0, (0, preamble))
        elif "solution" in tags and cell.cell_type == "markdown":
            title = re.search(r"<summary><b>Solutions? ([^<]+)</b>", cell.source)
            if title:
                text = re.sub(r"</?details>|<summary>.*?</summary>", "", cell.source, flags=re.S).strip()
                groups.append({"numbers": [int(n) for n in re.findall(r"\d+", title[1])], "text": text, "code": []})
        elif "solution" in tags and cell.cell_type == "code" and groups:
            groups[-1]["code"].append(cell.source)
    return items, groups


def without_definitions(source, names):
    """The code with its top-level definitions of `names` (the questions' functions, written above)
    replaced by a comment saying so."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    lines = source.splitlines()
    for node in reversed(tree.body):
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name in names:
            start = min([node.lineno] + [d.lineno for d in node.decorator_list])
            lines[start - 1:node.end_lineno] = [f"# `{node.name}`: your answer to the question above"]
    return "\n".join(lines)


def lesson_code(lesson):
    """The lesson's code cells (no prose, no outputs): shipped beside the assignment so that its
    exercises can rebuild what the lesson built, in the student's folder and when graded alike."""
    nb = nbformat.read(lesson, as_version=4)
    code = [nbformat.v4.new_code_cell(c.source, metadata={"tags": c.metadata["tags"]} if "tags" in c.metadata else {})
            for c in nb.cells if c.cell_type == "code"]
    return nbformat.v4.new_notebook(cells=code, metadata={"kernelspec": nb.metadata.get("kernelspec", {})})


def lesson_file(lesson):
    # not .ipynb: nbgrader would take it for a notebook of the assignment (and autograde does not copy one)
    return f"{lesson.stem}.lesson.json"


def nbgrader_meta(grade_id, *, solution=False, grade=False, locked=False, points=None):
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3, "solution": solution,
            "task": False}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def build_source(lesson, hidden):
    """The nbgrader source notebook of one lesson."""
    nb = nbformat.read(lesson, as_version=4)
    sol_path = solutions_of(lesson)
    sol = nbformat.read(sol_path, as_version=4) if sol_path.exists() else nbformat.v4.new_notebook()
    title = nb.cells[0].source.splitlines()[0].lstrip("# ").strip()
    out = nbformat.v4.new_notebook(metadata={"kernelspec": nb.metadata.get("kernelspec", {}),
                                             "language_info": {"name": "python"}})
    cells = out.cells
    questions = [q for _, qs in spec(nb) for q in qs]
    items, groups = exercises(sol)
    auto = len(questions) * (CHECK_POINTS + HIDDEN_POINTS)
    manual = EXERCISE_POINTS * sum(1 for k, _ in items if k)
    cells.append(nbformat.v4.new_markdown_cell(
        f"# Assignment: {title}\n\n"
        f"From lesson {lesson.stem[:2]} of the course (`{lesson.name}`). "
        + (f"{len(questions)} function{'s' if len(questions) > 1 else ''} to write, graded automatically "
           f"({auto} points: {CHECK_POINTS} for the lesson's self-check, which you can run as often as you "
           f"like, {HIDDEN_POINTS} for further tests run when it is graded), then " if questions else "")
        + f"the lesson's exercises, graded by your instructor ({manual} points). Run the cells in order, "
        "write your answers where it says `YOUR CODE HERE` or `YOUR ANSWER HERE`, and press **Validate** "
        "before you submit. Do not change the cells you cannot edit: they are checked.",
        metadata=nbgrader_meta("intro", locked=True)))
    # the set-up cell (imports, seed); not the cell that installs d2lcore on a hosted notebook
    setup = next(c for c in nb.cells if c.cell_type == "code" and hosted.TAG not in c.metadata.get("tags", []))
    cells.append(nbformat.v4.new_code_cell(setup.source, metadata=nbgrader_meta("setup", locked=True)))
    defs = definitions([c for c in nb.cells] + [c for c in sol.cells])
    check_cells = {i: nb.cells[i].source for i, _ in spec(nb)}
    for index, qs in spec(nb):
        for q in qs:
            name = q["question"]
            if q["test"] not in check_cells[index].splitlines():
                raise DriftError(f"{lesson.name}: the test line {q['test']!r} of question {name!r} is no longer "
                                 f"in the lesson's cell {index}")
            missing = [d for d in q["define"] if d not in defs]
            if missing:
                raise DriftError(f"{lesson.name}: question {name!r} defines {missing}, which neither the lesson "
                                 "nor its worked solutions define")
            points = CHECK_POINTS + HIDDEN_POINTS
            cells.append(nbformat.v4.new_markdown_cell(f"## {name} ({points} points)\n\n{q['prompt']}",
                                                       metadata=nbgrader_meta(f"{name}-prompt", locked=True)))
            answer = "\n\n\n".join(with_solution_markers(*defs[d]) for d in q["define"])
            cells.append(nbformat.v4.new_code_cell(answer, metadata=nbgrader_meta(f"{name}-answer", solution=True)))
            cells.append(nbformat.v4.new_code_cell(
                f"# the lesson's self-check: its report says what is wrong\n{q['test']}",
                metadata=nbgrader_meta(f"{name}-check", grade=True, locked=True, points=CHECK_POINTS)))
            code = hidden.get(lesson.stem, {}).get(name)
            if not code:
                raise DriftError(f"{lesson.name}: question {name!r} has no hidden tests in assignments/hidden_tests.yml")
            cells.append(nbformat.v4.new_code_cell(
                "# further tests, run when your work is graded\n### BEGIN HIDDEN TESTS\n" + code.rstrip()
                + "\n### END HIDDEN TESTS",
                metadata=nbgrader_meta(f"{name}-hidden", grade=True, locked=True, points=HIDDEN_POINTS)))
    text_of = dict(items)
    if 0 in text_of:
        cells.append(nbformat.v4.new_markdown_cell(f"## Exercises\n\n{text_of[0]}",
                                                   metadata=nbgrader_meta("exercises", locked=True)))
    if any(g["code"] for g in groups):
        cells.append(nbformat.v4.new_code_cell(
            "# Run this cell before the exercises: it runs the lesson's code (its data, functions and trained\n"
            f"# models), from {lesson_file(lesson)} beside this notebook, with its output hidden. The lesson's\n"
            "# own functions replace yours from here on, so that a mistake above does not spread into the\n"
            "# exercises.\nimport d2lcore as d2l\n\n"
            f"d2l.infra.run_lesson({lesson_file(lesson)!r})",
            metadata=nbgrader_meta("lesson", locked=True)))
    question_names = {d for q in questions for d in q["define"]}
    answered = set()
    for group in groups:
        numbers = [n for n in group["numbers"] if n in text_of and n not in answered]
        answered |= set(numbers)
        for k in numbers:
            cells.append(nbformat.v4.new_markdown_cell(f"### Exercise {k} ({EXERCISE_POINTS} points)\n\n{text_of[k]}",
                                                       metadata=nbgrader_meta(f"exercise{k}", locked=True)))
        for k in numbers:
            cells.append(nbformat.v4.new_markdown_cell(
                f"{BEGIN}\nWorked solution, for the grader:\n\n{group['text']}\n{END}",
                metadata=nbgrader_meta(f"exercise{k}-answer", solution=True, grade=True, points=EXERCISE_POINTS)))
        if group["code"] and numbers:
            which = " and ".join(map(str, numbers))
            code = "\n\n\n".join(without_definitions(c, question_names) for c in group["code"])
            # an answer cell not graded by itself (nbgrader's "autograded answer" without a test): the
            # instructor reads its output when grading the written answers, which carry the points (a
            # graded code cell would count in formgrader's code score, the autograded one)
            cells.append(nbformat.v4.new_code_cell(
                f"# Exercise{'s' if len(numbers) > 1 else ''} {which}: your code (it runs after the lesson's code; "
                f"your instructor reads it and its output with your answer{'s' if len(numbers) > 1 else ''} above)\n"
                f"{BEGIN}\n{code.rstrip()}\n{END}",
                metadata=nbgrader_meta(f"exercise{numbers[0]}-code", solution=True)))
    unanswered = sorted(set(text_of) - answered - {0})
    if unanswered:
        raise DriftError(f"{lesson.name}: exercises {unanswered} have no worked solution in {sol_path.name}")
    return out


def solved(source_notebook):
    """grade_id -> the instructor's solution code, markers removed, of every code answer cell: what a
    student who solved the assignment wrote (the tests' correct submissions)."""
    src = nbformat.read(source_notebook, as_version=4)
    return {c.metadata.nbgrader.grade_id: "\n".join(line for line in c.source.splitlines()
                                                    if line.strip() not in (BEGIN, END))
            for c in src.cells if c.metadata.get("nbgrader", {}).get("solution") and c.cell_type == "code"}


def load_hidden():
    return yaml.safe_load((ROOT / "assignments" / "hidden_tests.yml").read_text()) or {}


CONFIG = """\
# nbgrader's configuration for this course folder, written by ./course assignments
c = get_config()  # noqa: F821
c.CourseDirectory.root = {root!r}
c.CourseDirectory.course_id = "d2lcore"
c.Execute.timeout = {timeout}            # seconds a cell may run when graded (a loop that never ends)
c.Execute.interrupt_on_timeout = True
c.LimitOutput.max_lines = 1000           # what a cell may print into the graded copy
c.LimitOutput.max_traceback = 100
c.ClearSolutions.code_stub = {{"python": "# YOUR CODE HERE\\nraise NotImplementedError()"}}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
"""


def nbgrader(course, *args):
    # nbgrader runs `alembic` (its gradebook's migrations) from PATH: this environment's
    env = dict(os.environ, PATH=f"{pathlib.Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    run = subprocess.run([sys.executable, "-m", "nbgrader", *args, "--log-level=WARN"], cwd=course,
                         capture_output=True, text=True, env=env)
    if run.returncode:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed:\n{run.stdout[-3000:]}{run.stderr[-3000:]}")
    return run


def build(out, timeout=120):
    out = pathlib.Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    (out / "nbgrader_config.py").write_text(CONFIG.format(root=str(out), timeout=timeout))
    hidden = load_hidden()
    names = []
    for lesson in lessons():
        src = build_source(lesson, hidden)
        folder = out / "source" / lesson.stem
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        nbformat.write(src, str(folder / f"{lesson.stem}.ipynb"))
        if any(c.metadata.nbgrader.get("grade_id") == "lesson" for c in src.cells):
            nbformat.write(lesson_code(lesson), str(folder / lesson_file(lesson)))
        names.append(lesson.stem)
    nbgrader(out, "generate_assignment", "*", "--force")  # all at once: one start of nbgrader, not 17
    leaks = released_solution_code(out, hidden)
    if leaks:
        raise RuntimeError("the students' copies hold solution code or hidden tests:\n" + "\n".join(leaks[:20]))
    return names


def released_solution_code(out, hidden):
    """Lines of solution code or hidden tests found in the released notebooks (must be none)."""
    leaks = []
    for lesson in lessons():
        src = nbformat.read(out / "source" / lesson.stem / f"{lesson.stem}.ipynb", as_version=4)
        rel = (out / "release" / lesson.stem / f"{lesson.stem}.ipynb").read_text()
        secret = set()
        for cell in src.cells:
            grading = cell.metadata.get("nbgrader", {})
            text = cell.source
            if grading.get("solution") and BEGIN in text:
                inside = text.split(BEGIN, 1)[1].split(END, 1)[0]
                secret |= {line.strip() for line in inside.splitlines() if len(line.strip()) > 12}
        for code in hidden.get(lesson.stem, {}).values():
            secret |= {line.strip() for line in code.splitlines() if len(line.strip()) > 12}
        # a line the students' copy shows anyway (the set-up cell's seed, a self-check) is no secret
        secret -= {line.strip() for cell in src.cells if not cell.metadata.get("nbgrader", {}).get("solution")
                   for line in cell.source.splitlines()}
        for line in sorted(secret):
            # as JSON writes it: escaped quotes and backslashes; non-ASCII (—, ×, Chinese) raw, as nbformat
            # writes it, or escaped, as other tools may
            if json.dumps(line, ensure_ascii=False)[1:-1] in rel or json.dumps(line)[1:-1] in rel:
                leaks.append(f"{lesson.stem}: {line}")
        # the other released files (the lesson's code, which students have in the course anyway) may
        # hold the lesson's own lines (the questions ask to write the lesson's functions), nothing else
        published = {line.strip() for c in nbformat.read(lesson, as_version=4).cells if c.cell_type == "code"
                     for line in c.source.splitlines()}
        for other in sorted((out / "release" / lesson.stem).rglob("*")):
            if other.is_file() and other.suffix != ".ipynb":
                try:
                    shipped = {line.strip() for c in nbformat.read(other, as_version=4).cells
                               for line in c.source.splitlines()}
                except Exception:  # not a notebook: its lines
                    shipped = {line.strip() for line in other.read_text(errors="replace").splitlines()}
                leaks += [f"{lesson.stem}/{other.name}: {line}" for line in sorted((secret - published) & shipped)]
    return leaks


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", nargs="?", default=str(ROOT / "_assignments"))
    parser.add_argument("--timeout", type=int, default=120, help="seconds a cell may run when graded (default 120: the cell that runs the lesson takes up to 30 s on a quiet 2-core machine)")
    args = parser.parse_args()
    names = build(args.out, args.timeout)
    print(f"{len(names)} assignments in {args.out}: source/ (yours, with solutions and hidden tests), "
          f"release/ (the students' copies: no solution, no hidden test — checked)")


if __name__ == "__main__":
    main()
