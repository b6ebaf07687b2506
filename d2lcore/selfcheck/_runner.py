"""The machinery every self-check shares: run cases in order, explain the first failure."""
import contextlib
import functools
import os
import random
import re
import signal
import threading
import traceback

import torch


class _Fail(Exception):
    pass


class CheckResult:
    """Outcome of a self-check: `bool(result)` is True when every case passed."""

    def __init__(self, name, passed):
        self.name, self.passed = name, passed

    def __bool__(self):
        return self.passed

    def __repr__(self):
        return f"CheckResult({self.name!r}, passed={self.passed})"

    def _ipython_display_(self):
        pass  # a cell ending in a check shows the report it printed, not this object


def expect(cond, message):
    """Fail the current case with `message` (what was expected, what came, a hint) unless cond."""
    if not cond:
        raise _Fail(message)


def shape_of(x):
    """What a student's function returned, for messages: a shape for tensors, else the type."""
    return tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__


def takes_implementations(count, pure=False):
    """Decorator: the first `count` arguments of a check are the student's functions or classes.

    pure=True: they are functions that must leave their tensor arguments as they were. Each call is
    then watched: a softmax that does `X -= X.max(...)` or `X.exp_()` returns the right numbers, so
    only this notices that the caller's scores were overwritten."""
    def wrap(check):
        @functools.wraps(check)
        def checked(*args, **kwargs):
            for v in args[:count]:
                if not callable(v):
                    raise TypeError(f"{check.__name__} expects your implementation (a function or class), got "
                                    f"{type(v).__name__} {v!r}"[:200])
            # a function's own errors are marked as it raises them, so that the report can tell them from
            # the check's failing to use what it returned; a class's methods are told apart by their frames
            args = tuple(_marks_its_errors(v) if i < count and not isinstance(v, type) else v
                         for i, v in enumerate(args))
            if pure:
                args = tuple(_leaves_inputs_unchanged(v) if i < count and not isinstance(v, type) else v
                             for i, v in enumerate(args))
            return check(*args, **kwargs)
        return checked
    return wrap


