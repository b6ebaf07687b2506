"""How thin is d2lcore? Lines, checks : computation per file, top-level names (issue #14's measures).

Lines: non-blank, non-comment source lines of d2lcore's lesson modules (everything except
`selfcheck/` and `infra/`, which a lesson does not need to read). A statement counts as a check
when it only validates input — an `if` whose body ends in `raise`, a bare `raise`, or a call to a
`check_*`/`guard_*` helper — and as computation otherwise (docstrings excluded).
"""
import ast
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1] / "d2lcore"
SKIP = ("selfcheck", "infra")


def _is_check(node):
    if isinstance(node, ast.Raise):
        return True
    if isinstance(node, ast.If) and node.body and isinstance(node.body[-1], ast.Raise) and not node.orelse:
        return True
    call = node.value if isinstance(node, (ast.Expr, ast.Assign)) else None
    if isinstance(call, ast.Call):
        f = call.func
        name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
        return name.startswith(("check_", "_check", "guard_"))
    return False


def _lines(node):
    return node.end_lineno - node.lineno + 1


def _walk_body(body, counts):
    for node in body:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            continue  # docstring
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            _walk_body(node.body, counts)
        elif _is_check(node):
            counts[0] += _lines(node)
        elif isinstance(node, (ast.For, ast.While, ast.With, ast.If, ast.Try)):
            counts[1] += 1
            for field in ("body", "orelse", "finalbody"):
                _walk_body(getattr(node, field, []), counts)
            for h in getattr(node, "handlers", []):
                _walk_body(h.body, counts)
        elif not isinstance(node, (ast.Import, ast.ImportFrom)):
            counts[1] += _lines(node)


def main():
    total = 0
    print(f"{'file':28} {'lines':>5} {'checks':>6} {'compute':>7}")
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT)
        if rel.parts[0] in SKIP:
            continue
        src = path.read_text()
        lines = sum(1 for l in src.splitlines() if l.strip() and not l.strip().startswith("#"))
        counts = [0, 0]
        _walk_body(ast.parse(src).body, counts)
        total += lines
        print(f"{str(rel):28} {lines:5} {counts[0]:6} {counts[1]:7}")
    sys.path.insert(0, str(ROOT.parent))
    import d2lcore
    print(f"total lines {total}; top-level names {len(d2lcore.__all__)}")


if __name__ == "__main__":
    main()
