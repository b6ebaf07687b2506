"""benchmarks/trainer_overhead.py: its loops train, and a step of d2l.train costs only what its lines say."""
import importlib.util
import pathlib

import pytest
import torch

import d2lcore as d2l

ROOT = pathlib.Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("trainer_overhead", ROOT / "benchmarks" / "trainer_overhead.py")
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)


@pytest.mark.parametrize("kind", ["softmax", "mlp"])
def test_d2l_train_costs_three_operations_a_step_over_a_loop_keeping_the_same_sums(kind):
    # counted, not timed: each operation is a kernel launch on a GPU; the differences, not the totals,
    # so that another torch version's own count of a step does not matter
    g = torch.Generator().manual_seed(0)
    it = d2l.TensorLoader(torch.rand(512, 1, 28, 28, generator=g), torch.randint(0, 10, (512,), generator=g), 256)
    ops = {side: bench.ops_per_step(fn, kind, it, it, torch.device("cpu"), steps=4)[0]
           for side, fn in bench.SIDES.items()}
    # the metric line: the mean loss times n (l.detach() * len(y)), argmax, ==, sum
    assert ops["bare + metrics"] - ops["bare"] == 4
    # l.sum() before backward, the gradients / n; the metric's l.sum() takes the place of the multiplication
    assert ops["lesson 04's loop"] - ops["bare + metrics"] == 2
    assert ops["d2l.train"] - ops["lesson 04's loop"] == 1  # the CPU's non-finite check: one .item()
    assert ops["counted per epoch"] - ops["bare"] == 2  # the per-step metrics gone, the epoch's counted once


def test_every_loop_learns_the_same_task():
    g = torch.Generator().manual_seed(0)
    centers = torch.randn(10, 784, generator=g) * 3
    y = torch.randint(0, 10, (1024,), generator=g)
    X = (centers[y] + torch.randn(1024, 784, generator=g)).reshape(-1, 1, 28, 28)
    it = d2l.TensorLoader(X, y, 256)
    for side, fn in bench.SIDES.items():
        acc = fn(bench.model("softmax", 0, torch.device("cpu")), it, it, 2, 0.1)
        assert acc > 0.9, (side, acc)  # ten well-separated classes: each loop trains, none is a no-op
