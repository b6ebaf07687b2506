import time

import pytest

import d2lcore as d2l


def test_timer_records_each_interval():
    t = d2l.Timer()
    time.sleep(0.01)
    first = t.stop()
    t.start()
    time.sleep(0.02)
    t.stop()
    assert len(t.times) == 2 and t.times[0] == first
    assert 0.01 <= t.times[0] < 1 and 0.02 <= t.times[1] < 1
    assert t.sum() == pytest.approx(t.times[0] + t.times[1])
    assert t.avg() == pytest.approx(t.sum() / 2)
    assert t.cumsum() == pytest.approx([t.times[0], t.times[0] + t.times[1]])


