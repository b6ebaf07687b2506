"""Getting the four Fashion-MNIST files onto disk: offline first, verified, never half-written.

Where the data come from, in order:
1. the cache folder: `root` argument, else $D2L_DATA_DIR (an absolute path), else the per-user
   cache directory (`platformdirs.user_cache_dir("d2lcore", appauthor=False)`: ~/.cache/d2lcore
   on Linux, ~/Library/Caches/d2lcore on macOS, %LOCALAPPDATA%\\d2lcore\\Cache on Windows), laid
   out as torchvision expects: <root>/FashionMNIST/raw/train-images-idx3-ubyte ... The four
   files may also be there as `.gz` archives: they are decompressed beside themselves;
2. Debian/Ubuntu's package `dataset-fashion-mnist` (/usr/share/datasets/fashion-mnist/*.gz;
   $D2L_FASHION_MNIST_SYSTEM_DIRS replaces that list, os.pathsep-separated, empty for none);
3. a download of each missing `.gz` from the base URLs in $D2L_FASHION_MNIST_MIRROR
   (comma-separated) if set, else torchvision's mirror. Each file is tried on each mirror in
   turn; any failure (refused, silent, an HTTP error, wrong bytes) moves on to the next mirror.
   A mirror silent for READ_TIMEOUT_S is given up; all downloads of one call share a deadline
   ($D2L_DOWNLOAD_DEADLINE_S, default DEADLINE_S; a read in progress may add one read timeout).

Every file is checked by size and sha256 of its decompressed bytes before it is used. The result
is remembered in a marker file (keyed by size and modification time) so later loads skip the
hashing; when the marker cannot be written (a read-only shared folder, a full disk) the files are
simply hashed again next time. Every write goes to a temporary file that is renamed into place
only once verified, so a killed run never leaves a file that looks valid. Processes that fill the
cache hold a lock on <raw>/.d2lcore.lock (a regular file, opened without following a link: anything
else there is refused); temporary files found while no process holds it belong to a run that died
and are removed. No process-wide state (umask, socket timeout) is changed.
"""
import contextlib
import errno
import gzip
import hashlib
import json
import os
import pathlib
import re
import shutil
import stat
import sys
import time
import urllib.error
import urllib.request
import warnings

import platformdirs

from .atomic import atomic_path

# decompressed name -> (size in bytes, sha256)
FILES = {
    "train-images-idx3-ubyte": (47040016, "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"),
    "train-labels-idx1-ubyte": (60008, "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"),
    "t10k-images-idx3-ubyte": (7840016, "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"),
    "t10k-labels-idx1-ubyte": (10008, "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"),
}
SYSTEM_DIRS = ["/usr/share/datasets/fashion-mnist"]
MIRRORS = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]  # torchvision's
DATA_DIR_ENV = "D2L_DATA_DIR"
SYSTEM_DIRS_ENV = "D2L_FASHION_MNIST_SYSTEM_DIRS"
MIRROR_ENV = "D2L_FASHION_MNIST_MIRROR"
DEADLINE_ENV = "D2L_DOWNLOAD_DEADLINE_S"
MARKER = ".d2lcore-verified.json"
LOCK = ".d2lcore.lock"
READ_TIMEOUT_S = 30  # a mirror that sends nothing for this long is given up
DEADLINE_S = 600  # all downloads of one call together: 30 MB at 0.4 Mbit/s
_BLOCK = 1 << 20


class DataNotFoundError(RuntimeError):
    """None of the ways to get Fashion-MNIST worked."""


class DataCacheError(DataNotFoundError):
    """The cache folder cannot be used as it is (a folder where a file belongs, a bad path, ...)."""


def data_dir(root=None):
    """The cache folder: `root`, else $D2L_DATA_DIR, else the per-user cache directory."""
    if root is not None:
        return pathlib.Path(root).expanduser()
    env = os.environ.get(DATA_DIR_ENV)
    if not env:
        return pathlib.Path(platformdirs.user_cache_dir("d2lcore", appauthor=False))
    path = pathlib.Path(env.strip()).expanduser()
    if not env.strip() or not path.is_absolute():  # else a cache would grow in whatever folder a notebook runs in
        raise DataCacheError(f"{DATA_DIR_ENV} must be an absolute folder path, got {env!r}; "
                             f"set it to e.g. {pathlib.Path.home() / 'd2l-data'} or unset it")
    return path


