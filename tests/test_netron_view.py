"""Lesson 15's Netron cell: one server per kernel, shown inline, nothing printed to stderr."""
import html
import logging
import re
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


def _served(url):
    """(the model file the Netron page at url shows, its bytes as served), or None where nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            page = r.read().decode()
        name = html.unescape(re.search(r'<meta name="name" content="([^"]*)">', page).group(1))
        data = re.search(r'<meta name="file" content="(/data/[^"]*)">', page).group(1)
        with urllib.request.urlopen(url + data, timeout=10) as r:
            return name, r.read()
    except OSError:  # refused, reset or silent: no server there
        return None


def test_it_serves_the_file_shows_it_inline_and_a_rerun_replaces_the_server(watched, tmp_path, capfd):
    from IPython.display import IFrame
    # a rerun after the model was exported again (here to another folder: the page names the file it shows)
    model, again = tmp_path / "a" / "model.onnx", tmp_path / "b" / "model.onnx"
    for path, data in ((model, b"\x08\x07"), (again, b"\x08\x09")):  # Netron serves the bytes; the page parses them
        path.parent.mkdir()
        path.write_bytes(data)
    handlers = list(logging.getLogger().handlers)
    first = d2l.infra.show_in_netron(model)
    assert first.startswith("http://localhost:")
    assert _served(first) == (str(model), b"\x08\x07")
    second = d2l.infra.show_in_netron(again)
    assert _served(second) == (str(again), b"\x08\x09")
    # one server: the first has stopped, so its URL answers nothing unless the new server took its port again
    # (Netron's servers share what they serve: a first one left running would answer there, with the new file)
    assert _served(first) == (_served(second) if second == first else None)
    assert [o.src for o in watched if isinstance(o, IFrame)] == [first, second]  # each shown inline
    assert logging.getLogger().handlers == handlers  # the process's logging is left as it was
    assert capfd.readouterr().err == ""  # no banner in red
