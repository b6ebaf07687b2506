import random

import numpy as np
import pytest
import torch

import d2lcore as d2l
from d2lcore import devices


def test_cpu_is_the_cpu_device():
    assert devices.cpu() == torch.device("cpu")


def test_try_gpu_falls_back_to_cpu_when_no_gpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 0)
    monkeypatch.setattr(devices, "_mps", lambda: False)
    assert d2l.try_gpu() == torch.device("cpu")
    assert d2l.try_gpu(3) == torch.device("cpu")
    assert devices.try_all_gpus() == [torch.device("cpu")]


def test_try_gpu_picks_the_requested_cuda_device(monkeypatch):
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    assert d2l.try_gpu() == torch.device("cuda:0")
    assert d2l.try_gpu(1) == torch.device("cuda:1")
    assert d2l.try_gpu(2) == torch.device("cpu")
    assert devices.try_all_gpus() == [torch.device("cuda:0"), torch.device("cuda:1")]


def test_try_gpu_uses_apple_mps_when_there_is_no_cuda(monkeypatch):
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 0)
    monkeypatch.setattr(devices, "_mps", lambda: True)
    assert d2l.try_gpu() == torch.device("mps")
    assert d2l.try_gpu(1) == torch.device("cpu")
    assert devices.try_all_gpus() == [torch.device("mps")]


def test_set_seed_makes_python_numpy_and_torch_repeatable():
    def draw():
        return random.random(), np.random.rand(), torch.rand(3).tolist()
    d2l.set_seed(123)
    first = draw()
    d2l.set_seed(123)
    assert draw() == first
    d2l.set_seed(124)
    assert draw() != first


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_set_seed_seeds_the_gpu_too():
    d2l.set_seed(7)
    a = torch.rand(4, device="cuda")
    d2l.set_seed(7)
    assert torch.equal(a, torch.rand(4, device="cuda"))


class _RecordCopies(torch.overrides.TorchFunctionMode):
    """Records (target device, non_blocking) of every Tensor.to call."""

    def __init__(self):
        super().__init__()
        self.copies = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func is torch.Tensor.to:
            self.copies.append((str(args[1]), kwargs.get("non_blocking", False)))
        return func(*args, **kwargs)


def test_batches_copied_to_the_cpu_wait_for_the_copy_and_to_a_gpu_do_not():
    # a CPU tensor read before a non-blocking copy from a GPU has landed holds garbage, with no error
    X, y = torch.ones(4, 2), torch.tensor([0, 1, 0, 1])
    with _RecordCopies() as rec:
        devices.to_device(X, y, "cpu")
        devices.to_device(X, y, torch.device("cpu"))
        devices.to_device(X, y, "meta")  # stands for a GPU: any device but the CPU
    assert rec.copies == [("cpu", False)] * 2 + [("cpu", False)] * 2 + [("meta", True)] * 2


def test_training_and_evaluation_move_batches_with_to_device(monkeypatch):
    moved = []
    real = devices.to_device

    def spy(X, y, device):
        moved.append(str(device))
        return real(X, y, device)

    monkeypatch.setattr(d2l.training, "to_device", spy)
    monkeypatch.setattr(d2l.metrics, "to_device", spy)
    net = torch.nn.Linear(2, 2)
    data = [(torch.ones(4, 2), torch.tensor([0, 1, 0, 1]))]
    d2l.train(net, data, data, torch.nn.CrossEntropyLoss(), 1, torch.optim.SGD(net.parameters(), lr=0.1),
              device="cpu", animate=False)
    assert moved == ["cpu", "cpu"]  # one training batch, one held-out batch
