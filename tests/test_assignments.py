"""./course assignments: every lesson as an nbgrader assignment, derived from the lesson itself."""
import json
import pathlib
import shutil
import subprocess
import sys

import nbformat
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import assignments as A  # noqa: E402

pytest.importorskip("nbgrader", reason="nbgrader is not installed (./course setup installs it)")


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    out = tmp_path_factory.mktemp("course")
    A.build(out)
    return out


def cells(nb, kind):
    return [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id", "").endswith(kind)]


def test_every_lesson_becomes_an_assignment_in_source_and_release(course):
    lessons = [p.stem for p in A.lessons()]
    assert len(lessons) == 17
    for name in lessons:
        assert (course / "source" / name / f"{name}.ipynb").exists()
        assert (course / "release" / name / f"{name}.ipynb").exists()


def test_the_students_copy_holds_no_solution_code_and_no_hidden_test(course):
    assert A.released_solution_code(course, A.load_hidden()) == []
    hidden = A.load_hidden()
    for lesson in A.lessons():
        release = nbformat.read(course / "release" / lesson.stem / f"{lesson.stem}.ipynb", as_version=4)
        text = json.dumps([c.source for c in release.cells])
        assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text
        for answer in cells(release, "-answer"):
            assert "YOUR CODE HERE" in answer.source or "YOUR ANSWER HERE" in answer.source, answer.source
        for code in hidden.get(lesson.stem, {}).values():  # not one line of a hidden test
            assert not any(line.strip() in text for line in code.splitlines() if len(line.strip()) > 12)


def test_the_leak_search_finds_solution_code_planted_in_a_release(course, tmp_path):
    shutil.copytree(course, tmp_path / "c")
    path = tmp_path / "c" / "release" / "01_linear_regression_scratch" / "01_linear_regression_scratch.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("param -= lr * param.grad / batch_size"))
    nbformat.write(nb, str(path))
    assert any("param.grad / batch_size" in leak for leak in A.released_solution_code(tmp_path / "c", A.load_hidden()))


def test_the_leak_search_finds_a_planted_solution_line_that_is_not_ascii(course, tmp_path):
    # the search looked for the line JSON-escaped (— as \u2014), but nbformat writes it as it is
    shutil.copytree(course, tmp_path / "c")
    found = []
    for lesson in A.lessons():
        src = nbformat.read(tmp_path / "c" / "source" / lesson.stem / f"{lesson.stem}.ipynb", as_version=4)
        found += [(lesson.stem, line.strip()) for c in src.cells
                  if c.metadata.get("nbgrader", {}).get("solution") and A.BEGIN in c.source
                  for line in c.source.split(A.BEGIN, 1)[1].split(A.END, 1)[0].splitlines()
                  if len(line.strip()) > 12 and not line.isascii()]
    assert found, "no solution line beyond ASCII left to plant"
    name, secret = found[0]
    path = tmp_path / "c" / "release" / name / f"{name}.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell(secret))
    nbformat.write(nb, str(path))
    assert any(secret in leak for leak in A.released_solution_code(tmp_path / "c", A.load_hidden()))


def test_each_question_asks_for_the_lessons_own_code_checked_by_the_lessons_self_check(course):
    questions = 0
    for lesson in A.lessons():
        nb = nbformat.read(lesson, as_version=4)
        source = nbformat.read(course / "source" / lesson.stem / f"{lesson.stem}.ipynb", as_version=4)
        release = nbformat.read(course / "release" / lesson.stem / f"{lesson.stem}.ipynb", as_version=4)
        defs = A.definitions(nb.cells + nbformat.read(A.solutions_of(lesson), as_version=4).cells)
        for index, qs in A.spec(nb):
            for q in qs:
                questions += 1
                answer = next(c for c in cells(source, "-answer") if c.metadata.nbgrader.grade_id == f"{q['question']}-answer")
                # the solution is the lesson's definition, word for word, markers aside
                unmarked = "\n".join(line for line in answer.source.splitlines() if line.strip() not in (A.BEGIN, A.END))
                assert unmarked == "\n\n\n".join(defs[d][1] for d in q["define"])
                check = next(c for c in cells(release, "-check") if c.metadata.nbgrader.grade_id == f"{q['question']}-check")
                assert q["test"] in check.source and q["test"] in nb.cells[index].source.splitlines()
                assert check.metadata.nbgrader.points == A.CHECK_POINTS and check.metadata.nbgrader.locked
    assert questions == 14  # lessons 01, 03, 04, 07, 10, 11, 12, 13, 14, 15


def test_exercises_are_manually_graded_with_the_worked_solution_for_the_grader(course):
    source = nbformat.read(course / "source" / "07_softmax_numerics" / "07_softmax_numerics.ipynb", as_version=4)
    release = nbformat.read(course / "release" / "07_softmax_numerics" / "07_softmax_numerics.ipynb", as_version=4)
    written = [c for c in source.cells if c.metadata.get("nbgrader", {}).get("grade_id", "").endswith("-answer")
               and c.metadata.nbgrader.grade_id.startswith("exercise")]
    assert len(written) == 5 and all(c.metadata.nbgrader.solution and c.metadata.nbgrader.grade for c in written)
    assert all(c.cell_type == "markdown" for c in written)
    assert "smallest *normal* number" in written[0].source  # the worked solution 1, for the grader
    assert "smallest *normal* number" not in json.dumps([c.source for c in release.cells])


def test_exercises_with_code_answers_get_a_code_cell_holding_the_worked_solutions_code(course):
    for lesson in A.lessons():
        sol = nbformat.read(A.solutions_of(lesson), as_version=4)
        _, groups = A.exercises(sol)
        source = nbformat.read(course / "source" / lesson.stem / f"{lesson.stem}.ipynb", as_version=4)
        release = nbformat.read(course / "release" / lesson.stem / f"{lesson.stem}.ipynb", as_version=4)
        code = {c.metadata.nbgrader.grade_id: c for c in source.cells if c.metadata.get("nbgrader", {}).get("grade_id", "").endswith("-code")}
        for group in groups:
            if not group["code"]:
                continue
            cell = code[f"exercise{group['numbers'][0]}-code"]
            # graded with the written answers, not by itself (it would count in formgrader's code score)
            assert cell.metadata.nbgrader.solution and not cell.metadata.nbgrader.grade
            for worked in group["code"]:  # every line of it, but for a question's function (written above)
                for line in worked.splitlines():
                    assert line in cell.source or line.startswith((" ", "@", "def ", "class ")), (lesson.stem, line)
        stubs = [c for c in release.cells if c.metadata.get("nbgrader", {}).get("grade_id", "").endswith("-code")]
        assert len(stubs) == len(code) and all("YOUR CODE HERE" in c.source for c in stubs)
        # every exercise's points are its written answer's
        points = {}
        for c in source.cells:
            g = c.metadata.get("nbgrader", {})
            if g.get("grade_id", "").startswith("exercise") and g.get("points"):
                points[g["grade_id"].split("-")[0]] = points.get(g["grade_id"].split("-")[0], 0) + g["points"]
        assert sum(points.values()) == A.EXERCISE_POINTS * sum(1 for k, _ in A.exercises(sol)[0] if k), lesson.stem


def test_the_lesson_ships_beside_its_assignment_as_its_code_cells_only(course):
    for lesson in A.lessons():
        shipped = course / "release" / lesson.stem / A.lesson_file(lesson)
        nb = nbformat.read(lesson, as_version=4)
        code = nbformat.read(shipped, as_version=4)
        assert [c.source for c in code.cells] == [c.source for c in nb.cells if c.cell_type == "code"]
        assert all(c.cell_type == "code" and not c.outputs for c in code.cells)
        release = nbformat.read(course / "release" / lesson.stem / f"{lesson.stem}.ipynb", as_version=4)
        runner = [c for c in release.cells if c.metadata.nbgrader.get("grade_id") == "lesson"]
        assert len(runner) == 1 and f"run_lesson({A.lesson_file(lesson)!r})" in runner[0].source
        assert runner[0].metadata.nbgrader.locked


def test_the_leak_search_finds_an_exercises_code_planted_in_a_shipped_file(course, tmp_path):
    shutil.copytree(course, tmp_path / "c")
    name = "10_backprop_optimizers"
    path = tmp_path / "c" / "release" / name / f"{name}.lesson.json"
    nb = nbformat.read(path, as_version=4)
    src = nbformat.read(tmp_path / "c" / "source" / name / f"{name}.ipynb", as_version=4)
    secret = next(c for c in src.cells if c.metadata.nbgrader.get("grade_id") == "exercise4-code").source
    line = next(x for x in secret.splitlines() if "nesterov" in x.lower() and len(x.strip()) > 12)
    nb.cells.append(nbformat.v4.new_code_cell(line))
    nbformat.write(nb, str(path))
    assert any(line.strip() in leak and ".lesson.json" in leak for leak in A.released_solution_code(tmp_path / "c", A.load_hidden()))


def _lesson_copy(tmp_path, lesson):
    (tmp_path / "solutions").mkdir()
    shutil.copy(lesson, tmp_path / lesson.name)
    shutil.copy(A.solutions_of(lesson), tmp_path / "solutions" / A.solutions_of(lesson).name)
    return tmp_path / lesson.name


def test_a_lesson_whose_self_check_line_changed_no_longer_builds(tmp_path, monkeypatch):
    lesson = _lesson_copy(tmp_path, next(A.LESSONS.glob("01_*.ipynb")))
    nb = nbformat.read(lesson, as_version=4)
    index = A.spec(nb)[0][0]
    nb.cells[index].source = nb.cells[index].source.replace("assert d2l.check_sgd(sgd)", "d2l.check_sgd(sgd)")
    nbformat.write(nb, str(lesson))
    monkeypatch.setattr(A, "LESSONS", tmp_path)
    with pytest.raises(A.DriftError, match="check_sgd"):
        A.build_source(lesson, A.load_hidden())


def test_a_lesson_that_renamed_the_function_no_longer_builds(tmp_path, monkeypatch):
    lesson = _lesson_copy(tmp_path, next(A.LESSONS.glob("01_*.ipynb")))
    text = lesson.read_text().replace("def sgd(params, lr, batch_size)", "def sgd_step(params, lr, batch_size)")
    lesson.write_text(text)
    monkeypatch.setattr(A, "LESSONS", tmp_path)
    with pytest.raises(A.DriftError, match="sgd"):
        A.build_source(lesson, A.load_hidden())


def test_points_are_stated_per_question_and_add_up(course):
    for lesson in A.lessons():
        source = nbformat.read(course / "source" / lesson.stem / f"{lesson.stem}.ipynb", as_version=4)
        graded = [c.metadata.nbgrader for c in source.cells if c.metadata.get("nbgrader", {}).get("grade")]
        auto = sum(g.points for g in graded if not g.solution)
        manual = sum(g.points for g in graded if g.solution)
        intro = source.cells[0].source
        assert f"({manual} points)" in intro and (not auto or f"({auto} points:" in intro), intro


def test_the_course_jupyterlab_shows_students_no_instructor_panels():
    # ./course sets it up: nbgrader's Assignments panel and Validate stay, formgrader and the rest go
    labs = subprocess.run([sys.executable, "-m", "jupyter", "labextension", "list"], capture_output=True, text=True)
    disabled = labs.stdout + labs.stderr
    disabled = disabled[disabled.find("Disabled extensions:"):]
    for plugin in ("@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment", "@jupyter/nbgrader:course-list"):
        assert plugin in disabled, labs.stdout + labs.stderr
    assert "@jupyter/nbgrader:assignment-list" not in disabled and "@jupyter/nbgrader:validate-assignment" not in disabled
    servers = subprocess.run([sys.executable, "-m", "jupyter", "server", "extension", "list"], capture_output=True, text=True)
    lines = {line.split()[0]: line for line in (servers.stdout + servers.stderr).splitlines() if "nbgrader.server_extensions" in line
             and "abled" in line}
    assert "disabled" in lines["nbgrader.server_extensions.formgrader"]
    assert "enabled" in lines["nbgrader.server_extensions.assignment_list"]
