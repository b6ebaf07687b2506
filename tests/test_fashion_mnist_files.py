"""Where Fashion-MNIST comes from, how it is verified, and that nothing is left half-written.

The official archives come from ../shared/data/fashion-mnist (beside the checkout) or from
Debian's dataset-fashion-mnist package; tests that need them are skipped when neither exists.
No test touches the internet: downloads go to an HTTP server on 127.0.0.1.
"""
import errno
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
    return sorted(p.name for p in fm.raw_dir(root).parent.rglob(".*"))


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
    assert _leftovers(root) == []
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
    assert sorted(_QuietHandler.requests) == sorted(f"/{g}" for g in GZ)  # each archive fetched once
    assert _leftovers(root) == []


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


def test_all_sources_missing_gives_one_error_naming_the_three_ways(tmp_path, no_network, monkeypatch):
    monkeypatch.setenv(fm.MIRROR_ENV, "not-a-url, " + os.environ[fm.MIRROR_ENV])  # a list; a bad entry is one line
    start = time.monotonic()
    with pytest.raises(fm.DataNotFoundError) as info:
        fm.ensure_fashion_mnist(tmp_path, system_dirs=[tmp_path / "empty"])
    msg = str(info.value)
    assert "apt-get install dataset-fashion-mnist" in msg
    assert fm.DATA_DIR_ENV in msg and "root=" in msg
    assert fm.MIRROR_ENV in msg
    assert "train-images-idx3-ubyte (missing)" in msg
    assert "http://127.0.0.1" in msg and "train-images-idx3-ubyte.gz" in msg  # says what was tried
    assert "not-a-url/train-images-idx3-ubyte.gz: ValueError: unknown url type" in msg
    assert time.monotonic() - start < 30
    assert list(fm.raw_dir(tmp_path).iterdir()) == []


def test_an_unreachable_network_error_is_not_a_traceback_maze(tmp_path, no_network):
    socket.setdefaulttimeout(None)
    with pytest.raises(fm.DataNotFoundError) as info:
        fm.ensure_fashion_mnist(tmp_path, system_dirs=[])
    # the urllib error is summarised in one line per URL, not chained
    assert info.value.__context__ is None
    assert len(str(info.value).splitlines()) < 15
    assert socket.getdefaulttimeout() is None  # the download's timeout was its own, not the process's


# --- integrity ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def _filled_once(tmp_path_factory):
    if ARCHIVES is None:
        pytest.skip("no Fashion-MNIST archives")
    return fm.ensure_fashion_mnist(tmp_path_factory.mktemp("filled"), system_dirs=[ARCHIVES], download=False)


@pytest.fixture
def filled(_filled_once, tmp_path, no_network):
    """A cache as ensure_fashion_mnist leaves it (a copy of one filled once: copy2 keeps the
    modification times the marker vouches for)."""
    shutil.copytree(_filled_once, tmp_path / "cache")
    return tmp_path / "cache"


def test_a_verified_cache_is_not_hashed_again_in_the_same_process(filled, monkeypatch):
    assert fm.ensure_fashion_mnist(filled, system_dirs=[]) == filled  # a lesson loads more than once

    def boom(path):
        raise AssertionError(f"hashed {path} again")
    monkeypatch.setattr(fm, "_sha256", boom)
    assert fm.ensure_fashion_mnist(filled, system_dirs=[]) == filled


@needs_archives
@pytest.mark.parametrize("change", ["truncated", "same size, new time"])
def test_a_file_changed_after_it_was_verified_is_checked_again(filled, change):
    fm.ensure_fashion_mnist(filled, system_dirs=[])  # verified, and remembered as such in this process
    path = fm.raw_dir(filled) / "t10k-labels-idx1-ubyte"
    good = path.read_bytes()
    data = bytearray(good)
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data[:1000] if change == "truncated" else data))
    os.utime(path, ns=(1, 1))  # another time than the one verified (a copy put back has an old one)
    with pytest.warns(UserWarning, match="t10k-labels-idx1-ubyte is (truncated|corrupt)"):
        fm.ensure_fashion_mnist(filled, system_dirs=[ARCHIVES])
    assert path.read_bytes() == good


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


