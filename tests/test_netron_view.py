"""Lesson 15's Netron cell: one server per kernel, shown inline, nothing printed to stderr."""
import logging
import urllib.request

import pytest

import d2lcore as d2l
from d2lcore.infra import netron_view


@pytest.fixture
def watched(monkeypatch):
    monkeypatch.setattr(netron_view, "interactive", lambda: True)
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda *objs: shown.extend(objs))
    yield shown
    if netron_view._address is not None:
        import netron
        netron.stop(netron_view._address)
        netron_view._address = None


def test_headless_it_starts_nothing_and_says_so(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(netron_view, "interactive", lambda: False)
    assert d2l.infra.show_in_netron(tmp_path / "model.onnx") is None
    assert "Netron's server is not started" in capsys.readouterr().out


def test_it_serves_the_file_shows_it_inline_and_a_rerun_replaces_the_server(watched, tmp_path, capfd):
    from IPython.display import IFrame
    model = tmp_path / "model.onnx"
    model.write_bytes(b"\x08\x07")  # Netron serves the bytes; the page parses them
    handlers = list(logging.getLogger().handlers)
    first = d2l.infra.show_in_netron(model)
    with urllib.request.urlopen(first, timeout=10) as r:
        assert r.status == 200
    second = d2l.infra.show_in_netron(model)
    import netron
    assert netron.status(netron_view._address)
    # one server: the first ended before the second started, which therefore got the same port
    assert second == first
    assert sum(isinstance(o, IFrame) for o in watched) == 2 and second in watched[-1].src
    assert logging.getLogger().handlers == handlers  # the process's logging is left as it was
    assert capfd.readouterr().err == ""  # no banner in red