def raw_dir(root):
    """torchvision's layout: <root>/FashionMNIST/raw."""
    return pathlib.Path(root) / "FashionMNIST" / "raw"


def default_system_dirs():
    """The folders holding a system package's archives ($D2L_FASHION_MNIST_SYSTEM_DIRS, else Debian's)."""
    env = os.environ.get(SYSTEM_DIRS_ENV)
    return list(SYSTEM_DIRS) if env is None else [d for d in env.split(os.pathsep) if d.strip()]


def _sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(_BLOCK), b""):
            h.update(block)
    return h.hexdigest()


def check_file(path, name):
    """None if `path` holds the right bytes for `name`, else a reason ('missing', 'truncated ...')."""
    size, sha = FILES[name]
    try:
        actual = os.path.getsize(path)
        if actual != size:
            return f"truncated or padded: {actual} bytes, expected {size}"
        if _sha256(path) != sha:
            return "corrupt: sha256 does not match the official file"
    except FileNotFoundError:
        return "missing"
    except PermissionError:
        return "unreadable: permission denied"
    return None


def _stamp(path):
    st = os.stat(path)
    return [st.st_size, st.st_mtime_ns]


def _read_marker(raw):
    try:
        marker = json.loads((raw / MARKER).read_text())
    except (OSError, ValueError):
        return {}
    return marker if isinstance(marker, dict) else {}  # valid JSON of another shape is no marker


def _write_marker(raw, marker):
    try:
        with atomic_path(raw / MARKER) as tmp:
            tmp.write_bytes(json.dumps(marker, indent=1).encode())
    except OSError:
        pass  # read-only folder or full disk: the files are verified; the next load hashes them again


def _make_raw(root):
    """Create <root>/FashionMNIST/raw, or say exactly why it cannot be."""
    raw = raw_dir(root)
    if raw.is_dir():
        return raw
    for p in (root, root / "FashionMNIST", raw):
        if os.path.lexists(p) and not p.is_dir():
            kind = "a broken link" if p.is_symlink() and not p.exists() else "a file"
            raise DataCacheError(f"{p} is {kind}, but the Fashion-MNIST cache needs a folder there ({raw}); "
                                 f"move it away, or pass root= / set {DATA_DIR_ENV} to another folder")
    try:
        raw.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise DataCacheError(f"cannot create the Fashion-MNIST cache folder {raw}: {e.strerror or e}; "
                             f"pass root= / set {DATA_DIR_ENV} to a folder you can write") from e
    return raw


def _refuse_non_files(raw):
    """A folder (or device, or link loop) where a data file or the marker belongs: d2lcore will
    not delete what it did not make, so say what it is and what to do."""
    for name in [*FILES, MARKER]:
        p = raw / name
        try:
            mode = os.stat(p).st_mode
        except FileNotFoundError:
            continue
        except OSError as e:
            raise DataCacheError(f"cannot read {p}: {e.strerror or e}; remove it (rm '{p}') and run again") from e
        if not stat.S_ISREG(mode):
            kind = "a folder" if stat.S_ISDIR(mode) else "not a regular file"
            raise DataCacheError(f"{p} is {kind}, where Fashion-MNIST's file {name} belongs; d2lcore does not "
                                 f"delete what it did not write: remove or rename it (rm -r '{p}') and run again")


def _warn_about_processed(root):
    processed = pathlib.Path(root) / "FashionMNIST" / "processed"
    if any((processed / f).exists() for f in ("training.pt", "test.pt")):
        warnings.warn(f"{processed} holds torchvision's old training.pt/test.pt, which "
                      f"torchvision.datasets.FashionMNIST reads instead of the verified raw files; d2lcore "
                      f"reads the raw files only. Delete that folder so that no reader uses unverified data.",
                      stacklevel=3)


