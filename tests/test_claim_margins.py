"""scripts/claim_margins.py measures the lessons' claims; these tests keep it honest and in step.

The measurement itself trains ~50 models per seed and profile, so it is not part of the test
run; what is checked here is that every claim it measures is still asserted, with the same
threshold, in its lesson, at exactly one assert, with a value that names only what the lesson
defines; that every lesson that asserts about training is measured; that the runner measures at
the assert, shifts every seed and never raises an assert (on a two-cell notebook made here); that
the documented table lists every claim; and that the table reports worst and best the right way round.
"""
import ast
import builtins
import importlib.util
import json
import pathlib
import random

import numpy as np
import pytest
import torch

ROOT = pathlib.Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("claim_margins", ROOT / "scripts" / "claim_margins.py")
cm = importlib.util.module_from_spec(spec)
spec.loader.exec_module(cm)
LESSONS = sorted({c.lesson for c in cm.CLAIMS})


def lesson_code(lesson):
    """The code of a lesson and of its worked solutions (notebooks/solutions/)."""
    return "\n".join(src for _, src, _ in cm.code_cells(cm.notebooks(lesson)))


def bound_names(code):
    """Every name the code binds anywhere (assignments, loops, functions and their arguments, imports)."""
    names = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.alias):
            names.add((node.asname or node.name).split(".")[0])
    return names


def test_a_claim_names_its_text_whole():
    assert cm.names("assert gap < 0.005, gap", "assert gap < 0.005") and cm.names("a and b < 0.1)", "b < 0.1")
    assert not cm.names("assert gap < 0.0051", "assert gap < 0.005")  # a threshold changed by a digit
    assert not cm.names("assert max_gap < 0.005", "gap < 0.005") and not cm.names("x.gap < 1", "gap < 1")
    assert not cm.names("assert w_err.max() < 0.015", "assert w_err.max() < 0.01")


@pytest.mark.parametrize("claim", cm.CLAIMS, ids=lambda c: f"{c.lesson}: {c.what}")
def test_every_measured_claim_is_asserted_in_its_lesson(claim):
    assert cm.names(lesson_code(claim.lesson), claim.asserted), (
        f"lesson {claim.lesson} no longer contains {claim.asserted!r}: update the claim in "
        f"scripts/lesson_claims.py, re-run scripts/claim_margins.py and the table in {cm.TABLE_DOC.name}")


@pytest.mark.parametrize("lesson", LESSONS)
def test_every_claim_names_one_assert_and_only_the_lessons_names(lesson):
    claims = [c for c in cm.CLAIMS if c.lesson == lesson]
    at = cm.claims_at(claims, list(cm.code_cells(cm.notebooks(lesson))))  # raises where a text names two asserts
    assert [c.what for c in at.get(None, [])] in ([], ["naive softmax at lr 1.0 stops (1 = stopped)"])
    known = bound_names(lesson_code(lesson)) | set(dir(builtins)) | {"finite", "math", "re", "_raised"}
    for claim in claims:
        unknown = {n.id for n in ast.walk(ast.parse(claim.value, mode="eval")) if isinstance(n, ast.Name)}
        unknown -= known | bound_names(claim.value)  # (a comprehension's own variables)
        assert not unknown, f"lesson {lesson}, {claim.what!r}: {claim.value} names {unknown}, not in the lesson"


def calls_d2l_train(src):
    """Whether a code cell calls d2l.train(...) (not in a comment or a string; a cell may hold magics)."""
    from IPython.core.inputtransformer2 import TransformerManager
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "train"
               and isinstance(n.func.value, ast.Name) and n.func.value.id == "d2l"
               for n in ast.walk(ast.parse(TransformerManager().transform_cell(src))))


# the lessons (notebooks/NN_*.ipynb) with a code cell that trains with d2l.train
TRAINING_LESSONS = sorted(p.name[:2] for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")
                          if any(calls_d2l_train(src) for _, src, _ in cm.code_cells([p])))


def test_the_lessons_that_train_are_found():
    assert TRAINING_LESSONS  # else the test below would check nothing
    assert not calls_d2l_train("# d2l.train(net)\nprint('d2l.train(')") and calls_d2l_train("%matplotlib inline\nd2l.train(net)")


