"""What a lesson's Run All costs: wall time, kernel CPU time and the kernel's peak memory.

    .venv/bin/python benchmarks/run_all.py                          # every lesson and solutions notebook
    .venv/bin/python benchmarks/run_all.py notebooks/04_*.ipynb --busy 2
    .venv/bin/python benchmarks/run_all.py notebooks/04_*.ipynb --busy 2 --against OMP_NUM_THREADS=1

Each notebook runs top to bottom in a fresh kernel (as JupyterLab's Run All, headless: D2L_HEADLESS=1,
no GPU), its outputs discarded; nothing is written back. Per notebook it prints the wall time, the
kernel's CPU time (user + system, its threads and children included), its peak resident memory
(VmHWM) and its proportional set size at the end (PSS: shared libraries split among the processes
that map them — what a class server pays per student). `--busy N` runs N busy loops (one per core
is a loaded laptop or a class server) beside each notebook, to show how the kernel copes with
oversubscribed cores. `--against NAME=VALUE` runs each notebook a second time with that setting
added, under the same load, and prints the ratio of the wall times. Linux only (/proc).
"""
import argparse
import multiprocessing
import os
import pathlib
import sys
import time

import nbformat
from jupyter_client import KernelManager
from nbclient import NotebookClient

ROOT = pathlib.Path(__file__).resolve().parents[1]
TICK = os.sysconf("SC_CLK_TCK")


def _busy():
    while True:
        pass


def kernel_figures(pid):
    """(CPU seconds, VmHWM MB, PSS MB) of a live process, from /proc."""
    fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = sum(int(v) for v in fields[11:15]) / TICK  # utime, stime, cutime, cstime
    status = pathlib.Path(f"/proc/{pid}/status").read_text()
    hwm = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")) / 1024
    rollup = pathlib.Path(f"/proc/{pid}/smaps_rollup").read_text()
    pss = next(int(line.split()[1]) for line in rollup.splitlines() if line.startswith("Pss:")) / 1024
    return cpu, hwm, pss


def run(path, env):
    nb = nbformat.read(path, as_version=4)
    km = KernelManager(kernel_name="python3")
    km.start_kernel(env={**os.environ, "D2L_HEADLESS": "1", "CUDA_VISIBLE_DEVICES": "", **env},
                    cwd=str(path.parent))
    try:
        start = time.perf_counter()
        NotebookClient(nb, km=km, record_timing=False, store_widget_state=False,
                       resources={"metadata": {"path": str(path.parent)}}).execute()
        wall = time.perf_counter() - start
        return (wall, *kernel_figures(km.provisioner.process.pid))
    finally:
        km.shutdown_kernel(now=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=pathlib.Path,
                        default=sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
                        + sorted((ROOT / "notebooks" / "solutions").glob("[0-9][0-9]_*.ipynb")))
    parser.add_argument("--busy", type=int, default=0, help="busy loops beside each notebook (default 0)")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="set in the kernel's environment, e.g. OMP_NUM_THREADS=1")
    parser.add_argument("--against", action="append", default=[], metavar="NAME=VALUE",
                        help="also run each notebook with this setting added, and print the ratio")
    args = parser.parse_args()
    env = dict(kv.split("=", 1) for kv in args.env)
    against = {**env, **dict(kv.split("=", 1) for kv in args.against)}
    print(f"{os.cpu_count()} CPUs; {args.busy} busy loops beside; kernel env: "
          f"{' '.join(args.env) or '(as inherited)'}", file=sys.stderr)
    header = "| notebook | wall s | kernel CPU s | peak RSS (VmHWM) GB | PSS at end GB |"
    if args.against:
        header += f" wall s with {' '.join(args.against)} | ratio |"
    print(header)
    print("|---" * header.count(" | ") + "|---|")
    totals = {}  # lessons, and worked solutions (each of which runs its lesson first)
    for path in args.notebooks:
        loops = [multiprocessing.Process(target=_busy, daemon=True) for _ in range(args.busy)]
        for p in loops:
            p.start()
        try:
            wall, cpu, hwm, pss = run(path.resolve(), env)
            other = run(path.resolve(), against)[0] if args.against else None
        finally:
            for p in loops:
                p.terminate()
                p.join()
        kind = "solutions notebooks" if path.stem.endswith("_solutions") else "lessons"
        totals.setdefault(kind, []).append(wall)
        row = f"| {path.stem} | {wall:.1f} | {cpu:.1f} | {hwm / 1024:.2f} | {pss / 1024:.2f} |"
        if other is not None:
            row += f" {other:.1f} | {wall / other:.1f}x |"
        print(row, flush=True)
    print("\n" + "; ".join(f"{len(walls)} {kind}: {sum(walls):.0f} s in all, the longest {max(walls):.1f} s"
                            for kind, walls in totals.items()))


if __name__ == "__main__":
    main()