@contextlib.contextmanager
def _writer_lock(raw, blocking=True):
    """Hold the cache's writer lock; yields False when it cannot be had (no fcntl, a read-only
    folder, or `blocking=False` and another process holds it). Raises DataCacheError when something
    other than a regular file is at the lock's path: O_NOFOLLOW, so that a link planted there cannot
    make d2lcore create a file wherever it points."""
    try:
        import fcntl
    except ImportError:
        yield False
        return
    path = raw / LOCK
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0), 0o666)
    except OSError:
        _refuse_lock_path(path)  # a link (ELOOP) or a folder (EISDIR) says so; else the folder is read-only
        yield False
        return
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # a FIFO or a device opens, but is no lock file
            _refuse_lock_path(path)
        yield _flock(fcntl, fd, raw, blocking)
    finally:
        os.close(fd)  # closing releases the lock


def _flock(fcntl, fd, raw, blocking):
    """Take the lock on fd: True, or False when it cannot be had. Before waiting, say why: the other
    process may be downloading for minutes, and a cell that hangs with no word gets interrupted."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        if not blocking:
            return False
    except OSError:  # a file system without locks
        return False
    if not os.environ.get("D2L_HEADLESS"):  # headless runs store their output: keep it the same
        print(f"[d2lcore] another process (a second notebook?) is filling the Fashion-MNIST cache {raw}; "
              f"waiting for it to finish", file=sys.stderr, flush=True)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
    except OSError:
        return False
    return True


def _refuse_lock_path(path):
    """Raise DataCacheError if something other than a regular file is at the lock's path."""
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return
    if stat.S_ISREG(mode):
        return
    if stat.S_ISLNK(mode):
        kind, remove = f"a symbolic link (to {os.readlink(path)})", "rm"
    else:
        kind, remove = ("a folder", "rm -r") if stat.S_ISDIR(mode) else ("not a regular file", "rm")
    raise DataCacheError(f"{path} is {kind}, where d2lcore keeps the lock file of the cache; d2lcore follows no link "
                         f"there and deletes nothing it did not write: remove it ({remove} '{path}') and run again")


def _leftovers(raw):
    return [*raw.glob(".*.tmp"), *raw.parent.glob(".download-*")]


def _clean_leftovers(raw):
    """Remove temporary files of writers that died. Call only while holding the writer lock."""
    for p in _leftovers(raw):
        with contextlib.suppress(OSError):
            shutil.rmtree(p) if p.is_dir() and not p.is_symlink() else p.unlink()


def _problems(raw, names):
    """{name: reason} for the files that are not verified; remembers the ones that are."""
    marker = _read_marker(raw)
    bad, changed = {}, False
    for name in names:
        path = raw / name
        if path.exists() and marker.get(name) == _stamp(path):
            continue
        reason = check_file(path, name)
        if reason is None:
            marker[name] = _stamp(path)
            changed = True
        else:
            bad[name] = reason
            changed = changed or marker.pop(name, None) is not None
    if changed:
        _write_marker(raw, marker)
    return bad


_NO_ROOM = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}  # a full disk, a full quota


def _install_verified(src_stream, raw, name):
    """Copy a stream into raw/name through a temporary file; rename only if it verifies.
    Stops as soon as the stream is longer than the file should be. Raises DataCacheError when the
    disk (or the user's quota) is full: no other source or mirror could help."""
    size, sha = FILES[name]
    try:
        with atomic_path(raw / name) as tmp:
            h, n = hashlib.sha256(), 0
            with open(tmp, "wb") as out:
                for block in iter(lambda: src_stream.read(_BLOCK), b""):
                    n += len(block)
                    if n > size:  # raising here removes the temporary file
                        raise ValueError(f"longer than the official {size} bytes; stopped reading")
                    out.write(block)
                    h.update(block)
                out.flush()
                os.fsync(out.fileno())
            if n != size or h.hexdigest() != sha:
                raise ValueError(f"{n} bytes with sha256 {h.hexdigest()[:12]}..., expected {size} bytes "
                                 f"with sha256 {sha[:12]}...")
    except OSError as e:
        if e.errno not in _NO_ROOM:
            raise
        raise DataCacheError(_no_room_message(raw, name, e)) from e


