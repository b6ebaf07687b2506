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
    kept = [v for v in acc.data[0]]
    assert all(isinstance(v, torch.Tensor) for v in kept)  # no float() per step: no host sync
    assert not any(v.requires_grad for v in kept)  # detached: no autograd graph kept alive
    assert acc[0] == 7.5 and acc[1] == 5.0 and isinstance(acc[0], float)
    acc.add(torch.tensor(0.5), 0)  # reading folded the sums; adding goes on from them
    assert acc[0] == 8.0 and acc[1] == 5.0


def test_adding_launches_no_tensor_operation():
    """On a GPU each operation is a kernel launch per step; adding only keeps the values."""
    from torch.utils._python_dispatch import TorchDispatchMode

    class Count(TorchDispatchMode):
        ops = []

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            self.ops.append(func)
            return func(*args, **(kwargs or {}))

    acc = d2l.Accumulator(3)
    l, correct = torch.tensor(3.0), torch.tensor(2)
    with Count() as count:
        for _ in range(10):
            acc.add(l, correct, 5)
    assert [op for op in count.ops if op.name() not in ("aten::detach", "aten::view", "aten::alias")] == []
    assert (acc[0], acc[1], acc[2]) == (30.0, 20.0, 50.0)


def test_accumulator_keeps_its_memory_bounded_over_a_long_epoch():
    acc = d2l.Accumulator(1)
    for _ in range(10000):
        acc.add(torch.tensor(1.0))
    assert len(acc.data[0]) <= 4097 and acc[0] == 10000.0


def test_accumulator_sums_float32_tensors_in_float64():
    acc = d2l.Accumulator(1)
    for _ in range(1000):
        acc.add(torch.tensor(0.1, dtype=torch.float32))
    assert acc[0] == pytest.approx(1000 * float(torch.tensor(0.1)), rel=1e-12)




def test_a_parameter_is_summed_with_the_value_it_had_when_added():
    # the book's Accumulator floats each value at once; keeping the parameter itself would sum its last value
    b = torch.zeros((), requires_grad=True)
    acc = d2l.Accumulator(1)
    for _ in range(3):
        with torch.no_grad():
            b += 1  # as sgd updates it, in place
        acc.add(b)
    assert acc[0] == 1 + 2 + 3


def test_a_tensor_changed_in_place_after_it_was_added_makes_reading_fail():
    correct = torch.tensor(2)
    acc = d2l.Accumulator(2)
    acc.add(correct, 5)
    correct += 3  # the sum would silently count 5 for this batch
    with pytest.raises(ValueError, match="changed in place after add"):
        acc[0]
    acc = d2l.Accumulator(1)
    x = torch.tensor(2.0)
    acc.add(x)
    x = x + 1  # a new tensor: the one added is untouched
    acc.add(x)
    assert acc[0] == 5.0
    with torch.inference_mode():  # inference tensors count no versions: kept as they are
        acc.add(torch.tensor(1.0))
    assert acc[0] == 6.0


def test_a_slot_read_every_step_does_not_let_the_others_grow_without_bound():
    acc = d2l.Accumulator(3)
    for _ in range(10000):
        acc.add(torch.tensor(1.0), torch.tensor(2.0), 1)
        acc[2]  # one quantity read at every step, the others only at the end
    assert max(len(kept) for kept in acc.data) <= 4097
    assert (acc[0], acc[1], acc[2]) == (10000.0, 20000.0, 10000.0)


def test_a_copy_of_an_accumulator_reads_the_same_sums():
    import copy
    import pickle
    acc = d2l.Accumulator(2)
    counts = torch.zeros(2, dtype=torch.long)
    counts += 3  # changed in place before it was added: fine
    counts += 0
    acc.add(counts[0], torch.tensor(1.5))  # a view: its copy is no view, with a version count of its own
    for twin in (copy.deepcopy(acc), pickle.loads(pickle.dumps(acc))):
        assert (twin[0], twin[1]) == (3.0, 1.5)
        twin.add(torch.tensor(1), 1.0)
        assert (twin[0], twin[1]) == (4.0, 2.5)
    assert (acc[0], acc[1]) == (3.0, 1.5)
