"""Each self-check passes a right implementation and catches plausible wrong ones, with a hint."""
import random

import pytest
import torch

import d2lcore as d2l


# --- softmax --------------------------------------------------------------------------------

def naive_softmax(X):
    e = torch.exp(X)
    return e / e.sum(1, keepdim=True)


@pytest.mark.parametrize("wrong, says", [
    (naive_softmax, "logits of 1000"),  # the lesson's first version: correct until it overflows
    (lambda X: torch.exp(X) / torch.exp(X).sum(0, keepdim=True), "rows sum to 1"),  # wrong axis
    (lambda X: torch.exp(X) / torch.exp(X).sum(), "rows sum to 1"),  # whole tensor
    (lambda X: torch.exp(X) / torch.exp(X).sum(1), "shape kept"),  # no keepdim: (4,5)/(4,) fails
    (lambda X: X / X.sum(1, keepdim=True), "rows sum to 1|positive"),  # forgot exp
])
def test_check_softmax_catches_wrong_versions(wrong, says, capsys):
    assert not d2l.check_softmax(wrong)
    out = capsys.readouterr().out
    assert out.startswith("✗ softmax") and any(s in out for s in says.split("|"))


def test_check_softmax_passes_a_stable_softmax(capsys):
    assert d2l.check_softmax(d2l.softmax)
    assert capsys.readouterr().out.startswith("✓ softmax: all 5 checks passed")


def softmax_overwriting_its_input(X):
    X -= X.max(dim=1, keepdim=True).values  # right numbers, but the caller's scores are gone
    X.exp_()
    return X / X.sum(dim=1, keepdim=True)


def test_a_softmax_that_overwrites_its_input_is_caught_and_named(capsys):
    assert not d2l.check_softmax(softmax_overwriting_its_input)
    out = capsys.readouterr().out
    assert out.startswith("✗ softmax: check 1 of 5 failed") and "changed its argument 1 in place" in out


@pytest.mark.parametrize("check, overwriting", [
    (d2l.check_cross_entropy, lambda y_hat, y: -y_hat.log_()[range(len(y_hat)), y]),
    (d2l.check_accuracy, lambda y_hat, y: float((y_hat.mul_(2).argmax(-1) == y).sum())),
    (d2l.check_squared_loss, lambda y_hat, y: (y_hat.sub_(y.reshape(y_hat.shape))) ** 2 / 2),
    (d2l.check_dropout, lambda X, p: X.mul_((torch.rand_like(X) > p).to(X.dtype) / (1 - p))),
])
def test_checks_of_functions_name_an_argument_changed_in_place(check, overwriting, capsys):
    assert not check(overwriting)
    assert "in place" in capsys.readouterr().out


def test_a_case_that_never_ends_fails_after_the_time_limit(monkeypatch, capsys):
    monkeypatch.setattr("d2lcore.selfcheck._runner.CASE_SECONDS", 0.5)

    def never_ends(y_hat, y):
        while True:
            pass

    assert not d2l.check_cross_entropy(never_ends)
    out = capsys.readouterr().out
    assert "check 1 of 3 failed" in out and "did not finish within 0.5 s" in out
    # the next check runs normally: the alarm is off again
    assert d2l.check_softmax(d2l.softmax)


# --- cross-entropy ---------------------------------------------------------------------------

@pytest.mark.parametrize("wrong, says", [
    (lambda y_hat, y: -torch.log(y_hat[:, y]), "one loss per example"),  # (n, n) block
    (lambda y_hat, y: -torch.log(y_hat[range(len(y_hat)), 0]), "true class"),  # ignores y
    (lambda y_hat, y: torch.log(y_hat[range(len(y_hat)), y]), "true class"),  # sign
    (lambda y_hat, y: -torch.log(y_hat[range(len(y_hat)), y]).mean().expand(len(y)), "true class"),
])
def test_check_cross_entropy_catches_wrong_versions(wrong, says, capsys):
    assert not d2l.check_cross_entropy(wrong)
    assert says in capsys.readouterr().out


def test_check_cross_entropy_passes_the_lessons_version():
    assert d2l.check_cross_entropy(lambda y_hat, y: -torch.log(y_hat[range(len(y_hat)), y]))
    assert d2l.check_cross_entropy(d2l.cross_entropy)


# --- sgd -------------------------------------------------------------------------------------

def sgd_no_division(params, lr, batch_size):
    with torch.no_grad():
        for p in params:
            p -= lr * p.grad
            p.grad.zero_()


