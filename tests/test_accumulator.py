import pytest
import torch

import d2lcore as d2l


def test_accumulator_sums_each_slot():
    acc = d2l.Accumulator(3)
    acc.add(1, 2.5, 0)
    acc.add(2, 0.5, 1)
    assert (acc[0], acc[1], acc[2]) == (3.0, 3.0, 1.0)


def test_accumulator_reset():
    acc = d2l.Accumulator(2)
    acc.add(1, 1)
    acc.reset()
    assert acc[0] == 0.0 and acc[1] == 0.0


def test_accumulator_keeps_tensors_as_tensors_until_read():
    acc = d2l.Accumulator(2)
    loss = torch.tensor(2.0, requires_grad=True) * 3
    acc.add(loss, torch.tensor(4))
    acc.add(torch.tensor([1.5]), 1)
    assert isinstance(acc.data[0], torch.Tensor)  # no float() per step: no host sync
    assert not acc.data[0].requires_grad  # detached: no autograd graph kept alive
    assert acc[0] == 7.5 and acc[1] == 5.0 and isinstance(acc[0], float)


def test_accumulator_sums_float32_tensors_in_float64():
    acc = d2l.Accumulator(1)
    for _ in range(1000):
        acc.add(torch.tensor(0.1, dtype=torch.float32))
    assert acc[0] == pytest.approx(1000 * float(torch.tensor(0.1)), rel=1e-12)


