"""The arrows between d2lcore's layers run one way: the lessons' code (d2lcore/*.py) may use
d2lcore.infra, and infra imports nothing of the lessons' code."""
import ast
import pathlib

INFRA = pathlib.Path(__file__).resolve().parents[1] / "d2lcore" / "infra"


def upward_imports(path):
    """The imports in `path` (a file in infra/ or a folder below it) that reach d2lcore's lesson modules."""
    upward, depth = [], len(path.relative_to(INFRA).parts)  # 1 for infra/x.py, 2 for infra/sub/x.py
    name = path.relative_to(INFRA).as_posix()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level > depth:  # from ..x in infra/x.py: d2lcore's top level
            upward.append(f"{name}: from {'.' * node.level}{node.module or ''} import ...")
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] == "d2lcore" \
                and not node.module.startswith("d2lcore.infra"):
            upward.append(f"{name}: from {node.module} import ...")
        elif isinstance(node, ast.Import) and any(a.name == "d2lcore" or (a.name.startswith("d2lcore.")
                                                  and not a.name.startswith("d2lcore.infra")) for a in node.names):
            upward.append(f"{name}: import {', '.join(a.name for a in node.names)}")
    return upward


def test_infra_imports_nothing_from_the_lesson_modules():
    files = sorted(INFRA.rglob("*.py"))  # a subpackage of infra too
    assert len(files) > 5
    upward = [line for path in files for line in upward_imports(path)]
    assert upward == [], upward


def test_an_upward_import_is_found_at_any_depth_in_infra(tmp_path, monkeypatch):
    infra = tmp_path / "infra"
    (infra / "sub").mkdir(parents=True)
    cases = {"a.py": "from ..metrics import accuracy\nfrom .guards import describe\n",
             "b.py": "import d2lcore.metrics\nfrom d2lcore import metrics\nfrom d2lcore.infra import guards\n",
             "sub/c.py": "from ...losses import huber_loss\nfrom ..guards import describe\nfrom . import d\n"}
    for name, src in cases.items():
        (infra / name).write_text(src)
    monkeypatch.setitem(globals(), "INFRA", infra)
    assert upward_imports(infra / "a.py") == ["a.py: from ..metrics import ..."]
    assert upward_imports(infra / "b.py") == ["b.py: import d2lcore.metrics", "b.py: from d2lcore import ..."]
    assert upward_imports(infra / "sub" / "c.py") == ["sub/c.py: from ...losses import ..."]
