"""Writing a file so that an interrupted run never leaves a half-written one in its place."""
import contextlib
import os
import pathlib
import tempfile


def _umask_mode():
    """The mode open() would give a new file (mkstemp's 0600 would hide a shared cache from others)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


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
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        yield pathlib.Path(tmp)
        os.chmod(tmp, _umask_mode())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
