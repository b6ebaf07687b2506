import pytest
import torch

import d2lcore as d2l


def test_softmax_rows_are_probabilities_and_match_torch():
    X = torch.randn(5, 7)
    P = d2l.softmax(X)
    assert P.shape == X.shape and (P >= 0).all()
    torch.testing.assert_close(P.sum(1), torch.ones(5))
    torch.testing.assert_close(P, torch.softmax(X, dim=1))


def test_softmax_is_shift_invariant_and_keeps_the_argmax():
    X = torch.randn(4, 3)
    torch.testing.assert_close(d2l.softmax(X + 100), d2l.softmax(X))
    assert torch.equal(d2l.softmax(X).argmax(1), X.argmax(1))


def test_softmax_of_huge_logits_gives_no_nan():
    P = d2l.softmax(torch.tensor([[1000.0, 0.0], [-1000.0, 1000.0]]))
    assert torch.isfinite(P).all()
    torch.testing.assert_close(P, torch.tensor([[1.0, 0.0], [0.0, 1.0]]))
    naive = torch.exp(torch.tensor([1000.0, 0.0]))
    assert torch.isnan(naive / naive.sum()).any()  # what the stable version avoids


