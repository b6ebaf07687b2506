import numpy as np
import pytest
import torch

import d2lcore as d2l


def _data(n=10):
    images = torch.arange(n, dtype=torch.uint8).reshape(n, 1, 1, 1).expand(n, 1, 2, 2).contiguous()
    return images, torch.arange(n)


def test_batches_cover_every_example_once_and_keep_the_last_partial_batch():
    loader = d2l.TensorLoader(*_data(10), batch_size=4, shuffle=True, seed=0)
    batches = list(loader)
    assert len(loader) == 3 and [len(y) for _, y in batches] == [4, 4, 2]
    assert sorted(torch.cat([y for _, y in batches]).tolist()) == list(range(10))
    for X, y in batches:  # images stay paired with their labels
        assert torch.equal((X[:, 0, 0, 0] * 255).round().long(), y)


def test_uint8_images_come_out_as_float32_in_0_1():
    images = torch.tensor([0, 255], dtype=torch.uint8).reshape(2, 1, 1, 1)
    X, y = next(iter(d2l.TensorLoader(images, torch.tensor([0, 1]), 2)))
    assert X.dtype == torch.float32 and X.flatten().tolist() == [0.0, 1.0] and y.dtype == torch.int64


def test_training_order_changes_every_epoch_and_repeats_with_the_seed():
    a = d2l.TensorLoader(*_data(50), batch_size=50, shuffle=True, seed=3)
    e1, e2 = next(iter(a))[1], next(iter(a))[1]
    assert not torch.equal(e1, e2)
    b = d2l.TensorLoader(*_data(50), batch_size=50, shuffle=True, seed=3)
    assert torch.equal(next(iter(b))[1], e1) and torch.equal(next(iter(b))[1], e2)


def test_without_a_seed_the_order_follows_set_seed():
    d2l.set_seed(1)
    a = next(iter(d2l.TensorLoader(*_data(50), 50, shuffle=True)))[1]
    d2l.set_seed(1)
    b = next(iter(d2l.TensorLoader(*_data(50), 50, shuffle=True)))[1]
    assert torch.equal(a, b)


def test_evaluation_order_never_shuffles():
    loader = d2l.TensorLoader(*_data(10), batch_size=3)
    for _ in range(2):
        assert torch.cat([y for _, y in loader]).tolist() == list(range(10))


@pytest.mark.parametrize("resize, shape", [(4, (4, 4)), ((6, 3), (6, 3))])
def test_resize_interpolates_each_batch(resize, shape):
    images = torch.full((3, 1, 2, 2), 255, dtype=torch.uint8)
    X, _ = next(iter(d2l.TensorLoader(images, torch.zeros(3, dtype=torch.long), 3, resize=resize)))
    assert X.shape == (3, 1) + shape
    torch.testing.assert_close(X, torch.ones_like(X))  # a constant image stays constant


def test_rejects_images_and_labels_of_different_lengths():
    with pytest.raises(ValueError, match="same length and device, got 4 on cpu and 3 on cpu"):
        d2l.TensorLoader(_data(4)[0], torch.arange(3), 2)


def test_a_batch_size_that_is_no_positive_int_is_refused_when_the_loader_is_made():
    # unguarded, -5 failed at len() ("__len__() should return >= 0"), 0 with ZeroDivisionError, 256.0 in range()
    for bad, error in ((-5, ValueError), (0, ValueError), (256.0, TypeError), (True, TypeError)):
        with pytest.raises(error, match=r"batch_size must be an int >= 1 \(examples per minibatch"):
            d2l.TensorLoader(*_data(10), bad)
    loader = d2l.TensorLoader(*_data(10), np.int64(4))  # NumPy ints are ints
    assert len(loader) == 3 and "batch_size=4," in repr(loader)


def test_dataset_takes_negative_indices_as_python_does():
    images, labels = torch.arange(5.0).reshape(5, 1, 1, 1), torch.arange(5)
    examples = d2l.TensorLoader(images, labels, 2).dataset
    image, label = examples[-1]
    assert label == 4 and float(image.reshape(())) == 4.0
    assert examples[-5][1] == 0
    for out_of_range in (5, -6):
        with pytest.raises(IndexError):
            examples[out_of_range]


@pytest.mark.parametrize("resize, shape", [(12, (12, 12)), ((6, 3), (6, 3))])  # up, and down where antialiasing shows
def test_resize_matches_the_books_antialiased_bilinear_resize(resize, shape):
    # the book resizes each PIL image with transforms.Resize (antialiased bilinear), then ToTensor()
    from torchvision import transforms
    g = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (3, 1, 8, 8), dtype=torch.uint8, generator=g)  # not constant: pixels mix
    X, _ = next(iter(d2l.TensorLoader(images, torch.zeros(3, dtype=torch.long), 3, resize=resize)))
    book = transforms.Compose([transforms.ToPILImage(), transforms.Resize(resize), transforms.ToTensor()])
    want = torch.stack([book(img) for img in images])
    assert X.shape == want.shape == (3, 1) + shape
    torch.testing.assert_close(X, want, rtol=0, atol=1.5 / 255)  # PIL rounds to whole grey levels
