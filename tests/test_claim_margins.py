"""scripts/claim_margins.py measures the lessons' claims; these tests keep it honest and in step.

The measurement itself trains ~50 models per seed and profile, so it is not part of the test
run; what is checked here is that every claim it measures is still asserted, with the same
threshold, in its lesson, that every lesson that asserts about training is measured, and that
the table reports worst and best the right way round.
"""
import importlib.util
import json
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("claim_margins", ROOT / "scripts" / "claim_margins.py")
cm = importlib.util.module_from_spec(spec)
spec.loader.exec_module(cm)


def lesson_code(lesson):
    """The code of a lesson and of its worked solutions (notebooks/solutions/)."""
    (path,) = (ROOT / "notebooks").glob(f"{lesson}_*.ipynb")
    solutions = path.parent / "solutions" / f"{path.stem}_solutions.ipynb"
    cells = [c for p in (path, solutions) for c in json.loads(p.read_text(encoding="utf-8"))["cells"]]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")


@pytest.mark.parametrize("claim", cm.CLAIMS, ids=lambda c: f"{c.lesson}: {c.what}")
def test_every_measured_claim_is_asserted_in_its_lesson(claim):
    assert claim.asserted in lesson_code(claim.lesson), (
        f"lesson {claim.lesson} no longer contains {claim.asserted!r}: update the claim in "
        f"scripts/claim_margins.py, re-run it and the README table")


def test_every_claim_names_an_experiment():
    assert set(cm.EXPERIMENTS) == {c.lesson for c in cm.CLAIMS}


@pytest.mark.parametrize("lesson", ["04", "05", "06", "07", "08", "10", "11", "12", "13", "14", "15"])
def test_every_lesson_that_trains_on_fashion_mnist_is_measured(lesson):
    assert "d2l.train(" in lesson_code(lesson)
    assert lesson in cm.EXPERIMENTS


def test_worst_is_the_value_closest_to_failing():
    above = cm.Claim("99", "accuracy", None, ">=", 0.8, "")
    below = cm.Claim("99", "loss ratio", None, "<", 0.5, "")
    assert above.worst_best([0.9, 0.81, 0.85]) == (0.81, 0.9)
    assert below.worst_best([0.3, 0.45, 0.2]) == (0.45, 0.2)
    assert above.holds(0.8) and not above.holds(0.79)
    assert not below.holds(0.5) and below.holds(0.49)


def test_table_counts_a_claim_that_fails_in_one_run(monkeypatch):
    claims = [cm.Claim("99", "acc | not a column", lambda r: r["acc"], ">", 0.8, ""),
              cm.Claim("99", "steps", lambda r: r["steps"], "<=", 10, "")]
    monkeypatch.setattr(cm, "CLAIMS", claims)
    rows = [{"lesson": "99", "seed": s, "profile": p, "values": {"acc": a, "steps": st}}
            for s, p, a, st in [(0, "ref", 0.9, 3), (1, "ref", 0.85, 4), (0, "1t", 0.79, float("inf"))]]
    text, failing = cm.table(rows)
    assert failing == 2
    assert "| 99 | acc \\| not a column | > 0.8 | 0.79 | 0.9 | 2/3 |" in text
    assert "| 99 | steps | <= 10 | never | 3 | 2/3 |" in text
    assert "2 seeds x 2 profiles (ref, 1t)" in text


def test_profiles_cover_every_kernel_level_and_thread_count():
    levels = {p.get("ATEN_CPU_CAPABILITY", "best") for p in cm.PROFILES.values()}
    threads = {p["OMP_NUM_THREADS"] for p in cm.PROFILES.values()}
    assert {"default", "avx2", "best"} <= levels and threads == {"1", "2", "4"}
    # the second profile of ./course test is among them
    course = (ROOT / "course").read_text()
    assert "ATEN_CPU_CAPABILITY=default MKL_ENABLE_INSTRUCTIONS=AVX2" in course
    assert cm.PROFILES["default-1t"] == {"ATEN_CPU_CAPABILITY": "default", "MKL_ENABLE_INSTRUCTIONS": "AVX2",
                                         "ONEDNN_MAX_CPU_ISA": "AVX2", "OMP_NUM_THREADS": "1"}