def _marks_its_errors(fn):
    @functools.wraps(fn)
    def marked(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception as e:
            try:
                e._d2l_raised_by_the_student = True
            except AttributeError:  # an exception type without a __dict__: the frames decide
                pass
            raise
    return marked


def _tensors(args):
    """(position, tensor) of the tensors among a call's arguments, one level into lists and tuples."""
    for i, a in enumerate(args):
        if isinstance(a, torch.Tensor):
            yield str(i + 1), a
        elif isinstance(a, (list, tuple)):
            yield from ((f"{i + 1}[{j}]", t) for j, t in enumerate(a) if isinstance(t, torch.Tensor))


def _same(a, b):
    return a.shape == b.shape and a.dtype == b.dtype and bool(((a == b) | (a.isnan() & b.isnan())).all()
                                                              if a.is_floating_point() else (a == b).all())


def _leaves_inputs_unchanged(fn):
    @functools.wraps(fn)
    def watched(*args, **kwargs):
        # a meta tensor (a check's device probe) has no values to overwrite
        before = [(where, t, t.detach().clone()) for where, t in _tensors(args) if t.device.type != "meta"]
        out = fn(*args, **kwargs)
        for where, t, copy in before:
            expect(_same(t.detach(), copy),
                   f"your function changed its argument {where} in place (a tensor of shape {tuple(copy.shape)}): "
                   f"the caller's tensor is overwritten. Hint: compute on new tensors (X = X - m, X.exp()), "
                   f"not in place (X -= m, X.sub_(m), X.exp_()).")
        return out
    return watched


def rounded(t, digits=4):
    """A tensor's values as a flat list of rounded floats, for messages."""
    return [round(v, digits) for v in t.reshape(-1).tolist()]


# for the checks of functions that read .grad: sgd, an optimizer, gradient clipping
GRAD_HINTS = [(("NoneType",), "a .grad is None: skip parameters without a gradient (`if p.grad is None: continue`)."),
              (("Tensors must have same number of dimensions",), "gradients of weights (2-D) and biases (1-D) cannot "
                                                                 "be concatenated as they are: flatten each "
                                                                 "(g.reshape(-1)) or sum each tensor's squares on its "
                                                                 "own.")]


def run(name, cases, hints=()):
    """Run (description, function) cases in order; print the first failure and stop. `hints`: (needles,
    hint) pairs for errors this check's implementations typically raise, tried before the shared ones.

    The cases run on seeded random generators (torch's and Python's), restored afterwards: a check
    gives the same report every time and leaves the student's random streams where they were.
    """
    py_state = random.getstate()
    try:
        with torch.random.fork_rng(devices=[]):  # the CPU's stream, the one the checks draw from
            torch.default_generator.manual_seed(0)  # torch.manual_seed would reseed a GPU's streams too
            random.seed(0)
            return _run_cases(name, cases, list(hints) + _ERROR_HINTS)
    finally:
        random.setstate(py_state)


# the errors a student's code typically raises inside a check, and their usual cause (issue 37)
_ERROR_HINTS = [
    (("must match the size of tensor",), "the shapes do not broadcast: a reduction (sum, max, argmax, logsumexp) "
                                         "over the wrong dim, or one without keepdim=True?"),
    (("leaf Variable that requires grad", "in-place"), "update parameters inside `with torch.no_grad():` "
                                                       "(autograd may not record the update itself)."),
    (("does not require grad",), "autograd cannot follow your computation: no .detach(), .item(), .tolist(), "
                                 ".numpy() or torch.tensor(...) of intermediate results."),
    (("NoneType",), "a value is None where a tensor was expected: a function (or a branch of one) without a "
                    "return statement returns None."),
    (("did not match",), "return the dtype you were given (float32 in, float32 out): a .double(), a .long() or a "
                         "NumPy value changed it."),
    (("device",), "a tensor made on the CPU (torch.rand(X.shape), torch.zeros(n)) met X on another device: make it "
                  "with torch.rand_like(X) or device=X.device."),
]

CASE_SECONDS = 30  # each case is a few small tensors: longer means a loop that never ends


def _run_cases(name, cases, hints):
    for i, (what, case) in enumerate(cases, start=1):
        try:
            with _time_limit(CASE_SECONDS):
                case()
        except _Fail as e:
            print(f"✗ {name}: check {i} of {len(cases)} failed — {what}.\n  {e}")
            return CheckResult(name, False)
        except Exception as e:  # the student's code raised, or the check could not use what it returned
            hint = next((h for needles, h in hints if all(n in str(e) for n in needles)), None)
            who = ("The check could not use what your function returned:" if _raised_in_the_check(e)
                   else "Your function raised")
            print(f"✗ {name}: check {i} of {len(cases)} failed — {what}.\n"
                  f"  {who} {type(e).__name__}: {e}" + (f"\n  Hint: {hint}" if hint else ""))
            return CheckResult(name, False)
    print(f"✓ {name}: all {len(cases)} checks passed ({'; '.join(w for w, _ in cases)}).")
    return CheckResult(name, True)


_HERE = os.path.dirname(os.path.abspath(__file__))
_TORCH = os.path.dirname(os.path.abspath(torch.__file__))


# a call that does not fit a class's parameters (its constructor's, its methods') raises in the caller's
# frame: still the student's (a function's own call goes through _marks_its_errors, which marks it)
_SIGNATURE = re.compile(r"\(\) (takes|missing|got an unexpected|got multiple values)")


def _raised_in_the_check(error):
    """Whether `error` came from the check's own code (using what the student's function returned), not from
    the student's: not marked as the function's own, not a call that does not fit its parameters, and the last
    frame outside PyTorch is the check's."""
    if getattr(error, "_d2l_raised_by_the_student", False) or (
            isinstance(error, TypeError) and _SIGNATURE.search(str(error))):
        return False
    frames = [f.filename for f in traceback.extract_tb(error.__traceback__)
              if not os.path.abspath(f.filename).startswith(_TORCH + os.sep)]
    return bool(frames) and os.path.abspath(frames[-1]).startswith(_HERE + os.sep)


@contextlib.contextmanager
def _time_limit(seconds):
    """Fail the case after `seconds` of wall time (SIGALRM: Unix, main thread only; elsewhere no limit)."""
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def too_long(signum, frame):
        raise _Fail(f"it did not finish within {seconds} s (these are a few small tensors). Hint: a loop whose "
                    f"condition never changes, or a generator that never stops?")

    previous = signal.signal(signal.SIGALRM, too_long)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