def test_a_corrupt_file_with_no_source_to_repair_it_is_reported_at_every_load(filled, no_network):
    path = fm.raw_dir(filled) / "train-labels-idx1-ubyte"
    path.write_bytes(b"\0" * 60008)
    for _ in range(2):  # it never comes to look valid
        with pytest.warns(UserWarning, match="train-labels-idx1-ubyte is corrupt"):
            with pytest.raises(fm.DataNotFoundError, match=r"train-labels-idx1-ubyte \(corrupt: sha256"):
                fm.ensure_fashion_mnist(filled, system_dirs=[])


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
    partial = list(raw.glob(".train-images-idx3-ubyte.*.tmp"))
    assert partial  # the partial copy is only a temporary file
    # the next run completes the cache; the temporary file could be a live writer's, so it is kept while fresh...
    fm.ensure_fashion_mnist(root, system_dirs=[ARCHIVES], download=False)
    assert fm.check_file(final, final.name) is None and partial[0].exists()
    # ...and removed by a load once untouched for STALE_S
    old = time.time() - fm.STALE_S - 60
    os.utime(partial[0], (old, old))
    fm.ensure_fashion_mnist(root, system_dirs=[ARCHIVES], download=False)
    assert _leftovers(root) == []


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


# --- issue #16: every cache state, mirror and thread -------------------------------------------

@functools.lru_cache(maxsize=None)
def _decompressed(name):
    return gzip.open(ARCHIVES / f"{name}.gz").read()


def _decompress_into(raw, names=fm.FILES):
    raw.mkdir(parents=True, exist_ok=True)
    for name in names:
        (raw / name).write_bytes(_decompressed(name))


@needs_archives
def test_gz_files_in_the_cache_folder_are_used(tmp_path):
    raw = fm.raw_dir(tmp_path)
    raw.mkdir(parents=True)
    for g in GZ:
        shutil.copy(ARCHIVES / g, raw / g)
    fm.ensure_fashion_mnist(tmp_path, system_dirs=[], download=False)
    for name in fm.FILES:
        assert fm.check_file(raw / name, name) is None and (raw / f"{name}.gz").exists()


@pytest.mark.parametrize("where", ["FashionMNIST", "FashionMNIST/raw"])
def test_a_file_where_a_cache_folder_belongs_is_named(tmp_path, where):
    (tmp_path / where).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / where).write_text("not a folder")
    with pytest.raises(fm.DataCacheError, match=r"cannot create the Fashion-MNIST cache folder .*raw: "
                                                r"(File exists|Not a directory) .*root= / set D2L_DATA_DIR"):
        fm.ensure_fashion_mnist(tmp_path, system_dirs=[], download=False)
    assert (tmp_path / where).read_text() == "not a folder"


@pytest.mark.parametrize("plant", ["a folder", "a link loop", "a link to a missing file", "a FIFO"])
def test_something_not_a_file_where_a_data_file_belongs_is_named_and_left_alone(tmp_path, plant):
    raw = fm.raw_dir(tmp_path)
    raw.mkdir(parents=True)
    path, elsewhere = raw / "train-images-idx3-ubyte", tmp_path / "elsewhere"
    elsewhere.mkdir()
    if plant == "a folder":
        (path / "inside").mkdir(parents=True)
    elif plant == "a link loop":
        path.symlink_to(path)
    elif plant == "a link to a missing file":
        path.symlink_to(elsewhere / "created-by-d2lcore")
    else:
        os.mkfifo(path)
    with pytest.raises(fm.DataCacheError, match=r"train-images-idx3-ubyte is not a regular file .*remove or rename it"):
        fm.ensure_fashion_mnist(tmp_path, system_dirs=[ARCHIVES or tmp_path], download=False)
    assert os.path.lexists(path) and list(elsewhere.iterdir()) == []  # left as it was, nothing made where it points


def test_a_link_loop_where_the_cache_folder_belongs_is_named(tmp_path):
    (tmp_path / "FashionMNIST").mkdir()
    (tmp_path / "FashionMNIST" / "raw").symlink_to(tmp_path / "FashionMNIST" / "raw")
    with pytest.raises(fm.DataCacheError, match=r"cannot create the Fashion-MNIST cache folder .*raw: File exists"):
        fm.ensure_fashion_mnist(tmp_path, system_dirs=[], download=False)


