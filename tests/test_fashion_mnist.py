import pathlib

import pytest
import torch

import d2lcore as d2l
from d2lcore.infra import fashion_mnist_files as fm

ROOT = pathlib.Path(__file__).resolve().parents[1]
SOURCES = [ROOT.parent / "shared" / "data" / "fashion-mnist", pathlib.Path("/usr/share/datasets/fashion-mnist")]


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    for d in SOURCES:
        if all((d / f"{n}.gz").exists() for n in fm.FILES):
            return fm.ensure_fashion_mnist(tmp_path_factory.mktemp("fm"), system_dirs=[d], download=False)
    pytest.skip("no Fashion-MNIST archives")


def test_iterators_have_the_documented_shapes_dtypes_and_lengths(root):
    train, test = d2l.load_data_fashion_mnist(256, root=root, seed=0)
    assert (len(train), len(test)) == (235, 40)  # 60000/256 and 10000/256, partial batches kept
    assert (len(train.labels), len(test.labels)) == (60000, 10000)
    X, y = next(iter(train))
    assert X.shape == (256, 1, 28, 28) and X.dtype == torch.float32
    assert y.shape == (256,) and y.dtype == torch.int64
    assert 0 <= X.min() and X.max() <= 1 and X.max() == 1
    assert X.device == torch.device("cpu") and train.device == test.device  # the book's loaders are on the CPU too
    assert [len(y) for _, y in test][-1] == 10000 - 39 * 256


def test_dataset_gives_examples_one_by_one_as_torchvisions_does(root):
    from torchvision import datasets, transforms
    ds = datasets.FashionMNIST(str(root), train=True, transform=transforms.ToTensor())
    train, test = d2l.load_data_fashion_mnist(256, root=root)
    assert (len(train.dataset), len(test.dataset)) == (60000, 10000)
    img, label = train.dataset[59999]
    assert img.shape == (1, 28, 28) and img.dtype == torch.float32 and isinstance(label, int)
    torch.testing.assert_close(img, ds[59999][0])
    assert label == ds[59999][1]


def test_device_keeps_both_splits_there(root):
    train, test = d2l.load_data_fashion_mnist(64, root=root, device="meta")  # stands in for a GPU here
    assert train.device.type == test.device.type == "meta"
    assert next(iter(train))[0].device.type == "meta"


def test_every_class_has_6000_training_and_1000_test_images(root):
    train, test = d2l.load_data_fashion_mnist(1000, root=root, device="cpu")
    assert torch.bincount(torch.cat([y for _, y in train])).tolist() == [6000] * 10
    assert torch.bincount(torch.cat([y for _, y in test])).tolist() == [1000] * 10


def test_training_shuffles_reproducibly_and_test_is_fixed(root):
    a, t1 = d2l.load_data_fashion_mnist(64, root=root, device="cpu", seed=5)
    b, t2 = d2l.load_data_fashion_mnist(64, root=root, device="cpu", seed=5)
    first_a, first_b = next(iter(a))[1], next(iter(b))[1]
    assert torch.equal(first_a, first_b) and not torch.equal(first_a, next(iter(a))[1])
    assert torch.equal(next(iter(t1))[1], next(iter(t2))[1])


def test_pixels_match_torchvisions_ToTensor(root):
    from torchvision import datasets, transforms
    ds = datasets.FashionMNIST(str(root), train=False, transform=transforms.ToTensor())
    _, test = d2l.load_data_fashion_mnist(8, root=root, device="cpu")
    X, y = next(iter(test))
    for i in range(8):
        img, label = ds[i]
        torch.testing.assert_close(X[i], img)
        assert y[i].item() == label


