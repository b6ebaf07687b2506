"""A model in eval mode for one pass, and every submodule's own mode given back afterwards."""
import contextlib

from torch import nn


@contextlib.contextmanager
def eval_mode(net):
    """Eval mode (dropout off, batch norm's running statistics) for the block, then each submodule's
    mode as it was, even when the block raises. `net.train(was_training)` would not do: it sets every
    submodule alike, so a layer the student froze with `.eval()` (a batch norm while fine-tuning)
    would be back in training after the first evaluation. A plain function has no mode."""
    if not isinstance(net, nn.Module):
        yield
        return
    modes = [(m, m.training) for m in net.modules()]
    net.eval()
    try:
        yield
    finally:
        for m, training in modes:
            m.training = training
