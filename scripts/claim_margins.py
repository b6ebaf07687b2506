"""How much room every asserted claim about training or random data has, on any machine.

A lesson's assert about the outcome of a training run (or of random data) must hold for other
seeds and on other CPUs, not only for the stored run on the machine that executed it. This
script runs each lesson's own code cells, then its worked solutions' (notebooks/solutions/),
top to bottom in one namespace as the notebooks do, with every seed shifted: torch.manual_seed,
torch.Generator().manual_seed, NumPy's and Python's seeds (so d2l.set_seed and the loaders'
`seed=` too) get k + 1000 s instead of k, for s = 0, 1, ..., n - 1 (s = 0 is the lesson as it
is). Its asserts do not raise: each claim below names the text of one assert of its lesson, and
its value is computed when that assert runs, in that assert's scope (the worst, where it runs
more than once); a claim whose text is in no assert (a cell tagged raises-exception) is computed
after the last cell. Each run is made under several CPU kernel profiles, each in its own process
(the profile is read when torch starts):

    ref        the reference settings (the CPU's best ATen kernels, 2 threads)
    avx2       ATEN_CPU_CAPABILITY=avx2, MKL and oneDNN limited to AVX2, 2 threads
    default-1t ATEN_CPU_CAPABILITY=default, MKL/oneDNN AVX2, 1 thread (./course test's 2nd profile)
    1t, 4t     the reference kernels with 1 and with 4 threads

and prints, per claim, the threshold and the worst and best value over seeds x profiles. A claim
holds with margin when its worst value is well inside the threshold. Not part of the test run
(it trains ~50 models per seed and profile); run it after changing a claim or its setting, and
put the table into TABLE_DOC (--write does; after a run of some lessons, --only, it replaces only
their rows, and only when the run has the table's seeds and profiles; --load of several saved runs
combines them).

    .venv/bin/python scripts/claim_margins.py                  # 5 seeds x 5 profiles
    .venv/bin/python scripts/claim_margins.py --only 11 12 --seeds 3 --profiles ref 1t
    .venv/bin/python scripts/claim_margins.py --load claims.json   # reprint a saved run

`tests/test_claim_margins.py` checks that every claim's assert still stands in its lesson, that
its value names only what the lesson defines, and that TABLE_DOC lists every claim.
"""
import argparse
import ast
import contextlib
import io
import json
import math
import os
import pathlib
import re
import subprocess
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from lesson_claims import CLAIMS, Claim  # noqa: E402,F401  (Claim: for the tests)

ROOT = pathlib.Path(__file__).resolve().parents[1]
# where the table is kept: its one home
TABLE_DOC = ROOT / "docs" / "claims.md"
SEED_STRIDE = 1000  # seed k becomes k + SEED_STRIDE * s: the seeds of two shifts never coincide
RAISES = "raises-exception"  # the tag of a cell that fails on purpose (d2l.infra.run_lesson's rule too)

AVX2 = {"MKL_ENABLE_INSTRUCTIONS": "AVX2", "ONEDNN_MAX_CPU_ISA": "AVX2"}
PROFILES = {
    "ref": {"OMP_NUM_THREADS": "2"},
    "avx2": {"ATEN_CPU_CAPABILITY": "avx2", **AVX2, "OMP_NUM_THREADS": "2"},
    "default-1t": {"ATEN_CPU_CAPABILITY": "default", **AVX2, "OMP_NUM_THREADS": "1"},
    "1t": {"OMP_NUM_THREADS": "1"},
    "4t": {"OMP_NUM_THREADS": "4"},
}


def finite(v):
    """A value that diverged to nan counts as never converging (available to claims' values)."""
    return v if v == v else math.inf



def notebooks(lesson, root=ROOT):
    """A lesson's notebook and its worked solutions'."""
    (path,) = (root / "notebooks").glob(f"{lesson}_*.ipynb")
    return [path, path.parent / "solutions" / f"{path.stem}_solutions.ipynb"]


def code_cells(paths):
    """(where, source, tags) of every code cell of the notebooks at `paths`, in order, but the
    solutions' first cell (d2l.infra.run_lesson: the lesson's cells, which are read here anyway)."""
    for path in paths:
        for number, cell in enumerate(json.loads(path.read_text(encoding="utf-8"))["cells"], 1):
            src = "".join(cell["source"])
            if cell["cell_type"] == "code" and src.strip() and "d2l.infra.run_lesson(" not in src:
                yield f"{path.name}, cell {number}", src, cell.get("metadata", {}).get("tags", [])


def names(text, asserted):
    """Whether `asserted` (a claim's text) is in `text` as a whole: `< 0.01` is not in `< 0.015`, nor `x < 1` in
    `max_x < 1`."""
    return re.search(r"(?<![\w.])" + re.escape(asserted) + r"(?![\w.])", text) is not None