def _no_room_message(raw, name, e):
    """What a full disk or quota needs: how much room, how much there is (the temporary file is
    gone by now), and where else the cache can go."""
    need = sum(size for n, (size, _) in FILES.items() if not (raw / n).exists())
    free = ""
    if e.errno == errno.ENOSPC:  # a quota is not the disk's free space
        with contextlib.suppress(OSError):
            free = f", {shutil.disk_usage(raw).free / 1e6:.0f} MB are free on its disk"
    return (f"no room for Fashion-MNIST in {raw}: writing {name} failed with '{e.strerror or e}'. The files still "
            f"missing need {need / 1e6:.0f} MB there{free}. Free some space, or pass root= / set {DATA_DIR_ENV} "
            f"to a folder on another disk; the files already there are kept.")


def _why(e):
    """One line for a failed source: the OS's words for OS errors, else the exception's."""
    if isinstance(e, urllib.error.HTTPError):
        return f"HTTP {e.code} {e.reason}"
    if isinstance(e, urllib.error.URLError):
        e = e.reason if isinstance(e.reason, BaseException) else ValueError(e.reason)
    if isinstance(e, OSError) and e.strerror:
        return f"{e.strerror}" + (f" ({e.filename})" if e.filename else "")
    text = str(e).strip().splitlines()
    return f"{type(e).__name__}: {text[-1] if text else ''}".rstrip(": ")


def _from_folders(raw, names, folders):
    """Decompress (or copy) archives found in `folders` into the cache. Returns a list of problems."""
    problems, absent = [], []
    for name in names:
        candidates = [(pathlib.Path(d) / f, opener) for d in folders
                      for f, opener in ((f"{name}.gz", gzip.open), (name, open))]
        candidates = [(p, o) for p, o in candidates if p.exists() and p != raw / name]
        if not candidates:
            absent.append(name)
        for path, opener in candidates:
            try:
                with opener(path, "rb") as src:
                    _install_verified(src, raw, name)
                break
            except (OSError, EOFError, ValueError) as e:  # gzip raises BadGzipFile (OSError) and EOFError
                problems.append(f"{path}: {_why(e)}")
    if absent and folders:
        problems.append(f"no {', '.join(absent)} (.gz) in {', '.join(map(str, folders))}")
    return problems


class _Deadline:
    """A response read as a file (n bytes, fewer only at the end) that raises TimeoutError once
    the deadline has passed. Each piece comes from read1, which returns what has arrived, so a
    server that drips a byte at a time cannot hold one read past the deadline."""

    def __init__(self, response, deadline, limit_s):
        self.response, self.deadline, self.limit_s = response, deadline, limit_s
        self.read1 = getattr(response, "read1", response.read)

    def read(self, n=-1):
        n = float("inf") if n is None or n < 0 else n
        parts, got = [], 0
        while got < n:
            if time.monotonic() > self.deadline:
                raise TimeoutError(f"the download deadline of {self.limit_s:g} s passed ({DEADLINE_ENV})")
            part = self.read1(min(n - got, _BLOCK))
            if not part:
                break
            parts.append(part)
            got += len(part)
        return b"".join(parts)


def _mirrors():
    env = os.environ.get(MIRROR_ENV)
    # split at the commas that start another URL: a data: URL has commas of its own
    bases = [m.strip() for m in re.split(r",\s*(?=[A-Za-z][A-Za-z0-9+.-]*:)", env) if m.strip()] if env else MIRRORS
    return [b if b.endswith("/") else b + "/" for b in bases]


def _deadline_s():
    env = os.environ.get(DEADLINE_ENV)
    try:
        return float(env) if env else DEADLINE_S
    except ValueError:
        raise DataCacheError(f"{DEADLINE_ENV} must be a number of seconds, got {env!r}") from None


