"""Writing a file so that an interrupted run never leaves a half-written one in its place."""
import contextlib
import os
import pathlib
import secrets


def _new_temporary(path):
    """Create an empty `.<name>.<random>.tmp` beside `path` with the mode open() would give a new
    file: the kernel applies the umask. (mkstemp's 0600 would hide a shared cache from others, and
    reading the umask with os.umask() changes it for every thread of the process meanwhile.)"""
    for _ in range(100):
        tmp = path.parent / f".{path.name}.{secrets.token_hex(4)}.tmp"
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            return tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"could not create a temporary file beside {path}")


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path next to `path`; when the block succeeds, rename it onto `path`.

    The rename is atomic, so readers see the old file or the complete new one, never a partial
    one; a run killed mid-write leaves at most a hidden `.<name>.*.tmp` file. If the block
    raises, the temporary file is removed and `path` is untouched.

        with atomic_path(out) as tmp:
            torch.onnx.export(model, args, tmp)
    """
    path = pathlib.Path(path)
    if not path.parent.is_dir():
        raise FileNotFoundError(f"cannot write {path}: the folder {path.parent} does not exist; create it first "
                                f"(path.parent.mkdir(parents=True, exist_ok=True))")
    tmp = _new_temporary(path)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
