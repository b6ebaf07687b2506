"""The arrows between d2lcore's layers run one way: the lessons' code (d2lcore/*.py) may use
d2lcore.infra, and infra imports nothing of the lessons' code."""
import ast
import pathlib

INFRA = pathlib.Path(__file__).resolve().parents[1] / "d2lcore" / "infra"


def test_infra_imports_nothing_from_the_lesson_modules():
    upward = []
    for path in sorted(INFRA.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level >= 2:  # from ..x (d2lcore's top level)
                upward.append(f"{path.name}: from {'.' * node.level}{node.module or ''} import ...")
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("d2lcore") \
                    and not node.module.startswith("d2lcore.infra"):
                upward.append(f"{path.name}: from {node.module} import ...")
            elif isinstance(node, ast.Import) and any(a.name == "d2lcore" or (a.name.startswith("d2lcore.")
                                                      and not a.name.startswith("d2lcore.infra")) for a in node.names):
                upward.append(f"{path.name}: import {', '.join(a.name for a in node.names)}")
    assert upward == [], upward
