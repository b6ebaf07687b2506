import pytest
import torch

import d2lcore as d2l


def test_linreg_computes_Xw_plus_b():
    X = torch.tensor([[1.0, 2.0], [3.0, 4.0], [0.0, 0.0]])
    w = torch.tensor([[2.0], [-1.0]])
    out = d2l.linreg(X, w, torch.tensor([0.5]))
    assert out.shape == (3, 1)
    torch.testing.assert_close(out, torch.tensor([[0.5], [2.5], [0.5]]))


def test_linreg_is_differentiable_in_w_and_b():
    X = torch.randn(5, 3)
    w = torch.zeros(3, 1, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    d2l.linreg(X, w, b).sum().backward()
    torch.testing.assert_close(w.grad, X.sum(0).reshape(3, 1))
    torch.testing.assert_close(b.grad, torch.tensor([5.0]))


def test_linreg_accepts_a_python_number_as_bias():
    X = torch.ones(2, 2)
    torch.testing.assert_close(d2l.linreg(X, torch.ones(2, 1), 1.0), torch.full((2, 1), 3.0))


