import pytest
import torch
import torch.nn.functional as F

import d2lcore as d2l


def test_squared_loss_is_half_the_squared_error_per_example():
    y_hat = torch.tensor([[1.0], [2.0], [4.0]])
    y = torch.tensor([1.0, 0.0, 1.0])  # (n,) labels against (n, 1) predictions
    loss = d2l.squared_loss(y_hat, y)
    assert loss.shape == (3, 1)  # reshaped, not broadcast to (3, 3)
    torch.testing.assert_close(loss, torch.tensor([[0.0], [2.0], [4.5]]))


def test_squared_loss_mean_is_half_of_torch_mse():
    y_hat, y = torch.randn(50, 1), torch.randn(50, 1)
    torch.testing.assert_close(d2l.squared_loss(y_hat, y).mean(), F.mse_loss(y_hat, y) / 2)


def test_squared_loss_gradient_is_the_residual():
    y_hat = torch.tensor([[3.0], [-1.0]], requires_grad=True)
    y = torch.tensor([[1.0], [1.0]])
    d2l.squared_loss(y_hat, y).sum().backward()
    torch.testing.assert_close(y_hat.grad, y_hat.detach() - y)


def test_squared_loss_rejects_mismatched_element_counts():
    with pytest.raises(ValueError, match=r"as many elements as y_hat.*\(3, 1\).*\(4,\)"):
        d2l.squared_loss(torch.ones(3, 1), torch.ones(4))


def test_squared_loss_rejects_integer_predictions_and_non_tensors():
    with pytest.raises(TypeError, match="y_hat must have a floating dtype"):
        d2l.squared_loss(torch.ones(3, dtype=torch.int32), torch.ones(3))
    with pytest.raises(TypeError, match="y must be a torch.Tensor"):
        d2l.squared_loss(torch.ones(3), [1.0, 1.0, 1.0])