@needs_archives
def test_torchvisions_old_processed_files_are_never_used(tmp_path):
    import torch
    import d2lcore as d2l
    processed = tmp_path / "FashionMNIST" / "processed"
    processed.mkdir(parents=True)
    zeros = (torch.zeros(60000, 28, 28, dtype=torch.uint8), torch.zeros(60000, dtype=torch.int64))
    torch.save(zeros, processed / "training.pt")
    torch.save(zeros, processed / "test.pt")
    _decompress_into(fm.raw_dir(tmp_path))
    train, _ = d2l.load_data_fashion_mnist(256, root=tmp_path)
    assert train.images.float().mean() > 50 and torch.bincount(train.labels).tolist() == [6000] * 10


def _unprivileged(code, **kw):
    """Run code in a Python that has no permission bypass: as is when not root, else root with
    CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH dropped (setpriv), so file modes bind it."""
    cmd = [sys.executable, "-c", textwrap.dedent(code)]
    if os.geteuid() == 0:
        if not shutil.which("setpriv"):
            pytest.skip("root without setpriv: cannot drop the permission bypass")
        cmd = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", *cmd]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, **kw)


def _read_only(path):
    for p in [path, *path.rglob("*")]:
        p.chmod(p.stat().st_mode & ~0o222)


@pytest.fixture
def restore_modes(tmp_path):
    yield
    for p in [tmp_path, *tmp_path.rglob("*")]:
        p.chmod(0o755 if p.is_dir() else 0o644)


@needs_archives
def test_a_read_only_shared_folder_with_valid_files_is_read(tmp_path, restore_modes):
    _decompress_into(fm.raw_dir(tmp_path))
    _read_only(tmp_path)
    before = sorted(fm.raw_dir(tmp_path).iterdir())
    r = _unprivileged(f"""
        import d2lcore as d2l
        train, test = d2l.load_data_fashion_mnist(256, root={str(tmp_path)!r})
        print(len(train.labels), len(test.labels))
    """, env=dict(os.environ, D2L_FASHION_MNIST_SYSTEM_DIRS="", D2L_FASHION_MNIST_MIRROR="http://127.0.0.1:9/"))
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["60000", "10000"]
    assert sorted(fm.raw_dir(tmp_path).iterdir()) == before  # nothing was written


@needs_archives
@pytest.mark.parametrize("damage", ["missing", "unreadable"])
def test_a_read_only_folder_that_lacks_a_file_says_it_is_not_writable(tmp_path, restore_modes, damage):
    raw = fm.raw_dir(tmp_path)
    _decompress_into(raw)
    if damage == "missing":
        (raw / "t10k-labels-idx1-ubyte").unlink()
    else:
        (raw / "t10k-labels-idx1-ubyte").chmod(0)
    _read_only(tmp_path)
    r = _unprivileged(f"""
        from d2lcore.infra import fashion_mnist_files as fm
        try:
            fm.ensure_fashion_mnist({str(tmp_path)!r}, system_dirs=[{str(ARCHIVES)!r}], download=False)
        except fm.DataNotFoundError as e:
            print(e)
    """)
    assert r.returncode == 0, r.stderr
    reason = "missing" if damage == "missing" else "unreadable: permission denied"
    assert f"t10k-labels-idx1-ubyte ({reason})" in r.stdout
    assert f"The cache folder {raw} is not writable" in r.stdout
    assert "Traceback" not in r.stderr


@needs_official
@pytest.mark.parametrize("route", ["system package", "download"])
@pytest.mark.parametrize("code, words", [(errno.ENOSPC, "No space left on device"), (errno.EDQUOT, "Disk quota exceeded")])
def test_a_full_disk_or_quota_stops_the_fill_at_once_saying_how_much_room_it_needs(
        tmp_path, monkeypatch, loopback_mirror, code, words, route):
    # #28: the error said the data "could not be fetched" and offered the network and Debian's package,
    # after trying every other source and mirror on the same full disk
    real, tried = fm.atomic_path, []

    def no_room(path):
        if path.name in fm.FILES:
            tried.append(path.name)
            raise OSError(code, words, str(path))
        return real(path)

    monkeypatch.setattr(fm, "atomic_path", no_room)
    _QuietHandler.requests.clear()
    with pytest.raises(fm.DataCacheError) as e:  # the download route: where there is no Debian package
        fm.ensure_fashion_mnist(tmp_path, system_dirs=[ARCHIVES] if route == "system package" else [])
    msg = str(e.value)
    assert f"writing train-images-idx3-ubyte failed with '{words}'" in msg
    assert "The files still missing or damaged need 55 MB there" in msg
    assert "set D2L_DATA_DIR to a folder on another disk" in msg and "apt-get" not in msg
    assert tried == ["train-images-idx3-ubyte"]  # no other file, source or mirror was tried
    assert _QuietHandler.requests == ([] if route == "system package" else ["/train-images-idx3-ubyte.gz"])