def _from_download(raw, names):
    """Each missing file from the first mirror that serves it whole, before the deadline."""
    limit_s = _deadline_s()
    deadline = time.monotonic() + limit_s
    problems = []
    for name in names:
        for base in _mirrors():
            url = f"{base}{name}.gz"
            left = deadline - time.monotonic()
            if left <= 0:
                problems.append(f"{url}: not tried, the download deadline of {limit_s:g} s passed ({DEADLINE_ENV})")
                break
            try:
                # the timeout is this connection's own: no process-wide socket default is changed
                with urllib.request.urlopen(url, timeout=min(READ_TIMEOUT_S, left)) as response:
                    with gzip.GzipFile(fileobj=_Deadline(response, deadline, limit_s)) as src:
                        _install_verified(src, raw, name)
                break
            except DataCacheError:  # a full disk: no mirror can help
                raise
            except Exception as e:  # refused, silent, HTTP error, bad URL, wrong bytes: try the next mirror
                problems.append(f"{url}: {_why(e)}")
    return problems


def _not_found_message(raw, bad, problems):
    lines = [f"Fashion-MNIST is not available in {raw} and could not be fetched.",
             "Missing or invalid: " + ", ".join(f"{n} ({r})" for n, r in bad.items()) + "."]
    if problems:
        lines += ["What was tried:"] + [f"  - {p}" for p in problems]
    if not os.access(raw, os.W_OK):
        lines += [f"The cache folder {raw} is not writable (read-only, or another user's): give a folder you can "
                  f"write with root= or {DATA_DIR_ENV}, or ask its owner to add the files."]
    lines += [
        "Get the data in any one of these ways, then run again:",
        "  1. Debian/Ubuntu package: sudo apt-get install dataset-fashion-mnist",
        "  2. A folder you already have: put the four files (.gz or decompressed) in <folder>/FashionMNIST/raw",
        f"     and pass root=<folder> or set {DATA_DIR_ENV}=<folder>",
        f"  3. The network: connect, or set {MIRROR_ENV}=<base URL of a mirror> behind a slow or blocked network",
    ]
    return "\n".join(lines)


def ensure_fashion_mnist(root=None, *, system_dirs=None, download=True):
    """Make sure the four decompressed Fashion-MNIST files are in the cache and verified.

    Returns the cache root (torchvision's `root`: the files are in root/FashionMNIST/raw).
    system_dirs: folders with the archives (default `default_system_dirs()`); download: allow the network.
    Raises DataNotFoundError, naming what was tried and the three ways to get the data, when no
    source works, and DataCacheError when the cache folder cannot be used as it is (also at once when its
    disk or the user's quota is full, saying how much room the files need). A corrupt or
    truncated cached file is reported with a warning naming it and repaired from the next source.
    """
    root = data_dir(root)
    raw = _make_raw(root)
    _refuse_non_files(raw)
    _warn_about_processed(root)
    if _leftovers(raw):
        with _writer_lock(raw, blocking=False) as alone:
            if alone:  # no writer alive: what is left belongs to one that died
                _clean_leftovers(raw)
    bad = _problems(raw, FILES)
    if not bad:
        return root
    with _writer_lock(raw) as locked:  # one filler at a time; the others then find the files verified
        if locked:
            _clean_leftovers(raw)
            bad = _problems(raw, bad)
        problems = []
        for name, reason in bad.items():
            if reason not in ("missing", "unreadable: permission denied"):
                warnings.warn(f"Fashion-MNIST file {raw / name} is {reason}; repairing it from another source",
                              stacklevel=2)
                try:
                    os.remove(raw / name)
                except FileNotFoundError:
                    pass
                except OSError as e:
                    problems.append(f"cannot remove the invalid {raw / name}: {_why(e)}")
        folders = [raw] + (default_system_dirs() if system_dirs is None else list(system_dirs))
        sources = [lambda names: _from_folders(raw, names, folders)]
        if download:
            sources.append(lambda names: _from_download(raw, names))
        for source in sources:
            if not bad:
                break
            problems += source(list(bad))
            bad = _problems(raw, bad)
    if bad:
        raise DataNotFoundError(_not_found_message(raw, bad, problems))
    return root
