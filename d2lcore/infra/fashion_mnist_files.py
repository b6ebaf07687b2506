"""Getting the four Fashion-MNIST files onto disk: offline first, verified, never half-written.

Where the data come from, in order:
1. the cache folder: `root` argument, else $D2L_DATA_DIR, else the per-user cache directory
   (`platformdirs.user_cache_dir("d2lcore", appauthor=False)`: ~/.cache/d2lcore on Linux,
   ~/Library/Caches/d2lcore on macOS, %LOCALAPPDATA%\\d2lcore\\Cache on Windows), laid out as
   torchvision expects: <root>/FashionMNIST/raw/train-images-idx3-ubyte ...;
2. Debian/Ubuntu's package `dataset-fashion-mnist` (/usr/share/datasets/fashion-mnist/*.gz),
   decompressed into the cache;
3. torchvision's download (md5-checked by torchvision), from the base URLs in
   $D2L_FASHION_MNIST_MIRROR (comma-separated) if set, else torchvision's own mirror.

Each decompressed file is checked by size and sha256 the first time; the result is remembered
in a marker file (keyed by size and modification time) so later loads skip the hashing.
Every write goes to a temporary file that is renamed into place only once verified: a run
killed mid-copy leaves at worst a stray temporary file, never a file that looks valid, and two
processes filling the cache at once each rename a complete, identical file.
"""
import gzip
import hashlib
import json
import os
import pathlib
import shutil
import socket
import tempfile
import time
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
MIRROR_ENV = "D2L_FASHION_MNIST_MIRROR"
DATA_DIR_ENV = "D2L_DATA_DIR"
MARKER = ".d2lcore-verified.json"
DOWNLOAD_TIMEOUT_S = 30
_STALE_TMP_S = 3600  # temporary files older than this belong to a run that died


class DataNotFoundError(RuntimeError):
    """None of the ways to get Fashion-MNIST worked."""


def data_dir(root=None):
    """The cache folder: `root`, else $D2L_DATA_DIR, else the per-user cache directory."""
    if root is None:
        root = os.environ.get(DATA_DIR_ENV) or platformdirs.user_cache_dir("d2lcore", appauthor=False)
    return pathlib.Path(root).expanduser()


def raw_dir(root):
    """torchvision's layout: <root>/FashionMNIST/raw."""
    return pathlib.Path(root) / "FashionMNIST" / "raw"


def _sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def check_file(path, name):
    """None if `path` holds the right bytes for `name`, else a reason ('missing', 'truncated ...')."""
    size, sha = FILES[name]
    try:
        actual = os.path.getsize(path)
    except FileNotFoundError:
        return "missing"
    if actual != size:
        return f"truncated or padded: {actual} bytes, expected {size}"
    if _sha256(path) != sha:
        return "corrupt: sha256 does not match the official file"
    return None


def _stamp(path):
    st = os.stat(path)
    return [st.st_size, st.st_mtime_ns]


def _read_marker(raw):
    try:
        return json.loads((raw / MARKER).read_text())
    except (OSError, ValueError):
        return {}


def _atomic_write_bytes(path, data):
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def _remove(path):
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


def _clean_stale_temporaries(raw):
    now = time.time()
    for p in raw.glob(".*.tmp"):
        try:
            if now - p.stat().st_mtime > _STALE_TMP_S:
                p.unlink()
        except OSError:
            pass
    for p in raw.parent.glob(".download-*"):
        try:
            if now - p.stat().st_mtime > _STALE_TMP_S:
                shutil.rmtree(p, ignore_errors=True)
        except OSError:
            pass


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
        _atomic_write_bytes(raw / MARKER, json.dumps(marker, indent=1).encode())
    return bad


def _install_verified(src_stream, raw, name):
    """Copy a stream into raw/name through a temporary file; rename only if it verifies."""
    size, sha = FILES[name]
    with atomic_path(raw / name) as tmp:
        h, n = hashlib.sha256(), 0
        with open(tmp, "wb") as out:
            for block in iter(lambda: src_stream.read(1 << 20), b""):
                out.write(block)
                h.update(block)
                n += len(block)
            out.flush()
            os.fsync(out.fileno())
        if n != size or h.hexdigest() != sha:  # raising here removes the temporary file
            raise ValueError(f"{n} bytes with sha256 {h.hexdigest()[:12]}..., expected {size} bytes "
                             f"with sha256 {sha[:12]}...")


