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
