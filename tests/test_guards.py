"""The guarded mistakes: each would otherwise give a silently wrong result (or a misleading torch
error). d2lcore validates nothing else — elsewhere torch's and Python's own errors speak.

One row per mistake: the call, the error, words the message must contain. docs/guards.md
describes the mistakes by kind (a row there may stand for several here), with what would
happen unguarded.
"""
import functools
import pathlib
import unittest.mock

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import d2lcore as d2l

T = torch.tensor
SCORES = torch.randn(4, 3)
LABELS = T([0, 1, 2, 0])
PROBS = torch.softmax(SCORES, dim=1)


def _train_epoch(net=None, loss=None, updater=None, batches=None):
    net = net or nn.Linear(3, 3)
    updater = updater or torch.optim.SGD(net.parameters(), lr=0.1)
    return lambda: d2l.train_epoch(net, batches or [(torch.randn(4, 3), LABELS)], loss or nn.CrossEntropyLoss(),
                                   updater)


def _train_from_an_iterator():
    net = nn.Linear(3, 3)
    return d2l.train(net, iter(d2l.TensorLoader(SCORES, LABELS, 2)), d2l.TensorLoader(SCORES, LABELS, 2),
                     nn.CrossEntropyLoss(), 2, torch.optim.SGD(net.parameters(), lr=0.1), "cpu", animate=False)


def _scratch_epoch(loss):
    W = torch.zeros(3, 3, requires_grad=True)
    return lambda: d2l.train_epoch(lambda X: X @ W, [(torch.randn(4, 3), LABELS)], loss,
                                   lambda n: d2l.sgd([W], 0.1, n))


def _train_epoch_clipped(max_norm):
    net = nn.Linear(3, 3)
    return lambda: d2l.train_epoch(net, [(torch.randn(4, 3), LABELS)], nn.CrossEntropyLoss(),
                                   d2l.as_updater(torch.optim.SGD(net.parameters(), lr=0.1), clip_grad_norm=max_norm))


def _scheduled_epoch(scratch=False):
    net = nn.Linear(3, 3)
    built_over = torch.optim.SGD(net.parameters(), lr=0.1)
    scheduler = torch.optim.lr_scheduler.StepLR(built_over, step_size=1)
    # a cell re-run that rebuilt the optimizer, but not the scheduler; or a from-scratch updater
    updater = (lambda n: d2l.sgd(list(net.parameters()), 0.1, n)) if scratch else torch.optim.SGD(net.parameters(), lr=0.1)
    return lambda: d2l.train_epoch(net, [(torch.randn(4, 3), LABELS)], nn.CrossEntropyLoss(),
                                   d2l.as_updater(updater, scheduler=scheduler))


def _under_no_grad(call):
    def run():
        with torch.no_grad():
            call()
    return run


def _before_any_file_is_read(call):
    """Run call with Fashion-MNIST's files out of reach: a guard that comes after reading them fails here."""
    def run():
        def read(*args, **kwargs):
            raise AssertionError("the files were looked for before the arguments were checked")
        with unittest.mock.patch("d2lcore.fashion_mnist.ensure_fashion_mnist", read):
            call()
    return run


def _added_then_changed():
    correct, acc = T(2), d2l.Accumulator(1)
    acc.add(correct)
    correct += 3
    return acc


def _atomic_path_writing_nothing():
    import tempfile
    with tempfile.TemporaryDirectory() as folder:
        path = pathlib.Path(folder) / "kept.txt"
        path.write_text("data")
        with d2l.infra.atomic_path(path):
            pass