def _from_system_package(raw, names, system_dirs):
    """Decompress the Debian package's archives into the cache. Returns a list of problems."""
    problems, absent = [], []
    for name in names:
        if not any((pathlib.Path(d) / f).exists() for d in system_dirs for f in (f"{name}.gz", name)):
            absent.append(name)
            continue
        for d in system_dirs:
            for candidate, opener in ((pathlib.Path(d) / f"{name}.gz", gzip.open),
                                      (pathlib.Path(d) / name, open)):
                if not candidate.exists():
                    continue
                try:
                    with opener(candidate, "rb") as src:
                        _install_verified(src, raw, name)
                    break
                except (OSError, EOFError, ValueError) as e:
                    problems.append(f"{candidate}: {e}")
            else:
                continue
            break
    if absent:
        problems.append(f"no {', '.join(absent)} (.gz) in {', '.join(map(str, system_dirs)) or 'any system folder'}")
    return problems


def _mirrors():
    from torchvision import datasets
    env = os.environ.get(MIRROR_ENV)
    if env:
        return [m.strip().rstrip("/") + "/" for m in env.split(",") if m.strip()]
    return list(datasets.FashionMNIST.mirrors)


def _from_download(raw, names):
    """Download with torchvision into a private folder, verify, rename into the cache."""
    from torchvision import datasets
    mirrors = _mirrors()
    # torchvision names its folder after the class, so the subclass keeps the name
    Mirrored = type("FashionMNIST", (datasets.FashionMNIST,), {"mirrors": mirrors})
    tmp_root = pathlib.Path(tempfile.mkdtemp(dir=raw.parent, prefix=".download-"))
    old_timeout = socket.getdefaulttimeout()
    socket.setdefaulttimeout(DOWNLOAD_TIMEOUT_S)  # torchvision's urlopen has no timeout of its own
    try:
        try:
            Mirrored(str(tmp_root), train=True, download=True)
        except Exception as e:  # torchvision raises RuntimeError/URLError/OSError: report, not crash
            return [f"download from {', '.join(mirrors)} failed: {str(e).strip().splitlines()[-1]}"]
        problems = []
        for name in names:
            try:
                with open(raw_dir(tmp_root) / name, "rb") as src:
                    _install_verified(src, raw, name)
            except (OSError, ValueError) as e:
                problems.append(f"downloaded {name}: {e}")
        return problems
    finally:
        socket.setdefaulttimeout(old_timeout)
        shutil.rmtree(tmp_root, ignore_errors=True)


def _not_found_message(raw, bad, problems):
    lines = [f"Fashion-MNIST is not available in {raw} and could not be fetched.",
             "Missing or invalid: " + ", ".join(f"{n} ({r})" for n, r in bad.items()) + "."]
    if problems:
        lines += ["What was tried:"] + [f"  - {p}" for p in problems]
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

    Returns the cache root (pass it to torchvision as `root`). Raises DataNotFoundError,
    naming the three ways to get the data, when no source works. A corrupt or truncated
    cached file is reported with a warning naming it and repaired from the next source.
    """
    root = data_dir(root)
    if root.exists() and not root.is_dir():
        raise NotADirectoryError(f"root must be a folder for the data cache, got the file {root}")
    raw = raw_dir(root)
    raw.mkdir(parents=True, exist_ok=True)
    _clean_stale_temporaries(raw)
    bad = _problems(raw, FILES)
    if not bad:
        return root
    for name, reason in bad.items():
        if reason != "missing":
            warnings.warn(f"Fashion-MNIST file {raw / name} is {reason}; repairing it from another source",
                          stacklevel=2)
            _remove(raw / name)
    problems = []
    sources = [lambda names: _from_system_package(raw, names, SYSTEM_DIRS if system_dirs is None else system_dirs)]
    if download:
        sources.append(lambda names: _from_download(raw, names))
    for source in sources:
        problems += source(list(bad))
        bad = _problems(raw, bad)
        if not bad:
            return root
    raise DataNotFoundError(_not_found_message(raw, bad, problems))
