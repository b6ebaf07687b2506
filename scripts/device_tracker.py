"""Follow, on a CPU, the tensors a lesson puts on the accelerator (`d2l.try_gpu()`), as
`./course test-mac-windows` (scripts/mac_windows.py, which says what and why) and the second
machine profile of `./course test` use it: an operation given a tensor on the accelerator and a
(non-scalar) tensor left on the CPU is recorded, or with install(strict=True) raises the error a
GPU raises; a float64 tensor on the accelerator's path is recorded (Apple's MPS refuses float64).
"""
import functools
import sys

import torch
from torch.overrides import TorchFunctionMode, _pop_mode_temporarily
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
    """The tensors in an operation's arguments, however nested in tuples, lists and dicts (a plain
    walk: torch's tree_flatten took three quarters of a lesson's time here)."""
    found, stack = [], [tree]
    while stack:
        x = stack.pop()
        if isinstance(x, torch.Tensor):
            found.append(x)
        elif isinstance(x, (tuple, list)):
            stack.extend(x)
        elif isinstance(x, dict):
            stack.extend(x.values())
    return found


ACCELERATOR = torch.device("cpu")  # what try_gpu() returns here (install() makes it this very object)


def names_a_device(args, kwargs):
    """"accelerator": try_gpu()'s device (or a GPU named by its string); "either": a device object
    taken from a tensor (`X.device`: on this CPU it cannot say which side the tensor is meant for);
    None: no device, or the string "cpu" (asked for the CPU on purpose)."""
    device = kwargs.get("device", next((a for a in args[1:] if isinstance(a, (str, torch.device))), None))
    if device is None or device == "cpu":
        return None
    return "accelerator" if device is ACCELERATOR or isinstance(device, str) else "either"


class Follow(TorchFunctionMode):
    """strict: raise where a GPU would (a mixed-device operation), instead of only recording it."""

    def __init__(self, strict=False):
        super().__init__()
        self.strict = strict

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
                if self.strict:
                    raise RuntimeError(
                        f"Expected all tensors to be on the same device, but found at least two devices, cuda:0 and "
                        f"cpu! (d2lcore's device check, on a CPU: on a GPU `{name}` would get tensors on the GPU, put "
                        f"there with d2l.try_gpu() or computed from such tensors, and tensors left on the CPU. Move "
                        f"the model or tensor to where the data are: net.to(device), as lesson 04 does.)")
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
        # X.to(d2l.cpu()) or X.to(Y.device): on a GPU it may copy X to the CPU and leave X where it was; a copy
        # here too, so that only the result becomes "either" and X itself stays followed
        if moved == "either" and name == "to" and out is args[0] and args[0] in on_device and args[0] not in either:
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




def _outside(fn):
    """`fn(net, ...)` run without the tracker when `net` is a module: d2lcore's loops move each
    batch to the model's device themselves (tests/test_device_mismatch.py), so they cannot mix
    devices, and following their every operation would double a lesson's time."""
    @functools.wraps(fn)
    def run(net, *args, **kwargs):
        if not isinstance(net, torch.nn.Module):  # a function's weights: followed
            return fn(net, *args, **kwargs)
        with _pop_mode_temporarily():
            return fn(net, *args, **kwargs)
    return run


def install(strict=False, lean=False):
    """Follow every tensor from here on (the mode stays entered). strict: raise at a mixed-device
    operation; lean: d2lcore's training and evaluation loops over a module run unfollowed.
    d2lcore's try_gpu() gives one device object, so that a move to it is told from a move to a
    tensor's own device; its float64 running sums are float32 on MPS: the tracker takes that choice."""
    import d2lcore
    import d2lcore.devices
    import d2lcore.metrics
    import d2lcore.training
    import d2lcore.utils
    for module in (d2lcore, d2lcore.devices, d2lcore.training):
        module.try_gpu = lambda i=0: ACCELERATOR
    d2lcore.utils._total_dtype = lambda t: torch.float32 if t in on_device else torch.float64
    torch.nn.Parameter.__deepcopy__ = _deepcopy_where_it_was
    if lean:
        for module in (d2lcore, d2lcore.training):
            module.train_epoch = _outside(d2lcore.training.train_epoch)
        for module in (d2lcore, d2lcore.training, d2lcore.metrics):
            module.evaluate_accuracy = _outside(d2lcore.metrics.evaluate_accuracy)
    Follow(strict).__enter__()


def ipython_dir():
    """A fresh IPYTHONDIR whose startup file installs the strict, lean tracker in every kernel started
    with it (`./course test`'s second machine profile): a lesson cell that would mix devices on a
    GPU fails there, with the error a GPU gives. Returns its path."""
    import pathlib
    import tempfile
    root = pathlib.Path(tempfile.mkdtemp(prefix="d2l-device-check-"))
    startup = root / "profile_default" / "startup"
    startup.mkdir(parents=True)
    here = str(pathlib.Path(__file__).resolve().parent)
    (startup / "00-device-check.py").write_text(
        f"import sys\nsys.path.insert(0, {here!r})\nimport device_tracker\n"
        f"device_tracker.install(strict=True, lean=True)\n")
    return root


if __name__ == "__main__":
    print(ipython_dir())  # ./course test: IPYTHONDIR=$(python scripts/device_tracker.py)