CASES = [
    # labels: uint8/bool index as a mask, (n, 1) picks an (n, n) table, -1 picks the last class
    ("uint8 labels", lambda: d2l.cross_entropy(PROBS, LABELS.to(torch.uint8)), TypeError, "int64 class indices"),
    ("bool labels", lambda: d2l.cross_entropy(PROBS, T([True, False, True, False])), TypeError,
     "convert them with y.long()"),
    ("uint8 labels, logits", lambda: d2l.cross_entropy_from_logits(SCORES, LABELS.to(torch.uint8)), TypeError,
     "convert them with y.long()"),
    ("(n, 1) labels", lambda: d2l.cross_entropy(PROBS, LABELS.reshape(-1, 1)), ValueError, "must have shape (n,) = (4,)"),
    ("label -1", lambda: d2l.cross_entropy_from_logits(SCORES, T([0, -1, 0, 0])), ValueError,
     "labels must be in [0, 3) for 3 classes, got values from -1 to 0"),
    ("label = q", lambda: d2l.cross_entropy(PROBS, T([0, 1, 2, 3])), ValueError, "got values from 0 to 3"),
    # accuracy: one float column would be truncated to class numbers, (n, 1) labels broadcast
    ("(n, 1) float scores", lambda: d2l.accuracy(torch.rand(4, 1), LABELS), ValueError, "one column of scores"),
    ("(n, 1) predictions", lambda: d2l.accuracy(LABELS.reshape(-1, 1), LABELS), ValueError, "table of pairs"),
    ("scores squeezed to (n,)", lambda: d2l.accuracy(T([0.9, -0.4, 2.3, 0.2]), LABELS), ValueError,
     "not class numbers, e.g. 0.9"),
    ("(n, 1) labels for accuracy", lambda: d2l.accuracy(SCORES, LABELS.reshape(-1, 1)), ValueError,
     "would broadcast into a table of pairs"),
    # the loss's reduction is stated, never guessed
    ("summing lambda", _train_epoch(loss=lambda y_hat, y: F.cross_entropy(y_hat, y, reduction="sum")), ValueError,
     "does not say whether it is a mean or a sum"),
    ("summing partial, scratch updater",
     _scratch_epoch(functools.partial(F.cross_entropy, reduction="sum")), ValueError, "reduction='none'"),
    ("per-example loss of the wrong size", _train_epoch(loss=lambda y_hat, y: (y_hat - y.reshape(-1, 1)) ** 2),
     ValueError, "one value per example (4)"),
    # an optimizer over another model's parameters trains nothing
    ("optimizer of another model", _train_epoch(updater=torch.optim.SGD(nn.Linear(3, 3).parameters(), lr=0.1)),
     ValueError, "holds none of the model's parameters"),
    # #28: a scheduler over another optimizer, or beside a from-scratch updater, changed no learning rate
    ("scheduler over another optimizer", _scheduled_epoch(), ValueError,
     "the scheduler was built over another optimizer than the one passed"),
    ("scheduler with a from-scratch updater", _scheduled_epoch(scratch=True), TypeError,
     "has no learning rate a scheduler could set"),
    ("ReduceLROnPlateau stepped per batch", lambda: d2l.as_updater(
        opt := torch.optim.SGD(nn.Linear(3, 3).parameters(), lr=0.1),
        scheduler=torch.optim.lr_scheduler.ReduceLROnPlateau(opt)), ValueError, "once per epoch with a metric"),
    # device='meta' would erase the weights
    ("train on meta", lambda: d2l.train(nn.Linear(3, 3), [], [], nn.CrossEntropyLoss(), 1, None, device="meta",
                                        animate=False), ValueError, "would erase its weights"),
    # zip would silently drop values; matplotlib would label curves 'l', 'o', 's', 's'
    ("Accumulator.add with too few values", lambda: d2l.Accumulator(2).add(1.0), ValueError, "expects 2 values, got 1"),
    ("a tensor changed in place after Accumulator.add", lambda: _added_then_changed()[0], ValueError,
     "changed in place after add()"),
    ("atomic_path's block writing nothing over a file with data", lambda: _atomic_path_writing_nothing(), ValueError,
     "nothing was written to the temporary path"),
    ("Animator legend as a string", lambda: d2l.Animator(legend="loss"), TypeError, "one per curve"),
    ("loader of tensors on two devices", lambda: d2l.TensorLoader(SCORES, LABELS.to("meta"), 2), ValueError,
     "same length and device, got 4 on cpu and 4 on meta"),
    ("loader of mismatched tensors", lambda: d2l.TensorLoader(SCORES, LABELS[:3], 2), ValueError,
     "same length and device"),
    ("non-finite loss", _train_epoch(batches=[(torch.full((4, 3), float("nan")), LABELS)]), d2l.NonFiniteLossError,
     "epoch 1, step 1 of 1"),
    # #28: nan/inf in the data was blamed on the learning rate, and gave an accuracy with no word
    ("nan inputs in training", _train_epoch(batches=[(T([[0.0, 1, 2], [1, float("nan"), 0], [0, 0, 0], [1, 1, 1]]),
                                                       LABELS)]), d2l.NonFiniteLossError,
     "inputs X (1 of 12 values) are nan or inf: the data, not the learning rate"),
    ("inf inputs evaluated",
     lambda: d2l.evaluate_accuracy(nn.Linear(3, 3), [(torch.full((4, 3), float("inf")), LABELS)]), ValueError, "the inputs X contain nan or inf"),
    # #28: a mean over no examples was ZeroDivisionError ("float division by zero")
    ("empty training loader", lambda: d2l.train_epoch(nn.Linear(3, 3), d2l.TensorLoader(SCORES[:0], LABELS[:0], 2),
                                                      nn.CrossEntropyLoss(), lambda n: None), ValueError,
     "yielded no examples; it is empty (0 batches)"),
    ("generator to evaluate, read up", lambda: d2l.evaluate_accuracy(nn.Linear(3, 3), iter([])), ValueError,
     "can be read only once: pass the loader itself"),
    ("iter(loader) to train, read up by epoch 1", _train_from_an_iterator, ValueError,
     "in epoch 2 yielded no examples; it is an iterator"),
    ("generator to train_epoch", _train_epoch(batches=(b for b in [])), ValueError,
     "pass the loader itself, not iter(loader)"),
    ("empty loader to evaluate_loss",
     lambda: d2l.evaluate_loss(nn.Linear(3, 3), d2l.TensorLoader(SCORES[:0], LABELS[:0], 2), nn.CrossEntropyLoss()),
     ValueError, "evaluate_loss's data_iter yielded no examples; it is empty"),
    ("Timer.avg before stop", lambda: d2l.Timer().avg(), ValueError, "call stop() at least once"),
    # #28: batch sizes failed later (len() < 0, ZeroDivisionError, a float in range())
    ("negative batch size", lambda: d2l.TensorLoader(SCORES, LABELS, -5), ValueError,
     "batch_size must be an int >= 1 (examples per minibatch, e.g. 256), got int -5"),
    ("zero batch size", lambda: d2l.load_array((SCORES, LABELS), 0), ValueError, "batch_size must be an int >= 1"),
    ("float batch size", lambda: d2l.TensorLoader(SCORES, LABELS, 256.0), TypeError, "got float 256.0"),
    ("bool batch size", lambda: d2l.load_array((SCORES, LABELS), True), TypeError, "got bool True"),
    # refused before any file is read or downloaded (TensorLoader's own guard would come only after)
    ("negative batch size for Fashion-MNIST", _before_any_file_is_read(lambda: d2l.load_data_fashion_mnist(-5)),
     ValueError, "batch_size must be an int >= 1"),
    ("validation as a fraction", _before_any_file_is_read(lambda: d2l.load_data_fashion_mnist(256, validation=0.2)),
     TypeError, "a fraction 0.2 of them is validation=12000"),
    # #28: clip_grad_norm=0 trained nothing and -1 was gradient ascent, silently
    ("clip_grad_norm 0", _train_epoch_clipped(0), ValueError, "clip_grad_norm must be a positive number"),
    ("clip_grad_norm -1", _train_epoch_clipped(-1), ValueError, "would turn every step uphill"),
    ("clip_grad_norm nan", _train_epoch_clipped(float("nan")), ValueError, "got float nan"),
    # #28: torch's "element 0 of tensors does not require grad" names neither cause
    ("frozen model", _train_epoch(net=nn.Linear(3, 3).requires_grad_(False)), ValueError,
     "no parameter of the model requires grad"),
    ("training under no_grad", _under_no_grad(_train_epoch()), RuntimeError, "gradients are switched off"),
    # #28: one tensor was split into its rows; NumPy arrays failed inside TensorDataset
    ("load_array of one tensor", lambda: d2l.load_array(SCORES, 2), TypeError, "for one tensor pass (features,)"),
    ("load_array of NumPy arrays", lambda: d2l.load_array((SCORES.numpy(), LABELS.numpy()), 2), TypeError,
     "data_arrays[0] must be a torch tensor, got numpy.ndarray of shape (4, 3)"),
    ("TensorLoader of a NumPy array", lambda: d2l.TensorLoader(SCORES.numpy(), LABELS, 2), TypeError,
     "images must be a torch tensor"),
    ("TensorLoader of NumPy labels", lambda: d2l.TensorLoader(SCORES, LABELS.numpy(), 2), TypeError,
     "labels must be a torch tensor, got numpy.ndarray of shape (4,)"),
    # #28: mlp([784]) was an empty Sequential (returns its input), a width of 0 a network cut in two
    ("mlp of one size", lambda: d2l.mlp([784]), ValueError, "at least two layer sizes"),
    ("mlp with a zero-width layer", lambda: d2l.mlp([784, 0, 10]), ValueError, "sizes[1] must be an int >= 1"),
    # #28: a reshape error naming no n
    ("predict more images than a batch", lambda: d2l.predict(nn.Linear(3, 10), [(SCORES, LABELS)], n=300),
     ValueError, "first batch, which has 4; got n=300"),
    ("predict no images", lambda: d2l.predict(nn.Linear(3, 10), [(SCORES, LABELS)], n=0), ValueError,
     "n must be an int >= 1 (how many images to show), got int 0"),
]


