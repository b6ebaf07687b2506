"""What a Mac or Windows does differently, checked on this Linux CPU: every lesson and notebook of
worked solutions runs (1) with worker processes started by spawn, as on macOS and Windows, and
(2) with float64 on the accelerator reported, as Apple's MPS refuses it, and (3) with tensors left
on the CPU beside tensors on the accelerator reported, as every GPU refuses them (a model never
moved to where its data are).

    ./course test-mac-windows                 every lesson and solutions notebook (~10 minutes)
    ./course test-mac-windows notebooks/10_backprop_optimizers.ipynb ...

(1) Linux starts a DataLoader's workers (and any multiprocessing) by fork, which copies the
notebook's memory; macOS and Windows start them by spawn, which imports what they need afresh:
a dataset or function defined in the notebook then fails in the worker. Here the start method is
set to spawn before the lesson runs.

(2) MPS has no float64 ("Cannot convert a MPS Tensor to float64 dtype as the MPS framework doesn't
support float64"), and this machine has no Mac. So each notebook runs on the CPU with every
tensor followed on its way to the device `d2l.try_gpu()` would give: a tensor moved with
`.to(device)` (data, `net.to(device)`), or made with `device=...`, counts as on the accelerator,
and so does everything computed from it, until `.cpu()` brings it back. Any float64 tensor among
those is reported with the lesson cell that made it: on a Mac, that cell would fail.

On a CPU `.to(device)` and `.cpu()` return the tensor itself; here they return a copy, as between
a real device and the CPU, so that the CPU original and the device copy are told apart. d2lcore's
own running sums are float64, but float32 on MPS: the tracker has them take MPS's choice.

(3) The same tracking finds an operation given both a tensor on the accelerator and a tensor (not
a 0-dim scalar) left on the CPU: a CUDA or MPS device raises "Expected all tensors to be on the
same device" there. Lessons 10 and 13 had such cells (a model built after the data were put on
`try_gpu()`, never moved) and CI, which has no GPU, could not see them.

What it cannot see: a tensor asked for on the CPU with the string "cpu" counts as meant for the
CPU (lessons 07 and 15 do so on purpose); a tensor made on the device by a call that is no torch
function (`nn.Parameter(t)`, a layer built with `device=`) is not followed. No lesson builds a
layer with `device=`.
"""
import argparse
import json
import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
RUN = r'''
import os, json, sys, multiprocessing
os.environ["MPLBACKEND"] = "Agg"
multiprocessing.set_start_method("spawn", force=True)  # as on macOS and Windows
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
sys.path.insert(0, os.path.join(os.getcwd(), "scripts"))
import device_tracker
device_tracker.install()
import d2lcore as d2l
notebook = sys.argv[1]
os.chdir(os.path.dirname(notebook))
d2l.infra.run_lesson(os.path.basename(notebook), shell)
print("FOUND " + json.dumps({"float64": device_tracker.found, "mixed": device_tracker.mixed}))
'''


def check(notebook):
    """{'<lesson, cell N>, line L': op} for every float64 tensor on the accelerator's path."""
    return run(notebook)["float64"]


def run(notebook):
    """{"float64": {where: op}, "mixed": {where: op}}: float64 on the accelerator's path, and ops
    that mix tensors on the accelerator with (non-scalar) tensors left on the CPU, which a real GPU
    refuses ("Expected all tensors to be on the same device")."""
    env = dict(os.environ, CUDA_VISIBLE_DEVICES="", D2L_HEADLESS="1", PYTHONHASHSEED="0", OMP_NUM_THREADS="1")
    done = subprocess.run([sys.executable, "-c", RUN, str(pathlib.Path(notebook).resolve())],
                          capture_output=True, text=True, env=env, cwd=ROOT)
    line = next((x for x in done.stdout.splitlines() if x.startswith("FOUND ")), None)
    if done.returncode or line is None:
        raise RuntimeError(f"{notebook} did not run under the tracker:\n{done.stdout[-2000:]}{done.stderr[-3000:]}")
    return json.loads(line.removeprefix("FOUND "))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*")
    args = parser.parse_args()
    chosen = args.notebooks or [str(p.relative_to(ROOT)) for p in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
                                + sorted((ROOT / "notebooks").glob("solutions/[0-9][0-9]_*.ipynb"))]
    bad = 0
    for notebook in chosen:
        found = run(notebook)
        problems = [f"float64 on the accelerator: {w} ({op})" for w, op in found["float64"].items()] + [
            f"tensors on the accelerator and the CPU in one op: {w} ({op})" for w, op in found["mixed"].items()]
        bad += len(problems)
        print(f"{'ok  ' if not problems else 'FAIL'} {notebook}" + "".join(f"\n     {p}" for p in problems), flush=True)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
