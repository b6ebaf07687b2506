"""Self-check for lessons 03 and 08: a minibatch loader (the book's data_iter, grown into a class)."""
import torch

from ._runner import expect as _expect, run as _run, shape_of, takes_implementations


@takes_implementations(1)
def check_data_loader(make_loader):
    """Check make_loader(X, y, batch_size, shuffle) -> an iterable of (X_batch, y_batch).

    The loader may be a class (`check_data_loader(DataLoader)`) or a function returning one.
    Tested: batch sizes and len(), every example once per epoch, pairs kept, a new order every
    epoch when shuffle=True and the stored order when False, and two passes at once (zip).
    """
    n = 23
    y = torch.arange(n)
    X = (y.to(torch.float32) * 10).reshape(n, 1)

    original = X.clone(), y.clone()

    def epoch(loader):
        batches = [(xb, yb) for xb, yb in loader]
        _expect(torch.equal(X, original[0]) and torch.equal(y, original[1]),
                "your loader changed X or y in place (the caller's data were reordered or overwritten). Hint: keep "
                "an order of indices and index with it (X[idx]); don't assign into X.")
        return batches

    def batch_sizes():
        loader = make_loader(X, y, 5, False)
        sizes = [len(xb) for xb, _ in epoch(loader)]
        _expect(sizes == [5, 5, 5, 5, 3],
                f"23 examples in batches of 5 must come as [5, 5, 5, 5, 3], got {sizes}."
                + (" The last, short batch is missing: it holds 3 examples the model never sees."
                   if sizes == [5, 5, 5, 5] else ""))
        _expect(len(loader) == 5, f"len(loader) must be the number of batches, 5, got {len(loader)}. Hint: ceil(n / batch_size).")
        even = len(make_loader(X[:20], y[:20], 5, False))
        _expect(even == 4, f"20 examples in batches of 5 make 4 batches: len(loader) must be 4, got {even}. Hint: "
                           f"ceil(n / batch_size), which is n // batch_size + 1 only when batch_size does not divide n.")

    def every_example_once():
        xb, yb = next(iter(make_loader(X, y, 5, False)))
        swapped = (isinstance(xb, torch.Tensor) and isinstance(yb, torch.Tensor) and xb.numel() == yb.numel()
                   and torch.equal(yb.reshape(-1).to(torch.float32), xb.reshape(-1).to(torch.float32) * 10))
        _expect(not swapped,
                "the batches come as (labels, features): yield (X_batch, y_batch), features first, as a "
                "DataLoader over TensorDataset(X, y) does.")
        for shuffle in (False, True):
            seen = sorted(int(v) for _, yb in epoch(make_loader(X, y, 5, shuffle)) for v in yb)
            _expect(seen == list(range(n)), f"with shuffle={shuffle} an epoch must visit every example exactly once; "
                                            f"{'some are missing' if len(set(seen)) < n else 'some come twice'}.")

    def pairs_kept():
        for xb, yb in epoch(make_loader(X, y, 5, True)):
            _expect(isinstance(xb, torch.Tensor) and torch.equal(xb.reshape(-1), yb.to(torch.float32) * 10),
                    f"features and labels got separated (or features changed): got X {shape_of(xb)} for labels "
                    f"{yb.tolist()}. Index both with the same batch indices.")

    def order():
        plain = torch.cat([yb for _, yb in epoch(make_loader(X, y, 5, False))])
        _expect(torch.equal(plain, y), "with shuffle=False the examples must come in their stored order "
                                       "(the test set is read that way, so results are repeatable).")
        loader = make_loader(X, y, 5, True)
        orders = [torch.cat([yb for _, yb in epoch(loader)]) for _ in range(3)]
        _expect(not torch.equal(orders[0], y), "with shuffle=True the examples still came in their stored order: "
                                               "draw a permutation in __iter__ and index X and y with it (X[idx]), "
                                               "not with slices of the stored order (X[s:s + batch_size]).")
        _expect(not (torch.equal(orders[0], orders[1]) and torch.equal(orders[1], orders[2])),
                "with shuffle=True every pass over the same loader must draw a new order; shuffle inside __iter__, "
                "not once in __init__, and not with a generator seeded anew in each __iter__.")

    def two_passes_at_once():
        loader = make_loader(X, y, 5, False)
        pairs = list(zip(loader, loader))
        _expect(len(pairs) == 5 and all(torch.equal(a[1], b[1]) for a, b in pairs),
                f"zip(loader, loader) must give 5 pairs of identical batches, got {len(pairs)} pairs. Each iter() "
                f"must start a fresh pass: make __iter__ a generator (yield) instead of returning self.")

    return _run("data_loader", [("batch sizes and len", batch_sizes), ("every example once per epoch", every_example_once),
                                ("features stay with their labels", pairs_kept),
                                ("stored order / new order each epoch", order), ("two passes at once", two_passes_at_once)])
