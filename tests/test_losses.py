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


# --- robust regression losses -----------------------------------------------------------

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


def test_robust_losses_reject_bad_input():
    with pytest.raises(ValueError, match="as many elements"):
        d2l.l1_loss(torch.ones(3), torch.ones(2))
    with pytest.raises(ValueError, match="delta must be a positive number"):
        d2l.huber_loss(torch.ones(3), torch.ones(3), delta=0)


# --- log-softmax and cross-entropy from logits ----------------------------------------------

EXTREME = torch.tensor([[1e4, 0.0, -1e4], [-1e4, -1e4, 1e4], [0.0, 0.0, 0.0], [88.8, -103.0, 17.0]])


def test_logsumexp_and_log_softmax_match_torch_even_for_huge_logits():
    torch.testing.assert_close(d2l.logsumexp(EXTREME), torch.logsumexp(EXTREME, dim=-1))
    ls = d2l.log_softmax(EXTREME)
    assert torch.isfinite(ls).all()
    torch.testing.assert_close(ls, F.log_softmax(EXTREME, dim=-1))


def test_log_softmax_on_batched_shapes_and_other_dims():
    X = torch.randn(2, 3, 4) * 50
    for dim in (0, 1, 2, -1):
        torch.testing.assert_close(d2l.log_softmax(X, dim=dim), F.log_softmax(X, dim=dim))


def test_cross_entropy_from_logits_matches_torch_with_finite_gradients():
    y = torch.tensor([2, 0, 1, 0])
    logits = EXTREME.clone().requires_grad_(True)
    ours = d2l.cross_entropy_from_logits(logits, y)
    torch.testing.assert_close(ours, F.cross_entropy(EXTREME, y, reduction="none"))
    assert torch.isfinite(ours).all()
    ours.sum().backward()
    assert torch.isfinite(logits.grad).all()
    torch.testing.assert_close(logits.grad, torch.softmax(EXTREME, 1) - F.one_hot(y, 3))


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_inputs_agree_with_torch(dtype):
    X = (torch.randn(8, 10) * 30).to(dtype)
    y = torch.randint(0, 10, (8,))
    ls = d2l.log_softmax(X)
    assert ls.dtype == dtype and torch.isfinite(ls).all()
    ref = F.log_softmax(X.float(), dim=-1).to(dtype)
    torch.testing.assert_close(ls, ref)
    ce = d2l.cross_entropy_from_logits(X, y)
    assert ce.dtype == dtype
    torch.testing.assert_close(ce, F.cross_entropy(X.float(), y, reduction="none").to(dtype))
    bce = d2l.binary_cross_entropy(X, torch.rand(8, 10))
    assert bce.dtype == dtype and torch.isfinite(bce).all()


def test_cross_entropy_from_logits_rejects_bad_labels_and_shapes():
    with pytest.raises(ValueError, match=r"labels must be in \[0, 3\) for 3 classes, got values from 0 to 3"):
        d2l.cross_entropy_from_logits(torch.zeros(2, 3), torch.tensor([0, 3]))
    with pytest.raises(TypeError, match="integer class indices"):
        d2l.cross_entropy_from_logits(torch.zeros(2, 3), torch.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match="one label per row of logits"):
        d2l.cross_entropy_from_logits(torch.zeros(2, 3), torch.tensor([0]))
    with pytest.raises(ValueError, match="logits must have 2 dimension"):
        d2l.cross_entropy_from_logits(torch.zeros(3), torch.tensor([0, 1, 2]))


# --- binary cross-entropy --------------------------------------------------------------------

def test_binary_cross_entropy_matches_torch_with_logits_even_at_1e4():
    z = torch.tensor([[-1e4, -30.0, 0.0], [2.5, 30.0, 1e4]], requires_grad=True)
    t = torch.tensor([[1.0, 0.0, 0.5], [1.0, 0.0, 0.0]])
    ours = d2l.binary_cross_entropy(z, t)
    ref = F.binary_cross_entropy_with_logits(z.detach(), t, reduction="none")
    torch.testing.assert_close(ours, ref)
    assert torch.isfinite(ours).all()
    ours.sum().backward()
    torch.testing.assert_close(z.grad, torch.sigmoid(z.detach()) - t)  # d/dz = p - y


def test_binary_cross_entropy_equals_the_probability_formula_where_that_is_safe():
    z, t = torch.randn(20), (torch.rand(20) > 0.5).float()
    p = torch.sigmoid(z)
    torch.testing.assert_close(d2l.binary_cross_entropy(z, t), -(t * p.log() + (1 - t) * (1 - p).log()))


def test_binary_cross_entropy_rejects_targets_outside_0_1_and_mismatched_sizes():
    with pytest.raises(ValueError, match=r"binary targets must be in \[0, 1\], got values from 0.0 to 2.0"):
        d2l.binary_cross_entropy(torch.zeros(2), torch.tensor([0.0, 2.0]))
    with pytest.raises(ValueError, match="as many elements as logits"):
        d2l.binary_cross_entropy(torch.zeros(2), torch.zeros(3))
