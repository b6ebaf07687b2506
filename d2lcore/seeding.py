"""One call that makes a lesson's random numbers repeatable."""
import random

import numpy as np
import torch

from ._checks import check_nonnegative_int


def set_seed(seed):
    """Seed Python's `random`, NumPy's global generator and torch on every device.

    `seed` must be an int in [0, 2**32 - 1] (NumPy's limit). `torch.manual_seed` seeds the
    CPU generator and every CUDA/MPS device's generator as well. Returns None, so a notebook cell
    ending in `set_seed(0)` shows no output.
    """
    seed = check_nonnegative_int("seed", seed)
    if seed > 2**32 - 1:
        raise ValueError(f"seed must be an int in [0, 2**32 - 1], got {seed}")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
