"""Writing a file so that an interrupted run never leaves a half-written one in its place."""
import contextlib
import glob
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
    raises, the temporary file is removed and `path` is untouched; so it is, with a ValueError, if
    the block wrote nothing to the temporary path while `path` holds data (or wrote beside it:
    np.save(tmp, a) writes tmp + '.npy').

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
        _refuse_nothing_written(tmp, path)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _refuse_nothing_written(tmp, path):
    """An empty temporary file must not replace a file that has data, nor stand for data written elsewhere:
    a writer that adds its own extension (np.save(tmp, a) writes tmp + '.npy') leaves tmp empty. Files
    written beside a temporary file that has data are the writer's own (torch.onnx.export's weights in
    tmp + '.data', which the model names): left alone."""
    if os.path.getsize(tmp):
        return
    strays = list(tmp.parent.glob(glob.escape(tmp.name) + "?*"))
    if not (strays or path.exists() and path.stat().st_size):
        return
    for stray in strays:  # made with the temporary file's random name: this block's, and of no use
        os.remove(stray)
    where = (f"; the block wrote {strays[0].name} instead: a writer that adds an extension to a name without it "
             f"(np.save adds .npy) must be given the open file: with open(tmp, 'wb') as f: np.save(f, a)"
             if strays else "")
    raise ValueError(f"nothing was written to the temporary path atomic_path gave ({tmp.name}), so {path} is left "
                     f"as it was{where}")
