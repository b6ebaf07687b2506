import pytest
import torch
from torch import nn

import d2lcore as d2l


def test_mlp_layers_follow_the_sizes_with_no_activation_after_the_last():
    net = d2l.mlp([10, 12, 12, 10])
    kinds = [type(m) for m in net]
    assert kinds == [nn.Linear, nn.ReLU, nn.Linear, nn.ReLU, nn.Linear]
    assert [(m.in_features, m.out_features) for m in net if isinstance(m, nn.Linear)] == [(10, 12), (12, 12), (12, 10)]
    assert net(torch.randn(3, 10)).shape == (3, 10)


def test_mlp_flatten_and_other_activations():
    net = d2l.mlp([784, 32, 10], activation=nn.Tanh, flatten=True)
    assert isinstance(net[0], nn.Flatten) and isinstance(net[2], nn.Tanh)
    assert net(torch.rand(4, 1, 28, 28)).shape == (4, 10)


def test_mlp_init_std_gives_the_books_initialisation():
    torch.manual_seed(0)
    net = d2l.mlp([500, 400, 10], init_std=0.01)
    w = net[0].weight
    assert abs(w.std().item() - 0.01) < 0.0005 and abs(w.mean().item()) < 0.0005
    assert all(torch.count_nonzero(m.bias) == 0 for m in net if isinstance(m, nn.Linear))


def test_mlp_is_a_single_linear_layer_for_two_sizes():
    net = d2l.mlp([3, 2])
    assert len(net) == 1 and isinstance(net[0], nn.Linear)


