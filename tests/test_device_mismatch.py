"""Model, batch and loss on different devices: the trainer either moves the batch or says which
tensor is where. Tested on a CPU-only machine with the data-less `meta` device standing in for a
GPU (torch raises the same kind of error for meta vs cpu as for cuda vs cpu)."""
import pytest
import torch
from torch import nn

import d2lcore as d2l
from d2lcore.infra.device_errors import explain_device_errors, where

X, Y = torch.randn(8, 2), torch.tensor([0, 1, 2, 0, 1, 2, 0, 1])
BATCHES = [(X[:4], Y[:4]), (X[4:], Y[4:])]


def sgd_on(params):
    return torch.optim.SGD(params, lr=0.1)


def test_model_elsewhere_with_an_explicit_batch_device_names_both():
    net = nn.Linear(2, 3).to("meta")
    with pytest.raises(d2l.infra.DeviceMismatchError) as e:
        d2l.train_epoch(net, BATCHES, nn.CrossEntropyLoss(), sgd_on(net.parameters()), device="cpu")
    msg = str(e.value)
    assert "tensors on different devices: the model (net) is on meta; the batches are on cpu" in msg
    assert "net.to('cpu')" in msg and "torch said" in msg


def test_a_plain_function_whose_weights_are_elsewhere_is_explained():
    W = torch.zeros(2, 3, device="meta", requires_grad=True)
    b = torch.zeros(3, device="meta", requires_grad=True)

    def net(X):  # lesson 04's model, its weights created on another device
        return X @ W + b

    with pytest.raises(d2l.infra.DeviceMismatchError, match="a plain function.*create the tensors it uses"):
        d2l.train_epoch(net, BATCHES, d2l.cross_entropy_from_logits, lambda n: d2l.sgd([W, b], 0.1, n))


def test_a_loss_with_its_own_tensor_elsewhere_is_named():
    net = nn.Linear(2, 3)
    loss = nn.CrossEntropyLoss(weight=torch.ones(3, device="meta"))
    with pytest.raises(d2l.infra.DeviceMismatchError, match=r"the model \(net\) is on cpu; the batches are on cpu; the loss module is on meta.*loss.to"):
        d2l.train_epoch(net, BATCHES, loss, sgd_on(net.parameters()))


def test_evaluate_accuracy_and_predict_explain_too():
    net = nn.Linear(2, 3).to("meta")
    with pytest.raises(d2l.infra.DeviceMismatchError, match=r"the model \(net\) is on meta"):
        d2l.evaluate_accuracy(net, BATCHES, device="cpu")
    images = [(torch.rand(6, 1, 28, 28), torch.arange(6))]
    with pytest.raises(d2l.infra.DeviceMismatchError, match=r"the model \(net\) is on meta"):
        d2l.predict(nn.Sequential(nn.Flatten(), nn.Linear(784, 10)).to("meta"), images, n=6, device="cpu")


def test_by_default_the_batch_goes_to_the_model():
    # model "on the GPU" (meta), data on the CPU: no mismatch is raised, the batch moved;
    # only reading a meta number at the end of the epoch fails (meta tensors hold no data)
    net = nn.Linear(2, 3).to("meta")
    with pytest.raises(RuntimeError, match="cannot be called on meta tensors") as e:
        d2l.train_epoch(net, BATCHES, nn.CrossEntropyLoss(), sgd_on(net.parameters()))
    assert not isinstance(e.value, d2l.infra.DeviceMismatchError)


def test_other_errors_pass_through_unchanged():
    net = nn.Linear(5, 3)  # wrong input width: a shape error, not a device one
    with pytest.raises(RuntimeError, match="shapes cannot be multiplied") as e:
        d2l.train_epoch(net, BATCHES, nn.CrossEntropyLoss(), sgd_on(net.parameters()))
    assert not isinstance(e.value, d2l.infra.DeviceMismatchError)


def test_where_describes_tensors_modules_and_functions():
    assert where(torch.ones(1)) == "cpu"
    assert where(nn.Linear(1, 1)) == "cpu"
    assert where(nn.ReLU()).startswith("no device")
    assert "plain function" in where(lambda x: x)
    with pytest.raises(d2l.infra.DeviceMismatchError, match=r"the model \(net\) is on meta; the batches are on cpu"):
        with explain_device_errors(nn.Linear(1, 1).to("meta"), device="cpu"):
            torch.ones(2, device="meta") * torch.ones(2)  # cpu 1-element tensors are allowed; 2 are not


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_on_a_real_gpu_the_trainer_moves_batches_and_explains_the_rest():
    net = nn.Linear(2, 3).cuda()
    loss, acc = d2l.train_epoch(net, BATCHES, nn.CrossEntropyLoss(), sgd_on(net.parameters()))  # CPU batches
    assert loss > 0 and 0 <= acc <= 1
    with pytest.raises(d2l.infra.DeviceMismatchError, match=r"the model \(net\) is on cuda:0"):
        d2l.train_epoch(net, BATCHES, nn.CrossEntropyLoss(), sgd_on(net.parameters()), device="cpu")
    W = torch.zeros(2, 3, device="cuda", requires_grad=True)
    with pytest.raises(d2l.infra.DeviceMismatchError, match="the batches are on the device they came on"):
        d2l.evaluate_accuracy(lambda X: X @ W, BATCHES)
