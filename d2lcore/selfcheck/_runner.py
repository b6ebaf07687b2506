"""The machinery every self-check shares: run cases in order, explain the first failure."""
import random

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


def takes_implementations(count):
    """Decorator: the first `count` arguments of a check are the student's functions or classes."""
    import functools

    def wrap(check):
        @functools.wraps(check)
        def checked(*args, **kwargs):
            for v in args[:count]:
                if not callable(v):
                    raise TypeError(f"{check.__name__} expects your implementation (a function or class), got "
                                    f"{type(v).__name__} {v!r}"[:200])
            return check(*args, **kwargs)
        return checked
    return wrap


def rounded(t, digits=4):
    """A tensor's values as a flat list of rounded floats, for messages."""
    return [round(v, digits) for v in t.reshape(-1).tolist()]


def run(name, cases):
    """Run (description, function) cases in order; print the first failure and stop.

    The cases run on seeded random generators (torch's and Python's), restored afterwards: a check
    gives the same report every time and leaves the student's random streams where they were.
    """
    py_state = random.getstate()
    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            random.seed(0)
            return _run_cases(name, cases)
    finally:
        random.setstate(py_state)


def _run_cases(name, cases):
    for i, (what, case) in enumerate(cases, start=1):
        try:
            case()
        except _Fail as e:
            print(f"✗ {name}: check {i} of {len(cases)} failed — {what}.\n  {e}")
            return CheckResult(name, False)
        except Exception as e:  # the student's code raised: that is the finding
            print(f"✗ {name}: check {i} of {len(cases)} failed — {what}.\n"
                  f"  Your function raised {type(e).__name__}: {e}")
            return CheckResult(name, False)
    print(f"✓ {name}: all {len(cases)} checks passed ({'; '.join(w for w, _ in cases)}).")
    return CheckResult(name, True)
