"""./course test-mac-windows: float64 on the way to the accelerator is found on a CPU, with its cell;
float64 kept on the CPU, and d2lcore's own sums, are not reported; workers start by spawn."""
import pathlib
import sys

import nbformat

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import mac_windows  # noqa: E402


def lesson(tmp_path, *cells):
    path = tmp_path / "99_probe.ipynb"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import torch\nimport d2lcore as d2l\n"
                                                                   "device = d2l.try_gpu()")]
                                  + [nbformat.v4.new_code_cell(c) for c in cells])
    nbformat.write(nb, path)
    return path


def test_float64_made_from_a_device_tensor_is_reported_with_its_cell(tmp_path):
    found = mac_windows.check(lesson(tmp_path, "X = torch.ones(3).to(device)", "Y = (X * 2).double()"))
    assert list(found) == ["99_probe.ipynb, cell 3, line 1"]


def test_float64_moved_to_the_device_or_made_there_is_reported(tmp_path):
    found = mac_windows.check(lesson(tmp_path, "A = torch.ones(3, dtype=torch.float64).to(device)",
                                    "B = torch.zeros(2, device=device, dtype=torch.float64)"))
    assert sorted(found) == ["99_probe.ipynb, cell 2, line 1", "99_probe.ipynb, cell 3, line 1"]


def test_a_model_moved_to_the_device_and_fed_float64_is_reported(tmp_path):
    found = mac_windows.check(lesson(tmp_path, "net = torch.nn.Linear(2, 1).to(device)",
                                    "net.double()"))
    assert list(found) == ["99_probe.ipynb, cell 3, line 1"]


def test_float64_on_the_cpu_or_after_cpu_and_d2lcores_sums_are_not_reported(tmp_path):
    found = mac_windows.check(lesson(
        tmp_path,
        "X = torch.ones(3)\nXd = X.to(device)\nY = X.double()",  # the CPU original, not the device copy
        "Z = Xd.cpu().double() + torch.arange(3, dtype=torch.float64)",
        "acc = d2l.Accumulator(1)\nacc.add(Xd.sum())",  # float32 totals on MPS, float64 elsewhere
    ))
    assert found == {}


def test_workers_start_by_spawn_so_a_dataset_defined_in_the_lesson_fails_as_on_a_mac(tmp_path):
    import pytest
    probe = lesson(tmp_path, "import multiprocessing\nassert multiprocessing.get_start_method() == 'spawn'",
                   "class Squares(torch.utils.data.Dataset):\n    def __len__(self):\n        return 4\n"
                   "    def __getitem__(self, i):\n        return i * i\n\n"
                   "list(torch.utils.data.DataLoader(Squares(), batch_size=2, num_workers=1))")
    # the worker cannot import the lesson's class and dies (by fork, as on Linux, it would inherit it)
    with pytest.raises(RuntimeError, match=r"DataLoader worker \(pid\(s\) \d+\) exited unexpectedly"):
        mac_windows.check(probe)


def test_without_setitimer_as_on_windows_a_self_check_runs_without_its_time_limit(monkeypatch, capsys):
    import signal

    import torch

    import d2lcore as d2l
    monkeypatch.delattr(signal, "setitimer", raising=False)
    assert d2l.check_softmax(lambda X: torch.softmax(X, dim=1))
    assert not d2l.check_softmax(lambda X: torch.softmax(X, dim=0))  # the wrong axis still fails


def test_a_model_left_on_the_cpu_fed_data_on_the_device_is_reported_with_its_cell(tmp_path):
    found = mac_windows.run(lesson(
        tmp_path,
        "train_iter = d2l.TensorLoader(torch.randn(64, 4).to(device), torch.randint(0, 2, (64,)).to(device), 16)",
        "net = torch.nn.Linear(4, 2)\nfor X, y in train_iter:\n    torch.nn.functional.cross_entropy(net(X), y)",
    ))
    assert list(found["mixed"]) == ["99_probe.ipynb, cell 3, line 3"], found


def test_a_model_moved_where_its_data_are_and_cpu_scalars_and_indices_are_not_reported(tmp_path):
    found = mac_windows.run(lesson(
        tmp_path,
        "X = torch.randn(8, 4).to(device)\nnet = torch.nn.Linear(4, 2).to(device)\nY = net(X)",
        "Y = Y * torch.tensor(2.0)\nrows = Y[torch.tensor([0, 2])]\nY[0] = torch.zeros(2)",
        "Z = Y.cpu() + torch.ones(8, 2)",  # back on the CPU first
        "import copy\nW = copy.deepcopy(net)(X)",  # a copy of the model stays where the model is
    ))
    assert found == {"float64": {}, "mixed": {}}, found
