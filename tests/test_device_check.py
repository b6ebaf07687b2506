"""The second machine profile of `./course test` runs every lesson with scripts/device_tracker.py
installed strictly in its kernels: a cell that would mix GPU and CPU tensors fails, on a CPU, with
the error a GPU gives. Here through the real path: nbval, a Jupyter kernel, the IPython startup file."""
import pathlib
import subprocess
import sys

import nbformat

ROOT = pathlib.Path(__file__).resolve().parents[1]
SETUP = ("import torch\nfrom torch import nn\nimport d2lcore as d2l\n"
         "train_iter = d2l.TensorLoader(torch.randn(64, 784).to(d2l.try_gpu()),\n"
         "                              torch.randint(0, 10, (64,)).to(d2l.try_gpu()), 16)")


def nbval(tmp_path, *cells):
    """Run a notebook of `cells` (after SETUP) under nbval-lax with the device check; (rc, output)."""
    path = tmp_path / "probe.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in (SETUP, *cells)]), path)
    ipython_dir = subprocess.run([sys.executable, str(ROOT / "scripts" / "device_tracker.py")], capture_output=True,
                                 text=True, check=True).stdout.strip()
    env = {"IPYTHONDIR": ipython_dir, "CUDA_VISIBLE_DEVICES": "", "D2L_HEADLESS": "1", "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval-lax",
                           "--nbval-current-env", str(path)], capture_output=True, text=True, cwd=tmp_path,
                          env={**__import__("os").environ, **env})
    return done.returncode, done.stdout + done.stderr


# lesson 13's gradient-norm cell before issue 36: the model never moved to where the data are
UNFIXED_13 = """net = d2l.mlp([784, 256, 10])
opt = torch.optim.SGD(net.parameters(), lr=5.0)
for X, y in train_iter:
    loss = nn.functional.cross_entropy(net(X), y)
    opt.zero_grad()
    loss.backward()
    opt.step()"""


def test_a_model_left_on_the_cpu_fails_as_on_a_gpu(tmp_path):
    rc, out = nbval(tmp_path, UNFIXED_13)
    assert rc != 0 and "probe.ipynb::Cell 1" in out, out[-3000:]
    assert "Expected all tensors to be on the same device, but found at least two devices, cuda:0 and cpu!" in out
    assert "`linear`" in out and "net.to(device)" in out  # the operation, and what to do


def test_the_model_moved_where_the_data_are_passes_also_through_d2l_train(tmp_path):
    fixed = UNFIXED_13.replace("d2l.mlp([784, 256, 10])", "d2l.mlp([784, 256, 10]).to(d2l.try_gpu())")
    rc, out = nbval(tmp_path, fixed,
                    "net = d2l.mlp([784, 10])  # d2l.train moves it\n"
                    "h = d2l.train(net, train_iter, train_iter, nn.CrossEntropyLoss(), 1,\n"
                    "              torch.optim.SGD(net.parameters(), lr=0.1), animate=False)\n"
                    "print(d2l.evaluate_accuracy(net, train_iter) >= 0)",
                    "W = torch.zeros(784, 10, device=d2l.try_gpu(), requires_grad=True)  # a function's weights\n"
                    "d2l.train_epoch(lambda X: X @ W, train_iter, nn.CrossEntropyLoss(), lambda n: d2l.sgd([W], 0.1, n))")
    assert rc == 0, out[-3000:]


def test_a_from_scratch_models_weights_left_on_the_cpu_fail_inside_train_epoch(tmp_path):
    # d2lcore's loops run unfollowed only for modules (they move batches to the model); a function's are followed
    rc, out = nbval(tmp_path, "W = torch.zeros(784, 10, requires_grad=True)\n"
                              "d2l.train_epoch(lambda X: X @ W, train_iter, nn.CrossEntropyLoss(), "
                              "lambda n: d2l.sgd([W], 0.1, n))")
    assert rc != 0 and "found at least two devices, cuda:0 and cpu" in out, out[-3000:]


def test_a_tensor_still_fails_after_a_copy_of_it_was_moved_to_a_cpu_device_object(tmp_path):
    # X.to(d2l.cpu()) returned X itself here and marked it "either": X, still on the GPU there, then mixed freely
    rc, out = nbval(tmp_path, "X, y = next(iter(train_iter))\nW = torch.zeros(784, 10)\n"
                              "X_cpu = X.to(d2l.cpu())\nprint((X_cpu @ W).shape)  # the copy is on the CPU: fine",
                    "X @ W  # X itself is still on the GPU")
    assert rc != 0 and "probe.ipynb::Cell 2" in out and "probe.ipynb::Cell 1" not in out, out[-3000:]
    assert "Expected all tensors to be on the same device" in out
