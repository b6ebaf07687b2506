import pytest
import torch
from torch import nn

import d2lcore as d2l


def test_accuracy_counts_argmax_hits_as_a_tensor():
    y_hat = torch.tensor([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]])
    y = torch.tensor([0, 2])
    acc = d2l.accuracy(y_hat, y)
    assert isinstance(acc, torch.Tensor) and acc.dim() == 0  # no float(): no host sync
    assert float(acc) == 1 and float(acc) / len(y) == 0.5


def test_accuracy_accepts_predicted_class_indices():
    assert float(d2l.accuracy(torch.tensor([1, 0, 2]), torch.tensor([1, 1, 2]))) == 2


def test_accuracy_refuses_scores_squeezed_to_one_value_per_example():
    # a binary classifier's logits (n,) would be truncated to class numbers: 0.9 -> 0, 2.3 -> 2
    with pytest.raises(ValueError, match=r"not class numbers, e\.g\. 0\.9.*\(y_hat > 0\)\.long\(\)"):
        d2l.accuracy(torch.tensor([0.9, -0.4, 2.3, 0.2]), torch.tensor([1, 0, 1, 1]))
    assert float(d2l.accuracy(torch.tensor([1.0, 0.0, 2.0]), torch.tensor([1, 1, 2]))) == 2  # float class numbers
    assert float(d2l.accuracy(torch.tensor([0.5, 0.2]), torch.tensor([0.5, 0.3]))) == 1  # float targets: compared


def _batches(X, y, bs):
    return [(X[i:i + bs], y[i:i + bs]) for i in range(0, len(y), bs)]


def test_evaluate_accuracy_over_all_batches_in_eval_mode_then_restores_the_mode():
    net = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5))
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0]]))
        net[0].bias.zero_()
    X = torch.tensor([[1.0, 0.0], [0.0, 1.0], [2.0, 1.0], [0.0, 3.0], [5.0, 4.0]])
    y = torch.tensor([0, 1, 1, 1, 0])  # argmax of X: 0, 1, 0, 1, 0 -> 4 of 5 right
    net.train()
    for _ in range(3):  # dropout would make this random if eval mode were not set
        assert d2l.evaluate_accuracy(net, _batches(X, y, 2)) == pytest.approx(0.8)
    assert net.training
    net.eval()
    d2l.evaluate_accuracy(net, _batches(X, y, 2))
    assert not net.training


def test_evaluate_accuracy_gives_each_layer_back_its_own_mode():
    # net.train(was_training) would put a batch norm frozen for fine-tuning back to updating its statistics
    net = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2), nn.Dropout(0.5))
    net.train()
    net[1].eval()
    seen = []
    net[2].register_forward_pre_hook(lambda m, args: seen.append(m.training))
    d2l.evaluate_accuracy(net, _batches(torch.randn(6, 2), torch.tensor([0, 1] * 3), 3))
    assert seen == [False, False]  # the pass itself was in eval mode
    assert [m.training for m in net] == [True, False, True]


def test_evaluate_accuracy_works_with_a_plain_function():
    X, y = torch.eye(3), torch.tensor([0, 1, 0])
    assert d2l.evaluate_accuracy(lambda X: X, _batches(X, y, 2)) == pytest.approx(2 / 3)


def test_evaluate_accuracy_moves_batches_to_the_model_device():
    net = nn.Linear(2, 2).to("meta")
    # the batch really moved: on the meta device the forward works and only reading the count fails
    with pytest.raises(RuntimeError, match="meta tensors"):
        d2l.evaluate_accuracy(net, _batches(torch.ones(2, 2), torch.tensor([0, 1]), 2))




def test_evaluate_accuracy_refuses_a_nan_in_any_batch_and_still_restores_the_mode():
    # unguarded, the argmax of nan scores is a class like any other: an accuracy, and no word
    X, y = torch.eye(3).repeat(3, 1), torch.tensor([0, 1, 2] * 3)
    X[7, 2] = float("nan")
    net = nn.Sequential(nn.Linear(3, 3), nn.Dropout(0.5))
    with pytest.raises(ValueError, match="the inputs X contain nan or inf, so the predictions for them are arbitrary"):
        d2l.evaluate_accuracy(net, _batches(X, y, 3))
    assert net.training
    X[7, 2] = 0.0
    assert 0 <= d2l.evaluate_accuracy(net, _batches(X, y, 3)) <= 1  # finite data: an accuracy, as before
    # integer inputs are finite by construction
    assert d2l.evaluate_accuracy(lambda X: X.float(), _batches(torch.eye(3, dtype=torch.long), y[:3], 2)) == 1.0


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_evaluate_accuracy_on_a_gpu_checks_its_inputs_without_a_sync_per_batch():
    import warnings
    X, y = torch.rand(2000, 2, device="cuda"), torch.randint(0, 2, (2000,), device="cuda")
    net = nn.Linear(2, 2).cuda()
    batches = d2l.TensorLoader(X, y, 50)  # 40 batches
    d2l.evaluate_accuracy(net, batches)  # warm-up: lazy initialisation may sync
    torch.cuda.set_sync_debug_mode("warn")  # torch warns at every host-device synchronisation
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            d2l.evaluate_accuracy(net, batches)
    finally:
        torch.cuda.set_sync_debug_mode("default")
    syncs = [w for w in caught if "synchroniz" in str(w.message).lower()]
    assert len(syncs) < 8, [str(w.message) for w in syncs]  # a few per pass, not one per batch
    X[1234, 0] = float("inf")
    with pytest.raises(ValueError, match="contain nan or inf"):
        d2l.evaluate_accuracy(net, batches)