@needs_archives
def test_a_full_disk_while_replacing_a_damaged_file_counts_that_files_room(filled, monkeypatch):
    path = fm.raw_dir(filled) / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:1000])
    real = fm.atomic_path

    def no_room(target):
        if target.name in fm.FILES:
            raise OSError(errno.ENOSPC, "No space left on device", str(target))
        return real(target)

    monkeypatch.setattr(fm, "atomic_path", no_room)
    with pytest.warns(UserWarning, match="truncated"), pytest.raises(fm.DataCacheError) as e:
        fm.ensure_fashion_mnist(filled, system_dirs=[ARCHIVES])
    assert "The files still missing or damaged need 47 MB there" in str(e.value)  # its full size, not 0


@pytest.fixture
def small_disk(tmp_path):
    """A 20 MB tmpfs: too small for the 55 MB of decompressed files (needs root and mount)."""
    disk = tmp_path / "small"
    disk.mkdir()
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a small tmpfs needs root")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=20m", "tmpfs", str(disk)], capture_output=True,
                             text=True)
    if mounted.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    yield disk
    subprocess.run(["umount", str(disk)], check=True)


@needs_archives
def test_a_really_full_disk_leaves_no_partial_file_and_says_how_much_room_is_needed(small_disk):
    with pytest.raises(fm.DataCacheError, match=r"writing train-images-idx3-ubyte failed with 'No space left on device'"
                                                r"\. The files still missing or damaged need 55 MB there"):
        fm.ensure_fashion_mnist(small_disk, system_dirs=[ARCHIVES], download=False)
    assert list(fm.raw_dir(small_disk).iterdir()) == []  # the partial copy is gone, its room free again
    assert shutil.disk_usage(small_disk).used < 1e6


# mirrors

