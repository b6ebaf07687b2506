"""Self-checks for students: test your own implementation on the cases that matter.

    d2l.check_softmax(my_softmax)      # prints what passed, or explains the first failure
    d2l.check_cross_entropy(my_cross_entropy)
    d2l.check_sgd(my_sgd)
    d2l.check_data_iter(my_data_iter)

Each returns a CheckResult that is truthy when every case passes (and shows nothing of its own in
a notebook: the printed report is the output). A case that raises counts as a failure and the error
is shown; nothing is hidden behind a traceback from inside the checker.
"""
import torch


class _Fail(Exception):
    pass


class CheckResult:
    """Outcome of a self-check: `bool(result)` is True when every case passed."""

    def __init__(self, name, passed):
        self.name, self.passed = name, passed

    def __bool__(self):
        return self.passed

    def __repr__(self):
        return f"CheckResult({self.name!r}, passed={self.passed})"

    def _ipython_display_(self):
        pass  # a cell ending in a check shows the report it printed, not this object


def _expect(cond, message):
    if not cond:
        raise _Fail(message)


def _run(name, cases):
    """Run (description, function) cases in order; print the first failure and stop."""
    for i, (what, case) in enumerate(cases, start=1):
        try:
            case()
        except _Fail as e:
            print(f"✗ {name}: check {i} of {len(cases)} failed — {what}.\n  {e}")
            return CheckResult(name, False)
        except Exception as e:  # the student's code raised: that is the finding
            print(f"✗ {name}: check {i} of {len(cases)} failed — {what}.\n"
                  f"  Your function raised {type(e).__name__}: {e}")
            return CheckResult(name, False)
    print(f"✓ {name}: all {len(cases)} checks passed ({'; '.join(w for w, _ in cases)}).")
    return CheckResult(name, True)


def check_softmax(softmax):
    """Check softmax(X) for X (n, q) rows of scores."""
    g = torch.Generator().manual_seed(0)
    X = torch.randn(4, 5, generator=g)

    def shape():
        P = softmax(X)
        _expect(isinstance(P, torch.Tensor) and P.shape == X.shape,
                f"expected a tensor of shape {tuple(X.shape)} (one probability per score), got "
                f"{tuple(P.shape) if isinstance(P, torch.Tensor) else type(P).__name__}. "
                f"Hint: sum with keepdim=True so the division broadcasts row by row.")

    def rows_sum_to_one():
        sums = softmax(X).sum(dim=1)
        _expect(torch.allclose(sums, torch.ones(4), atol=1e-5),
                f"each row must sum to 1, got row sums {[round(v, 3) for v in sums.tolist()]}. "
                f"Hint: normalise each row by its own sum (dim=1), not by a column or the whole tensor.")

    def positive():
        P = softmax(X)
        _expect(bool((P > 0).all()), "every probability must be positive; got a zero or negative entry. "
                                     "Hint: exponentiate the scores before normalising.")

    def shift_invariant():
        _expect(torch.allclose(softmax(X + 10), softmax(X), atol=1e-5),
                "adding the same number to every score of a row must not change softmax; it did.")

    def no_overflow():
        P = softmax(torch.tensor([[1000.0, 0.0], [0.0, -1000.0]]))
        _expect(bool(torch.isfinite(P).all()),
                f"logits of 1000 gave {P.tolist()}: exp(1000) overflows to inf and inf/inf is nan. "
                f"Hint: subtract each row's maximum before exp (lesson 07).")

    return _run("softmax", [("shape kept", shape), ("rows sum to 1", rows_sum_to_one),
                            ("probabilities positive", positive), ("shift invariance", shift_invariant),
                            ("logits of 1000 give no nan", no_overflow)])


