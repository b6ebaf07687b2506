"""Where Fashion-MNIST comes from, how it is verified, and that nothing is left half-written.

The official archives come from ../shared/data/fashion-mnist (beside the checkout) or from
Debian's dataset-fashion-mnist package; tests that need them are skipped when neither exists.
No test touches the internet: downloads go to an HTTP server on 127.0.0.1.
"""
import functools
import gzip
import http.server
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from d2lcore.infra import fashion_mnist_files as fm

ROOT = pathlib.Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "fashion-mnist"
DEBIAN = pathlib.Path("/usr/share/datasets/fashion-mnist")
GZ = [f"{name}.gz" for name in fm.FILES]


def _has_all(d):
    return all((d / g).exists() for g in GZ)


ARCHIVES = next((d for d in (SHARED, DEBIAN) if _has_all(d)), None)
needs_archives = pytest.mark.skipif(ARCHIVES is None, reason="no Fashion-MNIST archives in ../shared or Debian's package")
needs_official = pytest.mark.skipif(not _has_all(SHARED), reason="needs the official archives in ../shared/data")


@pytest.fixture
def no_network(monkeypatch):
    """Point downloads at a closed port on this machine: fails at once, never leaves it."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv(fm.MIRROR_ENV, f"http://127.0.0.1:{port}/")


@pytest.fixture
def loopback_mirror(monkeypatch):
    """Serve the official archives over HTTP on 127.0.0.1 and point the mirror variable at it."""
    handler = functools.partial(_QuietHandler, directory=str(SHARED))
    server = _QuietServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv(fm.MIRROR_ENV, f"http://127.0.0.1:{server.server_address[1]}/")
    yield server
    server.shutdown()
    server.server_close()


class _QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # a client closing early is not this test's business


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    requests = []  # paths fetched with GET

    def do_GET(self):
        _QuietHandler.requests.append(self.path)
        super().do_GET()

    def log_message(self, *args):
        pass


def _leftovers(root):
    raw = fm.raw_dir(root)
    return sorted(p.name for p in raw.parent.rglob("*") if p.name.startswith(".") and p.name != fm.MARKER)


# --- where the cache is ---------------------------------------------------------------

def test_data_dir_prefers_root_then_env_then_user_cache(monkeypatch, tmp_path):
    monkeypatch.setenv(fm.DATA_DIR_ENV, str(tmp_path / "env"))
    assert fm.data_dir(tmp_path / "arg") == tmp_path / "arg"
    assert fm.data_dir() == tmp_path / "env"
    monkeypatch.delenv(fm.DATA_DIR_ENV)
    assert fm.data_dir() == pathlib.Path(fm.platformdirs.user_cache_dir("d2lcore", appauthor=False))


# --- sources ------------------------------------------------------------------------------

@needs_archives
def test_system_package_fills_the_cache_in_torchvisions_layout(tmp_path, no_network):
    root = fm.ensure_fashion_mnist(tmp_path, system_dirs=[ARCHIVES])
    raw = root / "FashionMNIST" / "raw"
    for name in fm.FILES:
        assert fm.check_file(raw / name, name) is None
    assert (raw / fm.MARKER).exists() and _leftovers(root) == []
    mode = (raw / "train-labels-idx1-ubyte").stat().st_mode & 0o777
    assert mode == 0o666 & ~_umask(), oct(mode)  # readable by others if the umask says so


def _umask():
    m = os.umask(0)
    os.umask(m)
    return m


@pytest.mark.skipif(not (_has_all(SHARED) and _has_all(DEBIAN)), reason="needs both the official and Debian's archives")
def test_debian_archives_differ_from_the_official_ones_only_in_the_gzip_header():
    for g in GZ:
        assert gzip.open(SHARED / g).read() == gzip.open(DEBIAN / g).read()
    assert any((SHARED / g).read_bytes() != (DEBIAN / g).read_bytes() for g in GZ)


@needs_official
def test_download_from_a_mirror_when_there_is_no_system_package(tmp_path, loopback_mirror):
    _QuietHandler.requests.clear()
    root = fm.ensure_fashion_mnist(tmp_path, system_dirs=[tmp_path / "no-such-dir"])
    for name in fm.FILES:
        assert fm.check_file(fm.raw_dir(root) / name, name) is None
    # every archive came from the mirror (torchvision probes each URL with an extra GET first)
    assert set(_QuietHandler.requests) == {f"/{g}" for g in GZ}
    assert _leftovers(root) == []  # the private download folder is gone


@needs_official
def test_a_corrupt_system_archive_falls_through_to_the_download(tmp_path, loopback_mirror):
    bad = tmp_path / "system"
    shutil.copytree(SHARED, bad)
    data = (bad / "train-labels-idx1-ubyte.gz").read_bytes()
    (bad / "train-labels-idx1-ubyte.gz").write_bytes(data[: len(data) // 2])  # truncated archive
    _QuietHandler.requests.clear()
    root = fm.ensure_fashion_mnist(tmp_path / "cache", system_dirs=[bad])
    assert fm.check_file(fm.raw_dir(root) / "train-labels-idx1-ubyte", "train-labels-idx1-ubyte") is None
    assert "/train-labels-idx1-ubyte.gz" in _QuietHandler.requests


def test_all_sources_missing_gives_one_error_naming_the_three_ways(tmp_path, no_network):
    start = time.monotonic()
    with pytest.raises(fm.DataNotFoundError) as info:
        fm.ensure_fashion_mnist(tmp_path, system_dirs=[tmp_path / "empty"])
    msg = str(info.value)
    assert "apt-get install dataset-fashion-mnist" in msg
    assert fm.DATA_DIR_ENV in msg and "root=" in msg
    assert fm.MIRROR_ENV in msg
    assert "train-images-idx3-ubyte (missing)" in msg
    assert "download from http://127.0.0.1" in msg  # says what was tried
    assert time.monotonic() - start < 30
    assert [p.name for p in fm.raw_dir(tmp_path).iterdir() if p.name != fm.MARKER] == []


def test_an_unreachable_network_error_is_not_a_traceback_maze(tmp_path, no_network):
    with pytest.raises(fm.DataNotFoundError) as info:
        fm.ensure_fashion_mnist(tmp_path, system_dirs=[])
    # the torchvision/urllib error is summarised in one line, not chained
    assert info.value.__context__ is None
    assert len(str(info.value).splitlines()) < 15


# --- integrity ------------------------------------------------------------------------------

@pytest.fixture
def filled(tmp_path, no_network):
    if ARCHIVES is None:
        pytest.skip("no Fashion-MNIST archives")
    return fm.ensure_fashion_mnist(tmp_path / "cache", system_dirs=[ARCHIVES])


def test_a_verified_cache_is_not_hashed_again(filled, monkeypatch):
    def boom(path):
        raise AssertionError(f"hashed {path} again")
    monkeypatch.setattr(fm, "_sha256", boom)
    assert fm.ensure_fashion_mnist(filled, system_dirs=[]) == filled


def test_a_truncated_cache_file_is_named_and_repaired(filled):
    path = fm.raw_dir(filled) / "train-labels-idx1-ubyte"
    data = path.read_bytes()
    path.write_bytes(data[:1000])
    with pytest.warns(UserWarning, match=r"train-labels-idx1-ubyte is truncated or padded: 1000 bytes, expected 60008"):
        fm.ensure_fashion_mnist(filled, system_dirs=[ARCHIVES])
    assert path.read_bytes() == data


def test_a_file_with_the_wrong_checksum_is_named_and_repaired(filled):
    path = fm.raw_dir(filled) / "t10k-labels-idx1-ubyte"
    data = bytearray(path.read_bytes())
    good = bytes(data)
    data[-1] ^= 0xFF  # same size, one byte changed
    path.write_bytes(bytes(data))
    os.utime(path, ns=(1, 1))  # a new modification time: the marker no longer vouches for it
    with pytest.warns(UserWarning, match="t10k-labels-idx1-ubyte is corrupt: sha256"):
        fm.ensure_fashion_mnist(filled, system_dirs=[ARCHIVES])
    assert path.read_bytes() == good


def test_a_corrupt_file_with_no_source_to_repair_it_is_reported(filled, no_network):
    path = fm.raw_dir(filled) / "train-labels-idx1-ubyte"
    path.write_bytes(b"\0" * 60008)
    with pytest.warns(UserWarning, match="train-labels-idx1-ubyte is corrupt"):
        with pytest.raises(fm.DataNotFoundError, match=r"train-labels-idx1-ubyte \(missing\)"):
            fm.ensure_fashion_mnist(filled, system_dirs=[])
    assert not path.exists()  # the bad copy is not left to look valid


@needs_archives
def test_a_copy_killed_mid_write_leaves_no_file_that_passes_verification(tmp_path):
    root = tmp_path / "cache"
    raw = fm.raw_dir(root)
    code = textwrap.dedent(f"""
        from d2lcore.infra import fashion_mnist_files as fm
        fm.ensure_fashion_mnist({str(root)!r}, system_dirs=[{str(ARCHIVES)!r}], download=False)
    """)
    proc = subprocess.Popen([sys.executable, "-c", code])
    killed_mid_write = False
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline:
        partial = list(raw.glob(".train-images-idx3-ubyte.*.tmp")) if raw.exists() else []
        if partial and partial[0].stat().st_size > 0:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            killed_mid_write = True
            break
        time.sleep(0.001)
    assert killed_mid_write, "the copy finished before it could be killed"
    final = raw / "train-images-idx3-ubyte"
    assert not final.exists() or fm.check_file(final, final.name) is None
    assert list(raw.glob(".train-images-idx3-ubyte.*.tmp"))  # the partial copy is only a temp file
    # the next run completes the cache; the dead run's temporary file is cleaned once stale
    fm._STALE_TMP_S, old = 0, fm._STALE_TMP_S
    try:
        fm.ensure_fashion_mnist(root, system_dirs=[ARCHIVES], download=False)
    finally:
        fm._STALE_TMP_S = old
    assert fm.check_file(final, final.name) is None
    assert not list(raw.glob("*.tmp"))


@needs_archives
def test_two_processes_filling_the_cache_at_once_both_succeed(tmp_path):
    root = tmp_path / "cache"
    code = textwrap.dedent(f"""
        from d2lcore.infra import fashion_mnist_files as fm
        fm.ensure_fashion_mnist({str(root)!r}, system_dirs=[{str(ARCHIVES)!r}], download=False)
        print("ok")
    """)
    procs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=120)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0] and outs == ["ok\n", "ok\n"]
    for name in fm.FILES:
        assert fm.check_file(fm.raw_dir(root) / name, name) is None