def _server(handler_cls, directory=SHARED):
    server = _QuietServer(("127.0.0.1", 0), functools.partial(handler_cls, directory=str(directory)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


class _OneBadFileHandler(_QuietHandler):
    """Serves the official archives, except train-labels, which comes truncated."""
    requests = []

    @staticmethod
    def bad_labels():
        return (SHARED / "train-labels-idx1-ubyte.gz").read_bytes()[:5000]

    def do_GET(self):
        type(self).requests.append(self.path)
        if self.path == "/train-labels-idx1-ubyte.gz":
            data = self.bad_labels()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        else:
            http.server.SimpleHTTPRequestHandler.do_GET(self)


class _OneWrongFileHandler(_OneBadFileHandler):
    """Serves the official archives, except train-labels, which comes whole but with other bytes
    (as another data set's file of the same name and size would: MNIST's have Fashion-MNIST's sizes)."""
    requests = []

    @staticmethod
    def bad_labels():
        labels = bytearray(gzip.decompress((SHARED / "train-labels-idx1-ubyte.gz").read_bytes()))
        labels[-1] = (labels[-1] + 1) % 10
        return gzip.compress(bytes(labels))


@pytest.fixture
def quick_timeouts(monkeypatch):
    monkeypatch.setattr(fm, "READ_TIMEOUT_S", 1)


@needs_official
def test_a_silent_mirror_is_given_up_and_the_next_one_used(tmp_path, monkeypatch, quick_timeouts):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)  # connections are accepted by the kernel; nobody ever answers
    good, good_url = _server(_QuietHandler)
    try:
        monkeypatch.setenv(fm.MIRROR_ENV, f"http://127.0.0.1:{silent.getsockname()[1]}/,{good_url}")
        start = time.monotonic()
        root = fm.ensure_fashion_mnist(tmp_path, system_dirs=[])
        elapsed = time.monotonic() - start
    finally:
        silent.close()
        good.shutdown()
        good.server_close()
    assert all(fm.check_file(fm.raw_dir(root) / n, n) is None for n in fm.FILES)
    assert elapsed < 4 * 1 + 20  # one read timeout per file on the silent mirror, then the good one


@needs_official
@pytest.mark.parametrize("handler", [_OneBadFileHandler, _OneWrongFileHandler], ids=["truncated", "same size, wrong bytes"])
def test_one_bad_file_from_a_mirror_keeps_its_good_ones_and_fetches_only_that_one_elsewhere(tmp_path, monkeypatch,
                                                                                            handler):
    bad, bad_url = _server(handler)
    _QuietHandler.requests.clear()
    handler.requests.clear()
    good, good_url = _server(_QuietHandler)
    monkeypatch.setenv(fm.MIRROR_ENV, f"{bad_url},{good_url}")
    try:
        root = fm.ensure_fashion_mnist(tmp_path, system_dirs=[])
    finally:
        for s in (bad, good):
            s.shutdown()
            s.server_close()
    assert all(fm.check_file(fm.raw_dir(root) / n, n) is None for n in fm.FILES)
    assert sorted(handler.requests) == sorted(f"/{g}" for g in GZ)
    assert [r for r in _QuietHandler.requests if r.endswith(".gz")] == ["/train-labels-idx1-ubyte.gz"]


@needs_official
def test_a_file_url_mirror_works(tmp_path, monkeypatch):
    monkeypatch.setenv(fm.MIRROR_ENV, SHARED.as_uri())
    root = fm.ensure_fashion_mnist(tmp_path, system_dirs=[])
    assert all(fm.check_file(fm.raw_dir(root) / n, n) is None for n in fm.FILES)


# leftovers and paths

@needs_archives
def test_only_stale_temporary_files_are_removed(tmp_path):
    raw = fm.raw_dir(tmp_path)
    _decompress_into(raw)
    stale, fresh = raw / ".train-images-idx3-ubyte.1234abcd.tmp", raw / ".t10k-images-idx3-ubyte.5678abcd.tmp"
    for p in (stale, fresh):
        p.write_bytes(b"\0" * 1000)
    old = time.time() - fm.STALE_S - 60
    os.utime(stale, (old, old))
    fm.ensure_fashion_mnist(tmp_path, system_dirs=[], download=False)
    assert _leftovers(tmp_path) == [fresh.name]  # the fresh one may be a live writer's


def test_an_oversized_system_archive_is_refused_before_it_is_copied(tmp_path):
    system = tmp_path / "system"
    system.mkdir()
    archive = system / "t10k-labels-idx1-ubyte.gz"
    with gzip.open(archive, "wb", compresslevel=1) as f:
        for _ in range(64):  # 64 MiB of zeros
            f.write(b"\0" * (1 << 20))
    # its end cut off: reading it all would fail on the cut ("Compressed file ended before ..."), so
    # the message below says it stopped reading soon after the official size
    archive.write_bytes(archive.read_bytes()[:-64])
    with pytest.raises(fm.DataNotFoundError, match=r"t10k-labels-idx1-ubyte.gz: ValueError: longer than the official 10008 bytes"):
        fm.ensure_fashion_mnist(tmp_path / "cache", system_dirs=[system], download=False)
    assert _leftovers(tmp_path / "cache") == []


@pytest.mark.parametrize("value", ["  ", "relative/data", "data"])
def test_a_blank_or_relative_data_dir_variable_is_refused(monkeypatch, value):
    monkeypatch.setenv(fm.DATA_DIR_ENV, value)
    with pytest.raises(fm.DataCacheError, match=rf"{fm.DATA_DIR_ENV} must be an absolute folder path, got {value!r}"):
        fm.data_dir()


def test_an_empty_data_dir_variable_means_unset(monkeypatch):
    monkeypatch.setenv(fm.DATA_DIR_ENV, "")
    assert fm.data_dir() == pathlib.Path(fm.platformdirs.user_cache_dir("d2lcore", appauthor=False))


def test_the_system_folders_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv(fm.SYSTEM_DIRS_ENV, raising=False)
    assert fm.default_system_dirs() == fm.SYSTEM_DIRS
    monkeypatch.setenv(fm.SYSTEM_DIRS_ENV, "")
    assert fm.default_system_dirs() == []  # "do not use the system package"
    monkeypatch.setenv(fm.SYSTEM_DIRS_ENV, os.pathsep.join(["/a", "/b"]))
    assert fm.default_system_dirs() == ["/a", "/b"]
