import d2lcore as d2l


def test_a_plain_python_process_is_not_a_notebook():
    assert d2l.infra.in_notebook() is False and d2l.infra.interactive() is False


def test_interactive_needs_a_notebook_and_no_headless_flag(monkeypatch):
    monkeypatch.setattr("d2lcore.infra.session.in_notebook", lambda: True)
    monkeypatch.delenv("D2L_HEADLESS", raising=False)
    assert d2l.infra.interactive() is True
    monkeypatch.setenv("D2L_HEADLESS", "1")
    assert d2l.infra.interactive() is False
