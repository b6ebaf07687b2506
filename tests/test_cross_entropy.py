import pytest
import torch
import torch.nn.functional as F

import d2lcore as d2l


def test_cross_entropy_picks_the_true_class_probability():
    y_hat = torch.tensor([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]])
    y = torch.tensor([0, 2])
    torch.testing.assert_close(d2l.cross_entropy(y_hat, y), -torch.log(torch.tensor([0.1, 0.5])))


def test_cross_entropy_of_softmax_matches_torch_on_logits():
    logits, y = torch.randn(8, 10), torch.randint(0, 10, (8,))
    ours = d2l.cross_entropy(d2l.softmax(logits), y)
    torch.testing.assert_close(ours, F.cross_entropy(logits, y, reduction="none"))


def test_cross_entropy_gradient_is_softmax_minus_one_hot():
    logits = torch.randn(4, 3, requires_grad=True)
    y = torch.tensor([0, 1, 2, 1])
    d2l.cross_entropy(d2l.softmax(logits), y).sum().backward()
    expected = torch.softmax(logits.detach(), 1) - F.one_hot(y, 3)
    torch.testing.assert_close(logits.grad, expected)