@pytest.mark.parametrize("mistake, call, error, says", CASES, ids=[c[0] for c in CASES])
def test_a_silent_mistake_gets_a_clear_error(mistake, call, error, says):
    with pytest.raises(error) as e:
        call()
    assert says in str(e.value), f"{mistake}: expected the message to say {says!r}, got: {e.value}"


def test_the_label_mistakes_are_really_silent_without_the_guard():
    """Why the label guards exist: the unguarded lesson code returns numbers, not an error."""
    n = len(LABELS)
    assert PROBS[torch.arange(n), LABELS.reshape(-1, 1)].shape == (n, n)  # (n, 1) labels: a table
    assert PROBS[torch.arange(n), T([0, -1, 0, 0])][1] == PROBS[1, 2]  # -1 quietly means the last class
    truncated = torch.rand(n, 1).type(LABELS.dtype).reshape(-1)  # the book's accuracy on one float column
    assert torch.equal(truncated, torch.zeros(n, dtype=torch.long))  # every score < 1 becomes class 0


def test_an_optimizer_over_some_of_the_models_parameters_is_fine():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 3), nn.Linear(3, 3))
    before = [p.detach().clone() for p in net.parameters()]
    head_only = torch.optim.SGD(net[1].parameters(), lr=0.1)  # fine-tuning a part is legitimate
    d2l.train_epoch(net, [(torch.randn(4, 3), LABELS)], nn.CrossEntropyLoss(), head_only)
    after = [p.detach() for p in net.parameters()]
    changed = [not torch.equal(b, a) for b, a in zip(before, after)]
    assert changed == [False, False, True, True]  # the head's weight and bias stepped, the first layer kept


