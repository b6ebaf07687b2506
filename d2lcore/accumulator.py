"""Running sums of n quantities (loss, correct predictions, examples seen ...)."""
import torch

from ._checks import check_positive_int


class Accumulator:
    """Sum over n variables.

    Unlike the book's version, which calls float() on every value, 0-d tensors are kept as
    tensors on their own device: adding them does not wait for the GPU. The host syncs only
    when a total is read with `acc[i]` (typically once per epoch). Reading returns a float.
    """

    def __init__(self, n):
        self.n = check_positive_int("n", n)
        self.data = [0.0] * self.n

    def add(self, *args):
        """Add one value to each of the n totals: `acc.add(loss_sum, num_correct, batch_size)`."""
        if len(args) != self.n:
            raise ValueError(f"Accumulator({self.n}).add expects {self.n} values, got {len(args)}")
        new = []
        for i, (total, v) in enumerate(zip(self.data, args)):
            if isinstance(v, torch.Tensor):
                if v.numel() != 1:
                    raise ValueError(f"value {i} must be a number or a one-element tensor, "
                                     f"got a tensor of shape {tuple(v.shape)}; reduce it with .sum() first")
                v = v.detach().reshape(())
                # float64 so sums over many batches do not lose the low digits of float32
                v = v.to(torch.float64) if v.device.type != "mps" else v.float()
            elif isinstance(v, bool) or not isinstance(v, (int, float)):
                raise TypeError(f"value {i} must be a number or a one-element tensor, got {type(v).__name__}")
            new.append(total + v)
        self.data = new

    def reset(self):
        """Set all n totals back to 0."""
        self.data = [0.0] * self.n

    def __getitem__(self, idx):
        return float(self.data[idx])

    def __len__(self):
        return self.n