@pytest.mark.parametrize("lesson", TRAINING_LESSONS)
def test_every_lesson_that_trains_on_fashion_mnist_is_measured(lesson):
    assert lesson in LESSONS, f"lesson {lesson} trains with d2l.train but no claim of it is measured"


def notebook(path, *cells):
    path.write_text(json.dumps({"cells": [{"cell_type": "code", "source": src, "metadata": {"tags": tags}}
                                          for src, tags in cells]}))
    return path


def test_the_runner_measures_at_the_assert_with_every_seed_shifted(tmp_path):
    lesson = notebook(tmp_path / "99_x.ipynb",
                      ("import torch\ntorch.manual_seed(3)\nx = torch.rand(1).item()\nassert x > 2", []),
                      # the worst value comes first: a runner that kept the last one would give 1
                      ("for i in (3, 0, 1):\n    assert i < 1, 'fails for i = 3'\ni = -1", []),
                      ("import random\nimport numpy as np\nrandom.seed(6)\nw = random.random()\nassert w > 2\n"
                       "z = np.random.default_rng(4).random()\nassert z > 2\nnp.random.seed(7)\nv = np.random.rand()\n"
                       "assert v > 2", []),
                      ("raise ValueError('on purpose')", [cm.RAISES]))
    solutions = notebook(tmp_path / "99_x_solutions.ipynb",
                         ("import d2lcore as d2l\nd2l.infra.run_lesson('../99_x.ipynb')", []),  # not run
                         ("g = torch.Generator().manual_seed(5)\ny = torch.rand(1, generator=g).item()\n"
                          "assert y > 2", []))
    claims = [cm.Claim("99", "x", "x", ">", 2, "x > 2"), cm.Claim("99", "i", "i", "<", 1, "i < 1"),
              cm.Claim("99", "w", "w", ">", 2, "w > 2"), cm.Claim("99", "z", "z", ">", 2, "z > 2"),
              cm.Claim("99", "v", "v", ">", 2, "v > 2"),
              cm.Claim("99", "y", "y", ">", 2, "y > 2"),
              cm.Claim("99", "raised", "len(_raised)", ">=", 1, "on purpose")]
    seeders = (random.seed, np.random.seed, np.random.default_rng, torch.manual_seed, torch.Generator)
    for s in (0, 2):
        values = cm.run_lesson(claims, [lesson, solutions], s)
        # the seeds are as they were after the run: the five functions the runner shifted are the originals
        assert (random.seed, np.random.seed, np.random.default_rng, torch.manual_seed, torch.Generator) == seeders
        seed = cm.SEED_STRIDE * s
        torch.manual_seed(3 + seed)
        assert values["x"] == torch.rand(1).item()
        assert values["y"] == torch.rand(1, generator=torch.Generator().manual_seed(5 + seed)).item()
        assert values["i"] == 3  # the worst of the loop's three, not the last, nor the -1 after it
        random.seed(6 + seed)
        assert values["w"] == random.random()
        assert values["z"] == np.random.default_rng(4 + seed).random()
        np.random.seed(7 + seed)
        assert values["v"] == np.random.rand()
        assert values["raised"] == 1
    assert torch.Generator is torch._C.Generator
    with pytest.raises(RuntimeError, match="bad.ipynb, cell 1 failed: ZeroDivisionError"):
        cm.run_lesson(claims, [notebook(tmp_path / "bad.ipynb", ("1 / 0", []))], 0)


def test_the_documented_table_lists_every_claim():
    text = cm.TABLE_DOC.read_text(encoding="utf-8")
    rows = [line.split(" | ")[:3] for line in text.splitlines() if line.startswith("| ") and line.endswith("/25 |")]
    documented = [(lesson[2:], what, threshold) for lesson, what, threshold in rows]
    measured = [(c.lesson, c.what.replace("|", "\\|"), f"{c.op} {cm.fmt(c.threshold)}") for c in cm.CLAIMS]
    assert documented == measured, f"re-run scripts/claim_margins.py --write: {cm.TABLE_DOC.name} is out of step"


