import math

import pytest
import torch

import d2lcore as d2l


def _params_with_grad():
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    b = torch.tensor([0.5], requires_grad=True)
    (w * torch.tensor([3.0, 4.0])).sum().backward()  # dw = [3, 4]
    (b * 10).sum().backward()  # db = [10]
    return w, b


def test_sgd_steps_against_the_mean_gradient_in_place():
    w, b = _params_with_grad()
    w_id, b_ptr = id(w), b.data_ptr()
    d2l.sgd([w, b], lr=0.1, batch_size=2)
    torch.testing.assert_close(w.detach(), torch.tensor([1.0 - 0.1 * 3 / 2, 2.0 - 0.1 * 4 / 2]))
    torch.testing.assert_close(b.detach(), torch.tensor([0.5 - 0.1 * 10 / 2]))
    assert id(w) == w_id and b.data_ptr() == b_ptr
    assert w.requires_grad and w.is_leaf  # still a trainable leaf after the update


def test_sgd_zeroes_the_gradients():
    w, b = _params_with_grad()
    d2l.sgd([w, b], 0.1, 1)
    assert torch.count_nonzero(w.grad) == 0 and torch.count_nonzero(b.grad) == 0


def test_sgd_matches_torch_optim_sgd_on_a_mean_loss():
    torch.manual_seed(0)
    X, y = torch.randn(8, 3), torch.randn(8, 1)
    w1 = torch.randn(3, 1, requires_grad=True)
    w2 = w1.detach().clone().requires_grad_(True)
    opt = torch.optim.SGD([w2], lr=0.05)
    for _ in range(3):
        d2l.squared_loss(X @ w1, y).sum().backward()
        d2l.sgd([w1], 0.05, batch_size=8)
        opt.zero_grad()
        d2l.squared_loss(X @ w2, y).mean().backward()
        opt.step()
    torch.testing.assert_close(w1, w2)


def test_sgd_accepts_a_generator_of_parameters():
    w, b = _params_with_grad()
    d2l.sgd((p for p in [w, b]), 1.0, 1)
    torch.testing.assert_close(b.detach(), torch.tensor([-9.5]))


