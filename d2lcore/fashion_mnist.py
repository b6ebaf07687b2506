"""Fashion-MNIST as device-resident minibatches, with its text labels (lesson 03)."""
import functools

from .devices import try_gpu
from .infra.fashion_mnist_files import ensure_fashion_mnist
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
    """Fashion-MNIST as `(train_iter, test_iter)`, both kept whole on `device` (lesson 03).

    resize: None (28x28), an int or (H, W): batches are resized on the device.
    root: the cache folder (default $D2L_DATA_DIR, else the per-user cache), filled on first use
        from Debian's dataset-fashion-mnist package or the network, then verified
        (`d2lcore.infra.fashion_mnist_files`).
    device: where the data live and batches come out (default `try_gpu()`).
    seed: seeds the training iterator's shuffling (None: from torch's global generator).

    Each iterator yields X float32 (B, 1, H, W) in [0, 1] and y int64 (B,), on `device`. The
    training iterator reshuffles every epoch; the test iterator never shuffles. The files are read
    once per process (well under a second); later calls reuse them.
    """
    device = device or try_gpu()
    root = str(ensure_fashion_mnist(root))
    loaders = []
    for train in (True, False):
        images, labels = _read_split(root, train)
        loaders.append(TensorLoader(images.to(device), labels.to(device), batch_size,
                                    shuffle=train, seed=seed, resize=resize))
    return tuple(loaders)


def get_fashion_mnist_labels(labels):
    """Text labels ('t-shirt', ...) for numeric labels 0-9 (a tensor or a sequence of ints)."""
    return [TEXT_LABELS[int(i)] for i in labels]