def claims_at(claims, cells):
    """{the text of an assert: the claims measured there}; None for those in no assert."""
    asserts = [ast.get_source_segment(src, node) for _, src, _ in cells
               for node in ast.walk(ast.parse(src)) if isinstance(node, ast.Assert)]
    at = {}
    for claim in claims:
        where = [text for text in asserts if names(text, claim.asserted)]
        if len(where) > 1:
            raise ValueError(f"lesson {claim.lesson}: {claim.asserted!r} is in {len(where)} asserts: name one")
        at.setdefault(where[0] if where else None, []).append(claim)
    return at


class _MeasureAsserts(ast.NodeTransformer):
    """`assert test, message` becomes `_claim_margins_assert("assert test, message", locals())`."""

    def __init__(self, src):
        self.src = src

    def visit_Assert(self, node):
        args = [ast.Constant(ast.get_source_segment(self.src, node)), ast.Call(ast.Name("locals", ast.Load()), [], [])]
        return ast.copy_location(ast.Expr(ast.Call(ast.Name("_claim_margins_assert", ast.Load()), args, [])), node)


@contextlib.contextmanager
def shifted_seeds(shift):
    """Inside, every seed a lesson sets, k, is k + shift: Python's, NumPy's, torch's and its Generators'."""
    import random
    import numpy as np
    import torch

    class Generator(torch.Generator):
        def manual_seed(self, seed):
            return super().manual_seed(seed + shift)

    saved = [(random, "seed"), (np.random, "seed"), (np.random, "default_rng"), (torch, "manual_seed")]
    saved = [(module, name, getattr(module, name)) for module, name in saved] + [(torch, "Generator", torch.Generator)]
    for module, name, f in saved[:-1]:
        # only an int is a lesson's seed (torch's DataLoader workers seed NumPy with a list)
        setattr(module, name, lambda seed=None, *args, _f=f, **kw: _f(seed + shift if isinstance(seed, int) else seed,
                                                                      *args, **kw))
    torch.Generator = Generator
    try:
        yield
    finally:
        for module, name, f in saved:
            setattr(module, name, f)


def run_lesson(claims, paths, s):
    """Run every code cell of `paths` in one namespace, each seed shifted by SEED_STRIDE * s, and
    return {claim.what: value} for `claims`, each measured where its assert runs. A cell that fails
    stops the run, unless it is tagged raises-exception (its error's name goes to `_raised`)."""
    import torch

    cells = list(code_cells(paths))
    at, values = claims_at(claims, cells), {}

    def measure(text, scope):
        for claim in at.get(text, ()):
            try:
                v = float(eval(claim.value, ns, {"finite": finite, "math": math, "re": re, **scope}))
            except Exception as error:
                raise RuntimeError(f"lesson {claim.lesson}, {claim.what!r}: {claim.value} failed: {error!r}") from error
            values[claim.what] = claim.worst_best([values[claim.what], v])[0] if claim.what in values else v

    ns = {"__name__": "__main__", "_claim_margins_assert": measure, "_raised": []}
    threads, dtype = torch.get_num_threads(), torch.get_default_dtype()
    try:
        with shifted_seeds(SEED_STRIDE * s), contextlib.redirect_stdout(io.StringIO()), \
                contextlib.redirect_stderr(io.StringIO()):
            for where, src, tags in cells:
                code = compile(ast.fix_missing_locations(_MeasureAsserts(src).visit(ast.parse(src))), where, "exec")
                try:
                    exec(code, ns)
                except Exception as error:
                    if RAISES not in tags:
                        raise RuntimeError(f"{where} failed: {error!r}") from error
                    ns["_raised"].append(type(error).__name__)
                finally:
                    if "matplotlib.pyplot" in sys.modules:
                        sys.modules["matplotlib.pyplot"].close("all")
    finally:  # a lesson may set float64 or one thread for itself
        torch.set_num_threads(threads)
        torch.set_default_dtype(dtype)
    measure(None, ns)
    if missing := [c.what for c in claims if c.what not in values]:
        raise RuntimeError(f"the asserts of {missing} never ran")
    return values


def worker(lessons, seeds):
    """Run the lessons in this process (its profile is set by the environment)."""
    import torch
    # torch caps OMP_NUM_THREADS at the number of cores; the profile asks for exactly this many
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", torch.get_num_threads())))
    for lesson in lessons:
        for s in seeds:
            start = time.perf_counter()
            values = run_lesson([c for c in CLAIMS if c.lesson == lesson], notebooks(lesson), s)
            print(json.dumps({"lesson": lesson, "seed": s, "values": values,
                              "capability": torch.backends.cpu.get_cpu_capability(),
                              "threads": torch.get_num_threads(), "seconds": time.perf_counter() - start}), flush=True)


