"""./course test-versions: its legs pin what pyproject.toml promises, and it reads pytest's verdicts."""
import pathlib
import re
import sys
import tomllib

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import version_matrix as V  # noqa: E402


def test_the_oldest_leg_pins_exactly_the_lower_bounds_of_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    deps = project["dependencies"] + [d for extra in project["optional-dependencies"].values() for d in extra]
    bounds = {m[1]: m[2] for d in deps if (m := re.match(r"([A-Za-z0-9_.-]+)>=([0-9.]+)", d))}
    for name, version in V.OLDEST.items():
        assert bounds[name] in (version, version.removesuffix(".0")), (name, bounds[name], version)


def test_every_python_the_package_allows_is_a_leg():
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    oldest = requires.removeprefix(">=")
    assert {LEG[0] for LEG in V.LEGS.values()} >= {oldest, "3.12", "3.13"}
    assert V.LEGS["py3.11-oldest"] == (oldest, V.OLDEST)


def test_pytests_last_line_is_read_as_counts():
    assert V.outcome("....\n12 passed, 1 skipped in 3.2s\n") == {"passed": 12, "skipped": 1}
    assert V.outcome("F.\n=== 1 failed, 3 passed, 2 errors in 10.00s ===\n") == {"failed": 1, "passed": 3, "error": 2}
    assert V.outcome("no tests ran") == {}


def test_the_newest_python_leg_runs_two_lessons_and_the_core_unit_tests(tmp_path):
    # CI's smoke test of ./course test-versions: the newest Python with the newest packages, two
    # lessons (lax) and four unit-test files; its environment is kept between runs (~2 min to build)
    import json
    import subprocess

    import pytest
    try:
        V.python_for("3.13")
    except SystemExit as e:
        pytest.skip(str(e))
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "version_matrix.py"), "--quick", "py3.13-newest",
                          "--out", str(tmp_path)], capture_output=True, text=True, timeout=1500)
    [result] = json.loads((tmp_path / "versions.json").read_text())
    log = (tmp_path / "py3.13-newest.log").read_text()
    assert run.returncode == 0 and result["passed"], run.stdout[-2000:] + log[-4000:]
    assert result["python"].startswith("3.13.") and result["notebooks"].get("passed", 0) >= 30
    assert result["units"].get("passed", 0) >= 40 and not result["units"].get("failed")
