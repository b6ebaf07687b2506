"""Self-check for lesson 11: the folds of K-fold cross-validation."""
import torch

from ._runner import expect as _expect, run as _run, takes_implementations


@takes_implementations(1)
def check_k_fold(k_fold_indices):
    """Check k_fold_indices(n, k) -> k pairs (train indices, held-out indices), 1-d int tensors.

    Tested: k folds; every example held out exactly once; in each fold the two parts are disjoint
    and together all n examples; fold sizes differ by at most one, also when k does not divide n.
    """
    def folds(n=23, k=5):
        out = []
        for t, h in k_fold_indices(n, k):
            parts = []  # each part converted once
            for part in (t, h):
                try:
                    part = torch.as_tensor(part)
                except (TypeError, ValueError) as e:
                    _expect(False, f"each fold must be a pair (training indices, held-out indices), each one 1-d "
                                   f"tensor of indices; got a part that is no tensor ({e}). Hint: join the indices "
                                   f"before and after the held-out ones with torch.cat.")
                _expect(part.dtype == torch.int64 or not (part.is_floating_point() or part.dtype == torch.bool),
                        f"the folds must be index tensors (int64), got {part.dtype}"
                        + (": boolean masks. Hint: torch.arange(n) sliced, or mask.nonzero().flatten()."
                           if part.dtype == torch.bool else ": float indices cannot index a tensor "
                           "(features[held] raises). Hint: torch.arange gives int64."))
                parts.append(part.long())
            out.append(tuple(parts))
        return out

    def k_folds():
        got = len(folds())
        _expect(got == 5, f"k_fold_indices(23, 5) must give 5 folds, got {got}."
                + (" Off by one: for i in range(k)." if got in (4, 6) else ""))

    def each_held_out_once():
        held = sorted(i for _, h in folds() for i in h.tolist())
        _expect(held == list(range(23)),
                "over the 5 folds every one of the 23 examples must be held out exactly once; "
                + (f"{23 - len(set(held))} never are. Hint: with n // k examples per fold the remainder "
                   "n % k is never validated; let the last folds take one more (i * n // k to (i + 1) * n // k)."
                   if len(set(held)) < 23 else "some are held out twice: the folds overlap."))

    def parts_split_the_data():
        for i, (t, h) in enumerate(folds()):
            both = set(t.tolist()) & set(h.tolist())
            _expect(not both, f"fold {i}: examples {sorted(both)[:5]} are in the training part and the held-out "
                              "part: the model would be validated on data it trained on.")
            _expect(sorted(t.tolist() + h.tolist()) == list(range(23)),
                    f"fold {i}: the training part and the held-out part together must be all 23 examples, "
                    f"got {len(t)} + {len(h)}. Train on every example that is not held out.")

    def balanced():
        sizes = [len(h) for _, h in folds()]
        _expect(max(sizes) - min(sizes) <= 1, f"fold sizes must differ by at most one, got {sizes}. Hint: spread the "
                                              f"remainder: fold i holds i * n // k to (i + 1) * n // k.")

    return _run("k_fold_indices", [("k folds", k_folds), ("each example held out once", each_held_out_once),
                                   ("the two parts split the data", parts_split_the_data),
                                   ("folds of equal size, ±1", balanced)])
