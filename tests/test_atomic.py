import os

import pytest

import d2lcore as d2l


def _umask():
    m = os.umask(0)
    os.umask(m)
    return m


def test_a_completed_block_replaces_the_file_with_the_umask_mode(tmp_path):
    target = tmp_path / "model.onnx"
    target.write_text("old")
    with d2l.infra.atomic_path(target) as tmp:
        assert tmp.parent == tmp_path and tmp != target
        tmp.write_text("new")
        assert target.read_text() == "old"  # readers still see the old file meanwhile
    assert target.read_text() == "new"
    assert target.stat().st_mode & 0o777 == 0o666 & ~_umask()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.onnx"]


def test_a_failing_block_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "data.bin"
    target.write_bytes(b"good")
    with pytest.raises(RuntimeError, match="interrupted"):
        with d2l.infra.atomic_path(target) as tmp:
            tmp.write_bytes(b"half")
            raise RuntimeError("interrupted")
    assert target.read_bytes() == b"good"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.bin"]


def test_a_failing_first_write_creates_nothing(tmp_path):
    with pytest.raises(KeyboardInterrupt):
        with d2l.infra.atomic_path(tmp_path / "new.txt"):
            raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_the_process_umask_is_never_changed(tmp_path, monkeypatch):
    # reading the umask with os.umask() sets it for every thread meanwhile: one thread's files
    # would be created world-writable while another reads it
    def umask(_):
        raise AssertionError("atomic_path changed the process umask")

    monkeypatch.setattr(os, "umask", umask)
    with d2l.infra.atomic_path(tmp_path / "a.txt") as tmp:
        tmp.write_text("x")
    assert (tmp_path / "a.txt").read_text() == "x"


def test_threads_writing_at_once_keep_the_umask_and_the_mode(tmp_path):
    import threading
    old = os.umask(0o022)
    try:
        def write(i):
            for j in range(50):
                with d2l.infra.atomic_path(tmp_path / f"{i}-{j}.txt") as tmp:
                    tmp.write_text("x")

        threads = [threading.Thread(target=write, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert _umask() == 0o022
        assert {p.stat().st_mode & 0o777 for p in tmp_path.iterdir()} == {0o644}
        assert len(list(tmp_path.iterdir())) == 200
    finally:
        os.umask(old)


def test_a_writer_that_adds_its_own_extension_leaves_the_old_file_and_no_stray(tmp_path):
    np = pytest.importorskip("numpy")
    target = tmp_path / "weights.npy"
    np.save(target, np.arange(5))
    with pytest.raises(ValueError, match=r"wrote \.weights\.npy\.\w+\.tmp\.npy instead.*open\(tmp, 'wb'\)"):
        with d2l.infra.atomic_path(target) as tmp:
            np.save(tmp, np.arange(10))  # writes tmp + '.npy', leaving tmp empty
    assert np.load(target).tolist() == [0, 1, 2, 3, 4]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["weights.npy"]
    with d2l.infra.atomic_path(target) as tmp, open(tmp, "wb") as f:  # the way the message gives
        np.save(f, np.arange(10))
    assert np.load(target).tolist() == list(range(10))


def test_a_block_that_writes_nothing_does_not_empty_a_file_with_data(tmp_path):
    target = tmp_path / "notes.txt"
    target.write_text("kept")
    with pytest.raises(ValueError, match="nothing was written"):
        with d2l.infra.atomic_path(target):
            pass
    assert target.read_text() == "kept" and sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
    with d2l.infra.atomic_path(tmp_path / "empty.txt"):  # a new empty file replaces nothing: allowed
        pass
    assert (tmp_path / "empty.txt").read_text() == ""


def test_a_file_the_writer_made_beside_a_written_temporary_file_is_left_alone(tmp_path):
    # torch.onnx.export(model, args, tmp) writes the weights to tmp + '.data', which the model file names
    target = tmp_path / "model.onnx"
    with d2l.infra.atomic_path(target) as tmp:
        tmp.write_text(f"weights in {tmp.name}.data")
        (tmp.parent / f"{tmp.name}.data").write_text("weights")
    weights = target.read_text().split()[-1]
    assert (tmp_path / weights).read_text() == "weights"
