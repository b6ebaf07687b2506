"""Self-checks for lessons 04, 05 and 07: softmax, cross-entropy (on probabilities and on logits), accuracy."""
import math

import torch

from ._runner import expect as _expect, rounded, run as _run, shape_of, takes_implementations


@takes_implementations(1, pure=True)
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
        P = softmax(X)
        sums = P.sum(dim=1)
        _expect(torch.allclose(sums, torch.ones(4), atol=1e-5),
                f"each row must sum to 1, got row sums {rounded(sums, 3)}. "
                + ("All your values are ≤ 0: these look like log-probabilities (log_softmax); exponentiate them."
                   if bool((P <= 0).all()) else
                   "Hint: normalise each row by its own sum (dim=1), not by a column or the whole tensor."))
        want = torch.softmax(X, dim=1)
        _expect(torch.allclose(P, want, atol=1e-5),
                f"the rows sum to 1, but the values differ from torch.softmax(X, dim=1): expected first row "
                f"{rounded(want[0], 3)}, got {rounded(P[0], 3)}. "
                + ("Some values are ≤ 0: exponentiate the scores before normalising." if bool((P <= 0).any()) else
                   "Hint: shift by each row's maximum, X.max(dim=1, keepdim=True) (one number per row); a column's "
                   "maximum changes the result."))

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
        # finite is not enough: nan_to_num, or logits clamped below exp's overflow, give finite wrong rows
        big = softmax(torch.tensor([[100.0, 90.0]]))
        want = torch.tensor([[1.0, 0.0], [1.0, 0.0]])
        _expect(torch.allclose(P, want, atol=1e-6) and torch.allclose(big, torch.softmax(torch.tensor([[100.0, 90.0]]), 1)),
                f"logits [[1000, 0], [0, -1000]] must give [[1, 0], [1, 0]] and [[100, 90]] about [[0.99995, "
                f"0.00005]], got {[rounded(row) for row in P]} and {[rounded(row, 5) for row in big]}: replacing "
                f"nan (nan_to_num) or capping the "
                f"logits (clamp) hides the overflow and changes the answer. Hint: subtract each row's maximum "
                f"before exp (lesson 07).")

    return _run("softmax", [("shape kept", shape), ("rows sum to 1", rows_sum_to_one),
                            ("probabilities positive", positive), ("shift invariance", shift_invariant),
                            ("logits of 1000 give no nan", no_overflow)])


@takes_implementations(1, pure=True)
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
                + ("A single number means you averaged (or summed): return the per-example losses and let the "
                   "caller take .mean()." if shape_of(out) == () else
                   "Hint: y_hat[range(len(y_hat)), y] picks one entry per row; y_hat[:, y] picks a whole (n, n) block."))

    def picks_true_class():
        out = cross_entropy(y_hat, y)
        picked = y_hat[range(3), y]
        cause = next((c for want, c in (
            (-expected, " The opposite sign: the loss is -log p, a positive number."),
            (-picked, " You returned -p: take the log, -log p."),
            (torch.nn.functional.cross_entropy(y_hat, y, reduction="none"),
             " That is F.cross_entropy(y_hat, y), which applies softmax again: y_hat are already probabilities, "
             "so take -log of the true class's entry directly.")) if torch.allclose(out, want, atol=1e-5)), "")
        _expect(torch.allclose(out, expected, atol=1e-5),
                f"expected {rounded(expected)} (-log of each row's probability of its "
                f"true class), got {rounded(out)}." + cause)

    def agrees_with_torch():
        g = torch.Generator().manual_seed(1)
        logits, labels = torch.randn(8, 10, generator=g), torch.randint(0, 10, (8,), generator=g)
        ref = torch.nn.functional.cross_entropy(logits, labels, reduction="none")
        out = cross_entropy(torch.softmax(logits, dim=1), labels)
        _expect(torch.allclose(out, ref, atol=1e-5),
                "on random data your loss differs from torch.nn.functional.cross_entropy(logits, y, "
                "reduction='none') applied to the same logits.")
        few = labels % 5  # a batch in which the top classes do not occur, as most small batches
        try:
            out = cross_entropy(torch.softmax(logits, dim=1), few)
        except RuntimeError as e:
            _expect(False, f"on a batch whose labels are all below 5 (of 10 classes) your function raised "
                           f"RuntimeError: {e}. F.one_hot(y) without num_classes= makes only max(y) + 1 columns. "
                           f"Hint: F.one_hot(y, num_classes=y_hat.shape[1]), or pick y_hat[range(len(y_hat)), y].")
        _expect(torch.allclose(out, torch.nn.functional.cross_entropy(logits, few, reduction="none"), atol=1e-5),
                "on a batch whose labels are all below 5 (of 10 classes) your loss differs from torch's.")

    return _run("cross_entropy", [("one loss per example", shape), ("-log of the true class's probability",
                                   picks_true_class), ("agrees with torch", agrees_with_torch)])