def measure(lessons, seeds, profiles):
    results = []
    for name in profiles:
        env = {**os.environ, "CUDA_VISIBLE_DEVICES": "", "PYTHONHASHSEED": "0", "D2L_HEADLESS": "1",
               "MPLBACKEND": "Agg", **PROFILES[name]}
        for k in ("ATEN_CPU_CAPABILITY", "MKL_ENABLE_INSTRUCTIONS", "ONEDNN_MAX_CPU_ISA"):
            if k not in PROFILES[name]:
                env.pop(k, None)
        print(f"profile {name}: {' '.join(f'{k}={v}' for k, v in PROFILES[name].items())}", file=sys.stderr, flush=True)
        cmd = [sys.executable, __file__, "--worker", "--only", *lessons, "--seeds", str(len(seeds))]
        with subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, text=True, cwd=ROOT) as proc:
            for line in proc.stdout:
                row = {**json.loads(line), "profile": name}
                print(f"  {name} lesson {row['lesson']} seed {row['seed']}: {row['seconds']:.0f} s "
                      f"({row['capability']}, {row['threads']} threads)", file=sys.stderr, flush=True)
                results.append(row)
        if proc.returncode:
            sys.exit(f"profile {name}: the worker failed (exit {proc.returncode})")
    return results


def fmt(v):
    if v == math.inf:
        return "never"
    if v == 0 or 1e-3 <= abs(v) < 1e4:
        return f"{v:.4g}"
    return f"{v:.1e}"


def table(results):
    lines = ["| lesson | claim | threshold | worst | best | holds |", "|---|---|---|---|---|---|"]
    failing = 0
    for claim in CLAIMS:
        values = [r["values"][claim.what] for r in results if r["lesson"] == claim.lesson]
        if not values:
            continue
        worst, best = claim.worst_best(values)
        held = sum(claim.holds(v) for v in values)
        failing += held < len(values)
        what = claim.what.replace("|", "\\|")  # a literal | would end the Markdown cell
        lines.append(f"| {claim.lesson} | {what} | {claim.op} {fmt(claim.threshold)} | {fmt(worst)} | "
                     f"{fmt(best)} | {held}/{len(values)} |")
    seeds = sorted({r["seed"] for r in results})
    profiles = sorted({r["profile"] for r in results}, key=lambda p: list(PROFILES).index(p) if p in PROFILES else len(PROFILES))
    lines.append(f"\n{len(seeds)} seeds x {len(profiles)} profiles ({', '.join(profiles)}); "
                 f"{failing} claim(s) fail somewhere.")
    return "\n".join(lines), failing


def write_table(text, lessons):
    """Put `text`'s rows for `lessons` into TABLE_DOC's table, in CLAIMS' order, keeping the other lessons'
    rows as documented: a re-measure of some lessons needs the same seeds and profiles as the table's."""
    doc = TABLE_DOC.read_text(encoding="utf-8")
    start = doc.index("| lesson | claim | threshold |")
    end = doc.index("claim(s) fail somewhere.", start) + len("claim(s) fail somewhere.")
    old_rows, old_summary = _rows(doc[start:end])
    new_rows, summary = _rows(text)
    runs = summary.split(";")[0]
    if set(lessons) != {c.lesson for c in CLAIMS} and runs != old_summary.split(";")[0]:
        sys.exit(f"{TABLE_DOC.name} has {old_summary.split(';')[0]}; this run has {runs}: measure the same "
                 f"seeds and profiles, or every lesson")
    rows = []
    for c in CLAIMS:
        key = (c.lesson, c.what.replace("|", "\\|"))
        row = new_rows.get(key) if c.lesson in lessons else old_rows.get(key)
        if row is None:
            sys.exit(f"{TABLE_DOC.name} has no row for lesson {c.lesson}'s claim {c.what!r}: measure lesson {c.lesson}")
        rows.append(row)
    failing = sum(held != total for held, total in (r.rstrip(" |").rsplit(" | ", 1)[1].split("/") for r in rows))
    lines = text.splitlines()[:2] + rows + ["", f"{runs}; {failing} claim(s) fail somewhere."]
    TABLE_DOC.write_text(doc[:start] + "\n".join(lines) + doc[end:], encoding="utf-8")


def _rows(table_text):
    """{(lesson, claim as written): row} of a printed table, and its summary line."""
    rows = {}
    for line in table_text.splitlines():
        if line.startswith("| ") and not line.startswith(("| lesson |", "|---")):
            lesson, what = line[2:].split(" | ")[:2]
            rows[lesson, what] = line
    return rows, table_text.strip().splitlines()[-1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="+", default=sorted({c.lesson for c in CLAIMS}), help="lessons, e.g. 11 12")
    parser.add_argument("--seeds", type=int, default=5, help="seed shifts 0..N-1 (default 5)")
    parser.add_argument("--profiles", nargs="+", default=list(PROFILES), choices=list(PROFILES))
    parser.add_argument("--save", help="write the raw results to this JSON file")
    parser.add_argument("--load", nargs="+", help="print the table of saved results instead of measuring")
    parser.add_argument("--write", action="store_true", help=f"put the table into {TABLE_DOC.relative_to(ROOT)}")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    if args.worker:
        return worker(args.only, range(args.seeds))
    if args.load:
        results = [row for path in args.load for row in json.loads(pathlib.Path(path).read_text())]
    else:
        results = measure(args.only, range(args.seeds), args.profiles)
        if args.save:
            pathlib.Path(args.save).write_text(json.dumps(results))
    text, failing = table(results)
    print(text)
    if args.write:
        write_table(text, {r["lesson"] for r in results})
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