def sgd_no_zero(params, lr, batch_size):
    with torch.no_grad():
        for p in params:
            p -= lr * p.grad / batch_size


def sgd_rebinds(params, lr, batch_size):
    for p in params:
        p = p - lr * p.grad / batch_size  # noqa: F841  (a local name: the model is unchanged)


@pytest.mark.parametrize("wrong, says", [
    (sgd_no_division, "forget to divide by batch_size"),
    (sgd_no_zero, "gradient must be zero"),
    (sgd_rebinds, "batch_size 4 the new w must be"),
])
def test_check_sgd_catches_wrong_versions(wrong, says, capsys):
    assert not d2l.check_sgd(wrong)
    assert says in capsys.readouterr().out


def test_check_sgd_passes_the_lessons_version():
    assert d2l.check_sgd(d2l.sgd)


# --- data_iter -------------------------------------------------------------------------------

def good_data_iter(batch_size, features, labels):
    idx = list(range(len(features)))
    random.shuffle(idx)
    for i in range(0, len(idx), batch_size):
        j = torch.tensor(idx[i:i + batch_size])
        yield features[j], labels[j]


def drops_last(batch_size, features, labels):
    idx = list(range(len(features)))
    random.shuffle(idx)
    for i in range(0, len(idx) - batch_size + 1, batch_size):
        j = torch.tensor(idx[i:i + batch_size])
        yield features[j], labels[j]


def no_shuffle(batch_size, features, labels):
    for i in range(0, len(features), batch_size):
        yield features[i:i + batch_size], labels[i:i + batch_size]


def separates(batch_size, features, labels):
    idx = list(range(len(features)))
    random.shuffle(idx)
    other = list(range(len(features)))
    random.shuffle(other)
    for i in range(0, len(idx), batch_size):
        yield features[torch.tensor(idx[i:i + batch_size])], labels[torch.tensor(other[i:i + batch_size])]


@pytest.mark.parametrize("wrong, says", [
    (drops_last, "[5, 5, 5, 5, 3]"), (no_shuffle, "new random order"), (separates, "separated"),
])
def test_check_data_iter_catches_wrong_versions(wrong, says, capsys):
    assert not d2l.check_data_iter(wrong)
    assert says in capsys.readouterr().out


def test_check_data_iter_passes_the_lessons_version():
    random.seed(0)
    assert d2l.check_data_iter(good_data_iter)


def test_a_function_that_raises_is_reported_not_propagated(capsys):
    def broken(X):
        raise RuntimeError("boom")
    assert not d2l.check_softmax(broken)
    assert "Your function raised RuntimeError: boom" in capsys.readouterr().out


def test_an_error_is_blamed_on_the_function_or_on_what_it_returned(capsys):
    """The report says whose error it was: the student's function raising (also when it cannot take the
    check's arguments), or the check failing to use what the function returned (a float64 softmax)."""
    assert not d2l.check_dropout(lambda X: X)  # one parameter, called with (X, p)
    out = capsys.readouterr().out
    assert "Your function raised TypeError: " in out and "<lambda>() takes 1 positional argument" in out

    class NoP:  # the book's BatchNorm signature, (num_features, num_dims)
        def __init__(self, num_features, num_dims):
            pass
    assert not d2l.check_batch_norm(NoP)
    out = capsys.readouterr().out
    assert "Your function raised TypeError: " in out and "NoP.__init__() missing 1 required positional" in out

    assert not d2l.check_softmax(lambda X: torch.softmax(X.double(), dim=1))
    out = capsys.readouterr().out
    assert "The check could not use what your function returned: RuntimeError" in out and "a .double()" in out

    assert not d2l.check_k_fold(lambda n, k: None)
    assert "without a return statement returns None" in capsys.readouterr().out


def test_the_result_is_truthy_and_shows_nothing_in_a_notebook(ipython_shell, capsys):
    from IPython.display import display
    from IPython.utils.capture import capture_output
    r = d2l.check_sgd(d2l.sgd)
    assert bool(r) and r.name == "sgd" and repr(r) == "CheckResult('sgd', passed=True)"
    capsys.readouterr()  # the check's own report
    with capture_output() as shown:  # stdout, stderr and the shell's display publisher
        display(r)
        # what a notebook kernel's displayhook publishes for a cell ending in `r`: no data, so no Out[..]
        assert ipython_shell.display_formatter.format(r) == ({}, {})
    assert (shown.stdout, shown.stderr, shown.outputs) == ("", "", [])
    assert capsys.readouterr() == ("", "")
