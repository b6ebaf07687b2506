"""Which of the course's packages are missing from this environment: d2lcore with its "lab",
"onnx", "test" and "site" extras, and everything those require, at versions that satisfy the requirements.

    .venv/bin/python scripts/missing_packages.py   # prints one line per problem, exit 1; or exit 0

./course runs it on every command once its install stamp says the environment is up to date: a
package removed since the install (pip uninstall, a deleted folder) would otherwise show up only as
an ImportError in the middle of a lesson. It reads the installed packages' metadata and imports none
of them: 0.2 s on a busy 2-core machine, where a whole `pip check` takes 0.6 s.
"""
import importlib.metadata as metadata
import re
import sys

try:
    from packaging.requirements import Requirement
except ImportError:  # packaging itself may be what is missing: pip carries a copy
    from pip._vendor.packaging.requirements import Requirement


def missing(name="d2lcore", extras=("lab", "onnx", "test", "site")):
    """A list of strings, one per requirement of `name[extras]` (followed recursively) that is not
    installed or not at a version it allows; empty when all are there."""
    problems, seen, installed = [], set(), {}
    todo = [(Requirement(f"{name}[{','.join(extras)}]"), "the course")]
    while todo:
        req, wanted_by = todo.pop()
        key = re.sub(r"[-_.]+", "-", req.name).lower()
        if key not in installed:
            installed[key] = _metadata(req.name)
        if installed[key] is None:
            problems.append(f"{req.name} (required by {wanted_by})")
            continue
        dist_name, version, requires = installed[key]
        if not req.specifier.contains(version, prereleases=True):
            problems.append(f"{dist_name} {version}, but {wanted_by} requires {req}")
        if (key, frozenset(req.extras)) in seen:
            continue
        seen.add((key, frozenset(req.extras)))
        # a requirement applies when its marker holds for this Python, without an extra or with
        # one of the extras asked for
        for line in requires:
            sub = Requirement(line)
            if sub.marker is None or any(sub.marker.evaluate({"extra": e}) for e in ("", *req.extras)):
                todo.append((sub, dist_name))
    return problems


def _metadata(name):
    """(name, version, requirement strings) of the installed distribution `name`, or None.
    Parsed once: each parse of a package's metadata reads its whole description too."""
    try:
        dist = metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return None
    meta = dist.metadata
    return meta["Name"], meta["Version"], meta.get_all("Requires-Dist") or dist.requires or []


if __name__ == "__main__":
    problems = missing()
    for problem in problems:
        print(problem)
    sys.exit(1 if problems else 0)
