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
TRACKER = r'''
import json, sys, torch
from torch.overrides import TorchFunctionMode
from torch.utils._pytree import tree_flatten
from torch.utils.weak import WeakIdKeyDictionary

on_device = WeakIdKeyDictionary()  # tensors that would be on the accelerator
# made there by a factory (`torch.zeros(n, device=X.device)`): on this CPU `X.device` and try_gpu()'s
# device are the same, so whether it was meant for the accelerator is unknown; it takes any side
either = WeakIdKeyDictionary()
found = {}  # float64 on the accelerator: where -> op
mixed = {}  # one op given tensors on the accelerator and on the CPU: where -> op
# ops that take a CPU tensor beside a device one on a real GPU too: moves, copies, and indexing
# (a CPU index or value into a device tensor)
CROSSING = {"to", "cpu", "copy_", "__getitem__", "__setitem__", "__set__", "__get__", "__repr__", "__format__",
            "_has_compatible_shallow_copy_type"}  # (the last: Module.to comparing a parameter with its copy)


def lesson_cell():
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_code.co_filename.startswith("<") and ", cell " in frame.f_code.co_filename:
            return frame.f_code.co_filename.strip("<>"), frame.f_lineno
        frame = frame.f_back
    return "(not in a lesson cell)", 0


def tensors(tree):
    return [t for t in tree_flatten(tree)[0] if isinstance(t, torch.Tensor)]


ACCELERATOR = torch.device("cpu")  # what try_gpu() returns here (RUN makes it this very object)


def names_a_device(args, kwargs):
    """"accelerator": try_gpu()'s device (or a GPU named by its string); "either": a device object
    taken from a tensor (`X.device`: on this CPU it cannot say which side the tensor is meant for);
    None: no device, or the string "cpu" (asked for the CPU on purpose)."""
    device = kwargs.get("device", next((a for a in args[1:] if isinstance(a, (str, torch.device))), None))
    if device is None or device == "cpu":
        return None
    return "accelerator" if device is ACCELERATOR or isinstance(device, str) else "either"


class Follow(TorchFunctionMode):
    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        name = getattr(func, "__name__", str(func))
        if name not in CROSSING:
            given = tensors((args, kwargs))
            # a 0-dim CPU tensor is taken as a scalar on a GPU too; anything bigger is refused there
            if any(t in on_device and t not in either for t in given) and \
                    any(t not in on_device and t.dim() > 0 for t in given):
                where = lesson_cell()
                mixed.setdefault(f"{where[0]}, line {where[1]}", name)
        out = func(*args, **kwargs)
        # On a CPU, .cpu() and .to(device) return the tensor itself; between a real device and the
        # CPU they copy. A copy here too, so that the CPU original and the device copy are told apart.
        if name == "cpu":
            return out.clone() if out is args[0] and args[0] in on_device else out
        setter = getattr(getattr(func, "__self__", None), "__name__", None)
        if name == "__set__" and setter == "data" and all(isinstance(a, torch.Tensor) for a in args):
            # param.data = ... (how Module.to and Module.double change a parameter): it is where its data is
            if args[1] in on_device:
                on_device[args[0]] = True
                if args[1] in either:
                    either[args[0]] = True
                elif args[0] in either:
                    del either[args[0]]
            elif args[0] in on_device:
                del on_device[args[0]]
            return out
        moved = names_a_device(args, kwargs) if name == "to" else (
            names_a_device((), kwargs) if "device" in kwargs else None)
        if moved == "accelerator" and name == "to" and out is args[0] and args[0] not in on_device:
            out = out.clone()
        inputs = [t for t in tensors((args, kwargs)) if t in on_device]
        if moved or inputs:
            # reported where float64 first appears there, not at each operation that follows
            already = any(t.dtype == torch.float64 for t in inputs)
            # made on a tensor's own device, or only from such tensors: either side still
            made = moved == "either" or (moved is None and all(t in either for t in inputs))
            for t in tensors(out):
                on_device[t] = True
                if made:
                    either[t] = True
                if t.dtype == torch.float64 and not already:
                    where = lesson_cell()
                    found.setdefault(f"{where[0]}, line {where[1]}", name)
        return out


# copy.deepcopy(net): a Parameter's copy is made by nn.Parameter(...), no torch function; it stays
# where the original is
_deepcopy = torch.nn.Parameter.__deepcopy__


def _deepcopy_where_it_was(self, memo):
    out = _deepcopy(self, memo)
    for followed in (on_device, either):
        if self in followed:
            followed[out] = True
    return out


torch.nn.Parameter.__deepcopy__ = _deepcopy_where_it_was
Follow().__enter__()
'''

RUN = r'''
import os, json, sys, multiprocessing
os.environ["MPLBACKEND"] = "Agg"
multiprocessing.set_start_method("spawn", force=True)  # as on macOS and Windows
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
exec(compile(TRACKER, "<tracker>", "exec"), shell.user_ns)
import d2lcore as d2l
import d2lcore.devices, d2lcore.training, d2lcore.utils
# try_gpu() gives one device object, so that a move to it is told from a move to a tensor's own device
for module in (d2l, d2lcore.devices, d2lcore.training):
    module.try_gpu = lambda i=0, device=shell.user_ns["ACCELERATOR"]: device
# d2lcore sums in float64, but in float32 on MPS: what it would pick there
d2lcore.utils._total_dtype = lambda t, seen=shell.user_ns["on_device"]: (
    d2lcore.utils.torch.float32 if t in seen else d2lcore.utils.torch.float64)
notebook = sys.argv[1]
os.chdir(os.path.dirname(notebook))
d2l.infra.run_lesson(os.path.basename(notebook), shell)
print("FOUND " + json.dumps({"float64": shell.user_ns["found"], "mixed": shell.user_ns["mixed"]}))
'''


def check(notebook):
    """{'<lesson, cell N>, line L': op} for every float64 tensor on the accelerator's path."""
    return run(notebook)["float64"]


def run(notebook):
    """{"float64": {where: op}, "mixed": {where: op}}: float64 on the accelerator's path, and ops
    that mix tensors on the accelerator with (non-scalar) tensors left on the CPU, which a real GPU
    refuses ("Expected all tensors to be on the same device")."""
    env = dict(os.environ, CUDA_VISIBLE_DEVICES="", D2L_HEADLESS="1", PYTHONHASHSEED="0", OMP_NUM_THREADS="1")
    done = subprocess.run([sys.executable, "-c", f"TRACKER = {TRACKER!r}\n{RUN}", str(pathlib.Path(notebook).resolve())],
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