def test_worst_is_the_value_closest_to_failing():
    above = cm.Claim("99", "accuracy", None, ">=", 0.8, "")
    below = cm.Claim("99", "loss ratio", None, "<", 0.5, "")
    assert above.worst_best([0.9, 0.81, 0.85]) == (0.81, 0.9)
    assert below.worst_best([0.3, 0.45, 0.2]) == (0.45, 0.2)
    assert above.holds(0.8) and not above.holds(0.79)
    assert not below.holds(0.5) and below.holds(0.49)


def test_table_counts_a_claim_that_fails_in_one_run(monkeypatch):
    claims = [cm.Claim("99", "acc | not a column", "acc", ">", 0.8, ""), cm.Claim("99", "steps", "steps", "<=", 10, "")]
    monkeypatch.setattr(cm, "CLAIMS", claims)
    rows = [{"lesson": "99", "seed": s, "profile": p, "values": {"acc | not a column": a, "steps": st}}
            for s, p, a, st in [(0, "ref", 0.9, 3), (1, "ref", 0.85, 4), (0, "1t", 0.79, float("inf"))]]
    text, failing = cm.table(rows)
    assert failing == 2
    assert "| 99 | acc \\| not a column | > 0.8 | 0.79 | 0.9 | 2/3 |" in text
    assert "| 99 | steps | <= 10 | never | 3 | 2/3 |" in text
    assert "2 seeds x 2 profiles (ref, 1t)" in text


def test_writing_some_lessons_keeps_the_other_lessons_rows(monkeypatch, tmp_path):
    claims = [cm.Claim("98", "loss", "loss", "<", 1, ""), cm.Claim("99", "acc", "acc", ">", 0.8, ""),
              cm.Claim("99", "steps", "steps", "<=", 10, "")]
    monkeypatch.setattr(cm, "CLAIMS", claims)
    doc = tmp_path / "claims.md"
    monkeypatch.setattr(cm, "TABLE_DOC", doc)
    rows = [{"lesson": l, "seed": s, "profile": "ref", "values": v} for s in (0, 1)
            for l, v in [("98", {"loss": 0.5}), ("99", {"acc": 0.9, "steps": 3})]]
    doc.write_text("# Claims\n\n" + cm.table(rows)[0] + "\n\nMore prose.\n")
    # lesson 99 re-measured: one run of its acc claim now fails; lesson 98's row stays as it was
    again = [{"lesson": "99", "seed": s, "profile": "ref", "values": {"acc": a, "steps": 4}} for s, a in [(0, 0.7), (1, 0.95)]]
    cm.write_table(cm.table(again)[0], {"99"})
    text = doc.read_text()
    assert "| 98 | loss | < 1 | 0.5 | 0.5 | 2/2 |\n| 99 | acc | > 0.8 | 0.7 | 0.95 | 1/2 |\n| 99 | steps | <= 10 | 4 | 4 | 2/2 |" in text
    assert "2 seeds x 1 profiles (ref); 1 claim(s) fail somewhere.\n\nMore prose.\n" in text
    assert text.startswith("# Claims\n\n| lesson | claim |")
    # other seeds or profiles than the table's would mix two kinds of rows: refused
    with pytest.raises(SystemExit, match="has 2 seeds x 1 profiles .* this run has 1 seeds x 1 profiles"):
        cm.write_table(cm.table(again[:1])[0], {"99"})


def test_profiles_cover_every_kernel_level_and_thread_count():
    levels = {p.get("ATEN_CPU_CAPABILITY", "best") for p in cm.PROFILES.values()}
    threads = {p["OMP_NUM_THREADS"] for p in cm.PROFILES.values()}
    assert {"default", "avx2", "best"} <= levels and threads == {"1", "2", "4"}
    # the second profile of ./course test is among them
    course = (ROOT / "course").read_text()
    assert "ATEN_CPU_CAPABILITY=default MKL_ENABLE_INSTRUCTIONS=AVX2" in course
    assert cm.PROFILES["default-1t"] == {"ATEN_CPU_CAPABILITY": "default", "MKL_ENABLE_INSTRUCTIONS": "AVX2",
                                         "ONEDNN_MAX_CPU_ISA": "AVX2", "OMP_NUM_THREADS": "1"}