def test_train_on_meta_leaves_the_weights_where_they_were():
    net = nn.Linear(3, 3)
    before = net.weight.detach().clone()
    with pytest.raises(ValueError):
        d2l.train(net, [], [], nn.CrossEntropyLoss(), 1, torch.optim.SGD(net.parameters(), lr=0.1), device="meta")
    assert net.weight.device.type == "cpu" and torch.equal(net.weight.detach(), before)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_every_stated_reduction_reports_the_same_mean_loss_and_takes_the_same_step(reduction):
    X, y = torch.randn(8, 3), T([0, 1, 2, 0, 1, 2, 0, 1])
    results = []
    for loss in (nn.CrossEntropyLoss(reduction=reduction), d2l.cross_entropy_from_logits):
        torch.manual_seed(0)
        net = nn.Linear(3, 3)
        mean_loss, _ = d2l.train_epoch(net, [(X, y)], loss, torch.optim.SGD(net.parameters(), lr=0.5))
        results.append((mean_loss, net.weight.detach().clone()))
    assert results[0][0] == pytest.approx(results[1][0], rel=1e-6)
    torch.testing.assert_close(results[0][1], results[1][1])


def test_an_in_place_edit_of_a_batch_does_not_change_the_stored_split():
    images, labels = torch.arange(12, dtype=torch.float32).reshape(6, 2), torch.arange(6)
    for shuffle in (False, True):
        loader = d2l.TensorLoader(images, labels, 3, shuffle=shuffle, seed=0)
        for X, y in loader:
            X.zero_()
            y.fill_(-1)
        assert torch.equal(images, torch.arange(12, dtype=torch.float32).reshape(6, 2))
        assert torch.equal(labels, torch.arange(6))