@takes_implementations(1, pure=True)
def check_cross_entropy_from_logits(cross_entropy_from_logits):
    """Check cross_entropy_from_logits(o, y): o (n, q) float logits, y (n,) int64 labels -> (n,) losses."""
    g = torch.Generator().manual_seed(2)
    o, y = torch.randn(6, 4, generator=g), torch.tensor([0, 3, 1, 1, 2, 0])
    ref = torch.nn.functional.cross_entropy(o, y, reduction="none")

    def shape():
        out = cross_entropy_from_logits(o, y)
        _expect(isinstance(out, torch.Tensor) and out.shape == (6,),
                f"expected one loss per example, shape (6,), got {shape_of(out)}. "
                + ("A single number means you averaged: return the per-example losses and let the caller take "
                   ".mean() (like reduction='none')." if shape_of(out) == () else
                   "Hint: logsumexp over dim=1, then pick o[range(n), y]."))

    def agrees_with_torch():
        out = cross_entropy_from_logits(o, y)
        cause = (" The opposite sign: the loss is logsumexp(o_i) - o_i[y_i], not o_i[y_i] - logsumexp(o_i)."
                 if torch.allclose(out, -ref, atol=1e-5) else
                 " Off by each row's maximum: add the maximum back, logsumexp(o) = m + log Σ exp(o - m)."
                 if torch.allclose(out + o.max(dim=1).values, ref, atol=1e-5) else "")
        _expect(torch.allclose(out, ref, atol=1e-5),
                f"expected F.cross_entropy(o, y, reduction='none') = {rounded(ref)}, "
                f"got {rounded(out)}. The loss is logsumexp(o_i) - o_i[y_i]." + cause)

    def large_logits():
        # the third row lies far below the others: one maximum for the whole batch underflows it to log(0)
        big = torch.tensor([[1000.0, 0.0, -1000.0], [0.0, 1000.0, 0.0], [-1000.0, -1001.0, -1002.0]])
        out = cross_entropy_from_logits(big, torch.tensor([0, 0, 0]))
        want = torch.tensor([0.0, 1000.0, math.log(1 + math.exp(-1) + math.exp(-2))])
        _expect(torch.isfinite(out).all() and torch.allclose(out, want, atol=1e-3),
                f"logits of ±1000 must give the exact losses {rounded(want)}, got {out.tolist()}. "
                + ("Only the third row, far below the others, is wrong: subtract each row's own maximum "
                   "(o.max(dim=1, keepdim=True)), not one maximum of the whole batch."
                   if torch.allclose(out[:2], want[:2], atol=1e-3) else
                   # the first row's loss is 0, finite unless exp(1000) overflowed
                   "exp(1000) overflows: subtract each row's maximum inside logsumexp (lesson 07)."
                   if not bool(torch.isfinite(out[0])) else
                   "An inf without nan is log(0): softmax's probability underflowed to 0 before the log. Compute "
                   "log-softmax as o - logsumexp(o), never log(softmax(o)) (lesson 07)."
                   if bool(out.isinf().any()) and not bool(out.isnan().any()) else
                   "That is logsumexp(o_i) minus the sum of the row, not its true class's logit: F.one_hot(y) "
                   "without num_classes has max(y) + 1 columns (here 1), which broadcast over every class. Pick "
                   "o[range(n), y], or F.one_hot(y, num_classes=o.shape[1])."
                   if torch.allclose(out, torch.logsumexp(big, 1) - big.sum(1), atol=1e-3) else
                   "An eps inside the log, a clamp or nan_to_num hides the overflow or underflow instead of "
                   "avoiding it: compute o - logsumexp(o), with each row's maximum subtracted (lesson 07)."))

    def shift_invariant():
        _expect(torch.allclose(cross_entropy_from_logits(o + 50, y), ref, atol=1e-4),
                "adding the same number to every logit of a row must not change the loss; it did.")

    return _run("cross_entropy_from_logits", [("one loss per example", shape), ("agrees with torch", agrees_with_torch),
                                              ("logits of ±1000 exact", large_logits),
                                              ("shift invariance", shift_invariant)])


@takes_implementations(1, pure=True)
def check_accuracy(accuracy):
    """Check accuracy(y_hat, y): y_hat (n, q) scores or (n,) predicted labels, y (n,) -> number correct."""
    scores = torch.tensor([[0.1, 0.9, 0.0], [0.8, 0.1, 0.1], [0.2, 0.3, 0.5], [0.0, 0.4, 0.6]])
    y = torch.tensor([1, 0, 0, 2])

    def counts():
        got = float(accuracy(scores, y))
        _expect(got == 3.0,
                f"3 of these 4 predictions are right (argmax of each row vs the label), expected 3, got {got:g}."
                + (" That is the fraction: return the count, so that sums over batches of different sizes add "
                   "up (divide once, by the number of examples, at the end)." if got == 0.75 else
                   " None matched: compare each row's argmax (the index of the largest score, dim=1) with the "
                   "label, not the largest score itself (.max(1).values)." if got == 0 else ""))

    def labels_given():
        got = float(accuracy(torch.tensor([1, 0, 2, 2]), y))
        _expect(got == 3.0, f"y_hat may already be predicted labels of shape (n,); expected 3 correct, got {got:g}. "
                            "Hint: only take argmax when y_hat has more than one column.")

    def dtype_mix():
        got = float(accuracy(torch.tensor([1.0, 0.0, 2.0, 2.0]), y))
        _expect(got == 3.0, f"float predicted labels [1., 0., 2., 2.] against int64 labels must count 3, got {got:g}. "
                            "Hint: convert y_hat to y's dtype before comparing.")

    def on_network_output():
        out = accuracy(scores.clone().requires_grad_(), y)
        _expect(float(out) == 3.0, "accuracy must work on scores that require grad (the network's output).")

    return _run("accuracy", [("counts correct predictions", counts), ("takes predicted labels", labels_given),
                             ("float vs int labels", dtype_mix), ("works on the network's output", on_network_output)])
