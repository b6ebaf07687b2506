"""Fashion-MNIST as device-resident minibatches, with its text labels."""
import functools

import torch

from ._checks import check_device, check_positive_int, describe
from .devices import try_gpu
from .fashion_mnist_files import ensure_fashion_mnist
from .tensor_loader import TensorLoader

TEXT_LABELS = ["t-shirt", "trouser", "pullover", "dress", "coat",
               "sandal", "shirt", "sneaker", "bag", "ankle boot"]


@functools.lru_cache(maxsize=4)
def _read_split(root, train):
    """uint8 (N, 1, 28, 28) images and int64 (N,) labels of one split, read by torchvision."""
    from torchvision import datasets
    ds = datasets.FashionMNIST(root, train=train, download=False)
    return ds.data.unsqueeze(1), ds.targets


def load_data_fashion_mnist(batch_size, resize=None, *, root=None, device=None, seed=None):
    """Fashion-MNIST as `(train_iter, test_iter)`, both kept whole on `device`.

    Args:
        batch_size: positive int; the last partial batch is kept.
        resize: None (28x28), an int or (H, W): batches are resized on the device.
        root: cache folder (default $D2L_DATA_DIR, else the per-user cache; see
            `d2lcore.fashion_mnist_files`). Filled from Debian's dataset-fashion-mnist
            package or the network on first use, then verified.
        device: where the data live and batches come out (default `try_gpu()`).
        seed: seeds the training iterator's shuffling (None: from torch's global generator).

    Each iterator yields X float32 (B, 1, H, W) in [0, 1] and y int64 (B,), on `device`.
    The training iterator reshuffles every epoch; the test iterator never shuffles.
    The first call reads the files (well under a second); later calls in the same process reuse them.
    """
    batch_size = check_positive_int("batch_size", batch_size)
    device = check_device("device", device) or try_gpu()
    root = str(ensure_fashion_mnist(root))
    loaders = []
    for train in (True, False):
        images, labels = _read_split(root, train)
        loaders.append(TensorLoader(images.to(device), labels.to(device), batch_size,
                                    shuffle=train, seed=seed, resize=resize))
    return tuple(loaders)


def get_fashion_mnist_labels(labels):
    """Text labels ('t-shirt', ...) for numeric labels 0-9 (a tensor or a sequence of ints)."""
    if isinstance(labels, torch.Tensor):
        if labels.is_floating_point():
            raise TypeError(f"labels must be integers 0-9, got {describe(labels)}")
        labels = labels.flatten().tolist()
    out = []
    for v in labels:
        if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v < len(TEXT_LABELS):
            raise ValueError(f"labels must be integers 0-9, got {v!r}")
        out.append(TEXT_LABELS[v])
    return out
