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


def test_l1_loss_matches_torch_and_reshapes_y():
    y_hat, y = torch.randn(6, 1), torch.randn(6)
    out = d2l.l1_loss(y_hat, y)
    assert out.shape == (6, 1)
    torch.testing.assert_close(out, F.l1_loss(y_hat, y.reshape(6, 1), reduction="none"))


@pytest.mark.parametrize("delta", [0.5, 1.0, 3.0])
def test_huber_loss_is_torchs_huber_and_smooth_l1_times_delta(delta):
    y_hat, y = torch.randn(4, 5) * 3, torch.randn(4, 5)
    ours = d2l.huber_loss(y_hat, y, delta=delta)
    torch.testing.assert_close(ours, F.huber_loss(y_hat, y, reduction="none", delta=delta))
    torch.testing.assert_close(ours, delta * F.smooth_l1_loss(y_hat, y, reduction="none", beta=delta))


def test_huber_is_quadratic_inside_delta_and_linear_outside():
    r = torch.tensor([0.5, 2.0, -4.0])
    torch.testing.assert_close(d2l.huber_loss(r, torch.zeros(3), delta=1.0), torch.tensor([0.125, 1.5, 3.5]))


EXTREME = torch.tensor([[1e4, 0.0, -1e4], [-1e4, -1e4, 1e4], [0.0, 0.0, 0.0], [88.8, -103.0, 17.0]])


def test_log_softmax_matches_torch_even_for_huge_logits():
    ls = d2l.log_softmax(EXTREME)
    assert torch.isfinite(ls).all()
    torch.testing.assert_close(ls, F.log_softmax(EXTREME, dim=-1))


def test_log_softmax_keeps_small_results_exact_where_x_minus_logsumexp_would_not():
    X = torch.tensor([[512.0, 512.0]])  # logsumexp = 512.69, rounded to float32's spacing there (6e-5)
    torch.testing.assert_close(d2l.log_softmax(X), torch.full((1, 2), -0.6931472), rtol=0, atol=1e-7)
    assert (X - torch.logsumexp(X, dim=1, keepdim=True) - (-0.6931472)).abs().max() > 1e-6


def test_cross_entropy_from_logits_matches_torch_with_finite_gradients():
    y = torch.tensor([2, 0, 1, 0])
    logits = EXTREME.clone().requires_grad_(True)
    ours = d2l.cross_entropy_from_logits(logits, y)
    torch.testing.assert_close(ours, F.cross_entropy(EXTREME, y, reduction="none"))
    assert torch.isfinite(ours).all()
    ours.sum().backward()
    assert torch.isfinite(logits.grad).all()
    torch.testing.assert_close(logits.grad, torch.softmax(EXTREME, 1) - F.one_hot(y, 3))


def test_binary_cross_entropy_matches_torch_with_logits_even_at_1e4():
    z = torch.tensor([[-1e4, -30.0, 0.0], [2.5, 30.0, 1e4]], requires_grad=True)
    t = torch.tensor([[1.0, 0.0, 0.5], [1.0, 0.0, 0.0]])
    ours = d2l.binary_cross_entropy_from_logits(z, t)
    ref = F.binary_cross_entropy_with_logits(z.detach(), t, reduction="none")
    torch.testing.assert_close(ours, ref)
    assert torch.isfinite(ours).all()
    ours.sum().backward()
    torch.testing.assert_close(z.grad, torch.sigmoid(z.detach()) - t)  # d/dz = p - y


def test_binary_cross_entropy_equals_the_probability_formula_where_that_is_safe():
    z, t = torch.randn(20), (torch.rand(20) > 0.5).float()
    p = torch.sigmoid(z)
    torch.testing.assert_close(d2l.binary_cross_entropy_from_logits(z, t), -(t * p.log() + (1 - t) * (1 - p).log()))