def check_cross_entropy(cross_entropy):
    """Check cross_entropy(y_hat, y): y_hat (n, q) probabilities, y (n,) int64 labels -> (n,)."""
    y_hat = torch.tensor([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5], [0.8, 0.1, 0.1]])
    y = torch.tensor([0, 2, 0])
    expected = -torch.log(torch.tensor([0.1, 0.5, 0.8]))

    def shape():
        out = cross_entropy(y_hat, y)
        _expect(isinstance(out, torch.Tensor) and out.shape == (3,),
                f"expected one loss per example, shape (3,), got "
                f"{tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__}. "
                f"Hint: y_hat[range(len(y_hat)), y] picks one entry per row; y_hat[:, y] picks a whole (n, n) block.")

    def picks_true_class():
        out = cross_entropy(y_hat, y)
        _expect(torch.allclose(out, expected, atol=1e-5),
                f"expected {[round(v, 4) for v in expected.tolist()]} (-log of each row's probability of its "
                f"true class), got {[round(v, 4) for v in out.tolist()]}.")

    def agrees_with_torch():
        g = torch.Generator().manual_seed(1)
        logits, labels = torch.randn(8, 10, generator=g), torch.randint(0, 10, (8,), generator=g)
        ref = torch.nn.functional.cross_entropy(logits, labels, reduction="none")
        out = cross_entropy(torch.softmax(logits, dim=1), labels)
        _expect(torch.allclose(out, ref, atol=1e-5),
                "on random data your loss differs from torch.nn.functional.cross_entropy(logits, y, "
                "reduction='none') applied to the same logits.")

    return _run("cross_entropy", [("one loss per example", shape), ("-log of the true class's probability",
                                   picks_true_class), ("agrees with torch", agrees_with_torch)])


def check_sgd(sgd):
    """Check sgd(params, lr, batch_size): in place, mean gradient (divided by batch_size), grads zeroed."""
    def setup():
        w = torch.tensor([1.0, 2.0], requires_grad=True)
        (w * torch.tensor([4.0, 8.0])).sum().backward()  # grad = [4, 8], a sum over a batch of 4
        return w

    def divides_by_batch_size():
        w = setup()
        sgd([w], 0.5, 4)
        got = w.detach().tolist()
        _expect(torch.allclose(w.detach(), torch.tensor([0.5, 1.0])),
                f"with grad [4, 8], lr 0.5 and batch_size 4 the new w must be [1 - 0.5*4/4, 2 - 0.5*8/4] = "
                f"[0.5, 1.0], got {got}."
                + (" Did you forget to divide by batch_size?" if got == [-1.0, -2.0] else ""))

    def in_place():
        w = setup()
        before = w.data_ptr()
        sgd([w], 0.5, 4)
        _expect(w.data_ptr() == before and w.is_leaf and w.requires_grad and w.detach().tolist() != [1.0, 2.0],
                "w must be updated in place (param -= ...) under torch.no_grad(); "
                "param = param - ... only rebinds a local name and leaves the model unchanged.")

    def zeroes_grad():
        w = setup()
        sgd([w], 0.5, 4)
        _expect(w.grad is not None and bool((w.grad == 0).all()),
                f"after the step the gradient must be zero (backward() adds to .grad), got "
                f"{None if w.grad is None else w.grad.tolist()}. Hint: param.grad.zero_().")

    return _run("sgd", [("divides by batch_size", divides_by_batch_size), ("updates in place", in_place),
                        ("zeroes the gradients", zeroes_grad)])


def check_data_iter(data_iter):
    """Check data_iter(batch_size, features, labels): a generator of shuffled minibatches."""
    n = 23
    features = torch.arange(n, dtype=torch.float32).reshape(n, 1).repeat(1, 2)
    labels = features[:, :1] * 10

    def epoch(batch_size=5):
        return [(X, y) for X, y in data_iter(batch_size, features, labels)]

    def batch_sizes():
        sizes = [len(X) for X, _ in epoch()]
        _expect(sizes == [5, 5, 5, 5, 3],
                f"23 examples in batches of 5 must come as [5, 5, 5, 5, 3], got {sizes}. "
                f"Hint: the last batch keeps the remainder (min(i + batch_size, n)).")

    def every_example_once():
        seen = sorted(int(v) for X, _ in epoch() for v in X[:, 0].tolist())
        _expect(seen == list(range(n)),
                "each epoch must visit every example exactly once; "
                f"{'some are missing' if len(set(seen)) < n else 'some come twice'}.")

    def pairs_kept():
        for X, y in epoch():
            _expect(torch.equal(y, X[:, :1] * 10), "features and labels got separated: index both with the "
                                                   "same batch indices.")

    def shuffles():
        orders = [torch.cat([X[:, 0] for X, _ in epoch()]) for _ in range(3)]
        _expect(not torch.equal(orders[0], torch.arange(n, dtype=torch.float32))
                and not (torch.equal(orders[0], orders[1]) and torch.equal(orders[1], orders[2])),
                "the examples must come in a new random order every epoch (random.shuffle the indices "
                "inside the function, not once outside).")

    return _run("data_iter", [("batch sizes", batch_sizes), ("every example once per epoch", every_example_once),
                              ("features stay with their labels", pairs_kept), ("reshuffles every epoch", shuffles)])


__all__ = ["check_softmax", "check_cross_entropy", "check_sgd", "check_data_iter"]