@pytest.mark.parametrize("resize", [64, (14, 20)], ids=["up-64", "down-14x20"])  # antialiasing shows downscaling
def test_resize_gives_the_books_antialiased_bilinear_images(root, resize):
    # the book's loader: transforms.Resize(resize) (antialiased bilinear, on the PIL image) before ToTensor()
    from torchvision import datasets, transforms
    ds = datasets.FashionMNIST(str(root), train=False,
                               transform=transforms.Compose([transforms.Resize(resize), transforms.ToTensor()]))
    train, test = d2l.load_data_fashion_mnist(32, resize=resize, root=root, device="cpu")
    shape = (resize, resize) if isinstance(resize, int) else resize
    assert next(iter(train))[0].shape == (32, 1) + shape
    X, y = next(iter(test))
    want = torch.stack([ds[i][0] for i in range(32)])
    assert X.shape == want.shape == (32, 1) + shape and y.tolist() == [ds[i][1] for i in range(32)]
    # PIL rounds its result to whole grey levels: within 1 level of 255 (measured: at most 1.0, mean 0.15;
    # nearest-neighbour is off by up to ~200 levels, bilinear without antialiasing by ~80 on the downscale)
    torch.testing.assert_close(X, want, rtol=0, atol=1.5 / 255)


def test_text_labels():
    assert d2l.get_fashion_mnist_labels(torch.tensor([0, 9, 3])) == ["t-shirt", "ankle boot", "dress"]
    assert d2l.get_fashion_mnist_labels([1]) == ["trouser"]




def test_a_validation_split_is_held_out_of_the_training_set_the_same_way_every_time(root):
    train, valid, test = d2l.load_data_fashion_mnist(1000, root=root, validation=10000, seed=0)
    assert (len(train.labels), len(valid.labels), len(test.labels)) == (50000, 10000, 10000)
    assert (train.split, valid.split, test.split) == ("train", "valid", "test")
    full, _ = d2l.load_data_fashion_mnist(1000, root=root)
    # together the two are exactly the 60,000 training images, none in both
    key = lambda t: (t.images.flatten(1).long() * torch.arange(1, 785)).sum(1) * 10 + t.labels  # noqa: E731
    assert sorted(torch.cat([key(train), key(valid)]).tolist()) == sorted(key(full).tolist())
    # the same images whatever the shuffling seed, and in every call
    again = d2l.load_data_fashion_mnist(1000, root=root, validation=10000, seed=7)[1]
    assert torch.equal(again.labels, valid.labels) and torch.equal(again.images, valid.images)
    # a random draw: every class is there, about a tenth of each; the validation set never shuffles
    counts = torch.bincount(valid.labels, minlength=10)
    assert counts.min() > 900 and counts.max() < 1100, counts
    assert torch.equal(next(iter(valid))[1], next(iter(valid))[1])
    assert "valid split" in repr(valid)


@pytest.mark.parametrize("validation", [-1, 60000, 150000])
def test_a_validation_size_outside_the_training_set_is_refused(root, validation):
    with pytest.raises(ValueError, match="validation must be"):
        d2l.load_data_fashion_mnist(256, root=root, validation=validation)


@pytest.fixture
def no_sources(monkeypatch):
    """No system package and no reachable mirror: a load that looks for the files fails at once."""
    monkeypatch.setenv(fm.SYSTEM_DIRS_ENV, "")
    monkeypatch.setenv(fm.MIRROR_ENV, "file:///nonexistent/")


@pytest.mark.parametrize("validation, says", [
    (0.2, r"not a fraction; got float 0.2 \(a fraction 0.2 of them is validation=12000\)"),
    (10000.0, "an int in \\[0, 60000\\) such as 10000, not a fraction; got float 10000.0"),
    (None, "got NoneType None"),
    (True, "got bool True")])
def test_a_validation_that_is_no_count_of_images_is_refused_before_any_file_is_read(tmp_path, no_sources,
                                                                                    validation, says):
    # unguarded: TypeErrors from a slice ("slice indices must be integers") or a comparison with None
    with pytest.raises(TypeError, match=says):
        d2l.load_data_fashion_mnist(256, root=tmp_path, validation=validation)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("batch_size, error", [(-5, ValueError), (0, ValueError), (256.0, TypeError)])
def test_a_batch_size_that_is_no_positive_int_is_refused_before_any_file_is_read(tmp_path, no_sources,
                                                                                 batch_size, error):
    # unguarded: the data were loaded, then len() failed ("__len__() should return >= 0"), or a division by zero
    with pytest.raises(error, match=r"batch_size must be an int >= 1 \(examples per minibatch, e\.g\. 256\)"):
        d2l.load_data_fashion_mnist(batch_size, root=tmp_path)
    assert list(tmp_path.iterdir()) == []
