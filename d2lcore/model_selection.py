"""K-fold cross-validation's folds (lesson 11 writes them by hand; the capstone, lesson 16, imports them)."""
import torch


def k_fold_indices(n, k):
    """Lesson 11's folds: k pairs (training indices, held-out indices) of examples 0..n-1, int64 (m,) tensors.

    Fold i holds out the block i*n//k .. (i+1)*n//k - 1, in order, so fold sizes differ by at most
    one and every example is held out exactly once. The blocks are contiguous: shuffle the data
    once before (sorted data would put one class in one fold).
    """
    if not 2 <= k <= n:  # k = 1 trains on nothing; k > n leaves a fold empty (held[0] fails)
        raise ValueError(f"k must be between 2 and n = {n}, got k = {k}")
    folds = []
    for i in range(k):
        held = torch.arange(i * n // k, (i + 1) * n // k)
        folds.append((torch.cat([torch.arange(0, held[0]), torch.arange(held[-1] + 1, n)]), held))
    return folds
