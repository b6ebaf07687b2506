"""Multilayer perceptrons from a list of layer sizes (lesson 08, "An MLP in a line")."""
from torch import nn

from .infra.guards import guard_count


def mlp(sizes, activation=nn.ReLU, *, flatten=False, init_std=None):
    """An MLP: Linear(sizes[0], sizes[1]), activation, ..., Linear(sizes[-2], sizes[-1]).

    Args:
        sizes: layer widths, input first and output last, e.g. [784, 256, 10]: at least two
            positive ints. No activation follows the last layer (it outputs logits).
        activation: a module class (or any callable returning a module) put after every hidden
            Linear layer, e.g. nn.ReLU, nn.Sigmoid, nn.Tanh.
        flatten: start with nn.Flatten(), for image batches (B, C, H, W).
        init_std: if given, weights ~ N(0, init_std^2), as the book's sections initialise
            them, and biases 0, as its from-scratch MLP does (its nn.Sequential sections keep
            PyTorch's default biases); otherwise PyTorch's default (Kaiming-uniform) for both.

    Returns an nn.Sequential; `net[i]` indexes its layers as usual.
    """
    sizes = list(sizes)
    if len(sizes) < 2:  # else an empty Sequential, which returns its input unchanged
        raise ValueError(f"mlp needs at least two layer sizes, the input's first and the output's last "
                         f"(e.g. [784, 256, 10]); got {sizes}")
    sizes = [guard_count(f"sizes[{i}]", n, "a layer width: a width of 0 would cut the network in two")
             for i, n in enumerate(sizes)]
    layers = [nn.Flatten()] if flatten else []
    for i, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:
            layers.append(activation())
    net = nn.Sequential(*layers)
    if init_std is not None:
        for m in net.modules():
            if isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, std=init_std)
                nn.init.zeros_(m.bias)
    return net
