import numpy as np
import pytest
import torch

import d2lcore as d2l


def test_synthetic_data_shapes_dtypes_and_model():
    d2l.set_seed(0)
    true_w, true_b = torch.tensor([2, -3.4]), 4.2
    X, y = d2l.synthetic_data(true_w, true_b, 1000)
    assert X.shape == (1000, 2) and y.shape == (1000, 1)
    assert X.dtype == torch.float32 and y.dtype == torch.float32
    residual = y - (X @ true_w.reshape(2, 1) + true_b)
    # noise is N(0, 0.01): its sample std is close to 0.01 and its mean close to 0
    assert abs(residual.std().item() - 0.01) < 0.001
    assert abs(residual.mean().item()) < 0.002
    assert abs(X.mean().item()) < 0.1 and abs(X.std().item() - 1) < 0.1


def test_synthetic_data_is_repeatable_with_set_seed():
    d2l.set_seed(5)
    a = d2l.synthetic_data(torch.tensor([2, -3.4]), 4.2, 50)
    d2l.set_seed(5)
    b = d2l.synthetic_data(torch.tensor([2, -3.4]), 4.2, 50)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])


def test_synthetic_data_takes_the_books_column_of_weights():
    true_w, true_b = torch.tensor([[2.0], [-3.4]]), 4.2  # the book's (d, 1) w works too
    d2l.set_seed(1)
    X, y = d2l.synthetic_data(true_w, true_b, 1000)
    assert X.shape == (1000, 2) and y.shape == (1000, 1)
    residual = y - (X @ true_w + true_b)  # y is X w + b plus N(0, 0.01) noise, as with a (d,) w
    assert abs(residual.std().item() - 0.01) < 0.001 and abs(residual.mean().item()) < 0.002
    d2l.set_seed(1)  # and the same data as the same weights as a vector
    X1, y1 = d2l.synthetic_data(true_w.flatten(), true_b, 1000)
    torch.testing.assert_close((X, y), (X1, y1))


def test_load_array_batches_cover_every_example_once():
    X = torch.arange(23, dtype=torch.float32).reshape(-1, 1)
    y = X * 2
    it = d2l.load_array((X, y), batch_size=5)
    batches = list(it)
    assert [len(b[0]) for b in batches] == [5, 5, 5, 5, 3]
    seen = torch.cat([b[0] for b in batches]).flatten()
    assert sorted(seen.tolist()) == list(range(23))
    for xb, yb in batches:
        assert torch.equal(yb, xb * 2)  # features and labels stay paired


def test_load_array_shuffles_for_training_and_not_for_evaluation():
    X = torch.arange(100, dtype=torch.float32)
    d2l.set_seed(0)
    train = torch.cat([b[0] for b in d2l.load_array((X,), 10)])
    test = torch.cat([b[0] for b in d2l.load_array((X,), 10, is_train=False)])
    assert not torch.equal(train, X)
    assert torch.equal(test, X)


def test_load_array_reshuffles_every_epoch():
    X = torch.arange(100, dtype=torch.float32)
    it = d2l.load_array((X,), 100)
    e1, e2 = next(iter(it))[0], next(iter(it))[0]
    assert not torch.equal(e1, e2)




def test_load_array_takes_a_numpy_integer_batch_size():
    # np.int64 is what len(array) // k gives; torch's DataLoader alone refuses it ("positive integer value")
    X = torch.arange(10, dtype=torch.float32)
    assert [len(b[0]) for b in d2l.load_array((X,), np.int64(4), is_train=False)] == [4, 4, 2]
