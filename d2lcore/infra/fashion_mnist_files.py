"""Getting the four Fashion-MNIST files onto disk: offline first, verified, never half-written.

Where the data come from, in order:
1. the cache folder: `root` argument, else $D2L_DATA_DIR (an absolute path), else the per-user
   cache directory (platformdirs: ~/.cache/d2lcore on Linux, ~/Library/Caches/d2lcore on macOS,
   %LOCALAPPDATA%\\d2lcore\\Cache on Windows), in torchvision's layout
   <root>/FashionMNIST/raw/train-images-idx3-ubyte ...; `.gz` archives there are decompressed beside themselves;
2. Debian/Ubuntu's package `dataset-fashion-mnist` (/usr/share/datasets/fashion-mnist/*.gz;
   $D2L_FASHION_MNIST_SYSTEM_DIRS replaces that list, os.pathsep-separated, empty for none);
3. a download of each missing `.gz` from the base URLs in $D2L_FASHION_MNIST_MIRROR
   (comma-separated) if set, else torchvision's mirror; any failure moves that file on to the next mirror,
   and a mirror silent for READ_TIMEOUT_S is given up.

Every file is checked by size and sha256 of its decompressed bytes before it is used (once per
process: under 0.1 s). Every write goes to a temporary file renamed into place only once verified
(`atomic_path`), so a killed run never leaves a file that looks valid, and two processes filling the
cache at once both succeed; a later load removes a dead run's temporary file once it is STALE_S old.
(torchvision's `download_url` has no timeout, writes the final name before checking it, and checks
the .gz's md5, which Debian's re-gzipped archives fail.)
"""
import contextlib
import errno
import gzip
import hashlib
import os
import pathlib
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
READ_TIMEOUT_S = 30  # a mirror that sends nothing for this long is given up
STALE_S = 3600  # a temporary file untouched this long belongs to a run that died (a live one writes every few s)
_BLOCK = 1 << 20
_verified = {}  # path -> (size, mtime_ns) of the files hashed by this process


class DataNotFoundError(RuntimeError):
    """None of the ways to get Fashion-MNIST worked."""


class DataCacheError(DataNotFoundError):
    """The cache folder cannot be used as it is (a folder where a file belongs, a full disk, ...)."""


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
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


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
    except OSError as e:
        return f"unreadable: {(e.strerror or str(e)).lower()}"
    return None


def _problems(raw, names):
    """{name: reason} for the files that are not verified (those this process verified are not hashed again)."""
    bad = {}
    for name in names:
        path = raw / name
        stamp = None  # taken before hashing: a change meanwhile is hashed next time
        with contextlib.suppress(OSError):
            st = os.stat(path)
            stamp = st.st_size, st.st_mtime_ns
        if stamp and _verified.get(path) == stamp:
            continue
        reason = check_file(path, name)
        if reason:
            bad[name] = reason
        elif stamp:
            _verified[path] = stamp
    return bad


def _install_verified(src, raw, name):
    """Copy a stream into raw/name through a temporary file, renamed only if it verifies; stops as
    soon as the stream is longer than the file should be. A full disk or quota raises DataCacheError:
    no other source or mirror could help."""
    size, sha = FILES[name]
    try:
        with atomic_path(raw / name) as tmp, open(tmp, "wb") as out:
            h, n = hashlib.sha256(), 0
            for block in iter(lambda: src.read(_BLOCK), b""):
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
        if e.errno not in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
            raise
        # a damaged file is replaced through a temporary copy beside it: it needs its full size too
        need = sum(FILES[n][0] for n in _problems(raw, FILES))
        raise DataCacheError(f"no room for Fashion-MNIST in {raw}: writing {name} failed with '{e.strerror}'. "
                             f"The files still missing or damaged need {need / 1e6:.0f} MB there. Free some space, or pass "
                             f"root= / set {DATA_DIR_ENV} to a folder on another disk; the files already there "
                             f"are kept.") from e


def _why(e):
    """One line for a failed source: the OS's words for OS errors, else the exception's."""
    if isinstance(e, urllib.error.HTTPError):
        return f"HTTP {e.code} {e.reason}"
    if isinstance(e, urllib.error.URLError) and isinstance(e.reason, BaseException):
        e = e.reason
    if isinstance(e, OSError) and e.strerror:
        return e.strerror + (f" ({e.filename})" if e.filename else "")
    return f"{type(e).__name__}: {e}"


def _from_folders(raw, names, folders):
    """Decompress (or copy) the files found in `folders` into the cache. Returns a list of problems."""
    problems, absent = [], []
    for name in names:
        found = [(p, gzip.open if p.suffix == ".gz" else open) for d in folders
                 for p in (pathlib.Path(d) / f"{name}.gz", pathlib.Path(d) / name) if p.exists() and p != raw / name]
        if not found:
            absent.append(name)
        for path, opener in found:
            try:
                with opener(path, "rb") as src:
                    _install_verified(src, raw, name)
                break
            except (OSError, EOFError, ValueError) as e:  # gzip raises BadGzipFile (OSError) and EOFError
                problems.append(f"{path}: {_why(e)}")
    if absent and folders:
        problems.append(f"no {', '.join(absent)} (.gz) in {', '.join(map(str, folders))}")
    return problems


def _from_download(raw, names):
    """Each missing file from the first mirror that serves it whole. Returns a list of problems."""
    env = os.environ.get(MIRROR_ENV)
    mirrors = [m.strip() for m in env.split(",") if m.strip()] if env else MIRRORS
    problems = []
    for name in names:
        for base in mirrors:
            url = f"{base.rstrip('/')}/{name}.gz"
            try:  # the timeout is this connection's own: no process-wide socket default is changed
                with urllib.request.urlopen(url, timeout=READ_TIMEOUT_S) as response, \
                        gzip.GzipFile(fileobj=response) as src:
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
    truncated cached file is reported with a warning naming it and replaced from the next source.
    """
    root = data_dir(root)
    raw = raw_dir(root)
    try:
        if not raw.is_dir():
            raw.mkdir(parents=True, exist_ok=True)
    except OSError as e:  # a file or a broken link where a folder belongs, no permission
        raise DataCacheError(f"cannot create the Fashion-MNIST cache folder {raw}: {_why(e)}; move that away, or "
                             f"pass root= / set {DATA_DIR_ENV} to a folder you can write") from None
    for name in FILES:  # d2lcore does not delete what it did not write
        if os.path.lexists(raw / name) and not os.path.isfile(raw / name):
            raise DataCacheError(f"{raw / name} is not a regular file (a folder? a link loop?), where Fashion-MNIST's "
                                 f"file {name} belongs: remove or rename it and run again")
    for tmp in raw.glob(".*.tmp"):  # temporary files of a run that died
        with contextlib.suppress(OSError):
            if time.time() - tmp.lstat().st_mtime > STALE_S:
                tmp.unlink()
    bad = _problems(raw, FILES)
    for name, reason in bad.items():
        if reason != "missing" and not reason.startswith("unreadable"):
            warnings.warn(f"Fashion-MNIST file {raw / name} is {reason}; replacing it from another source",
                          stacklevel=2)
    folders = [raw] + (default_system_dirs() if system_dirs is None else list(system_dirs))
    problems = _from_folders(raw, list(bad), folders) if bad else []
    bad = _problems(raw, bad)
    if bad and download:
        problems += _from_download(raw, list(bad))
        bad = _problems(raw, bad)
    if bad:
        raise DataNotFoundError(_not_found_message(raw, bad, problems))
    return root
