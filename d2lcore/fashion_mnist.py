"""Fashion-MNIST as minibatches cut from tensors held whole in memory, with its text labels (lesson 03)."""
import functools

from .infra.fashion_mnist_files import ensure_fashion_mnist, raw_dir
from .tensor_loader import TensorLoader

TEXT_LABELS = ["t-shirt", "trouser", "pullover", "dress", "coat",
               "sandal", "shirt", "sneaker", "bag", "ankle boot"]


@functools.lru_cache(maxsize=4)
def _read_split(root, train):
    """uint8 (N, 1, 28, 28) images and int64 (N,) labels of one split, from the verified raw files.

    torchvision's idx readers, not its FashionMNIST class: that class would prefer an old
    FashionMNIST/processed/*.pt, which nobody verified."""
    from torchvision.datasets.mnist import read_image_file, read_label_file
    prefix = "train" if train else "t10k"
    raw = raw_dir(root)
    images = read_image_file(str(raw / f"{prefix}-images-idx3-ubyte"))
    return images.unsqueeze(1), read_label_file(str(raw / f"{prefix}-labels-idx1-ubyte"))


def load_data_fashion_mnist(batch_size, resize=None, *, root=None, device=None, seed=None):
    """Fashion-MNIST as `(train_iter, test_iter)`, both kept whole on `device` (lesson 03).

    resize: None (28x28), an int or (H, W): batches are resized on the device.
    root: the cache folder (default $D2L_DATA_DIR, else the per-user cache), filled on first use
        from Debian's dataset-fashion-mnist package or the network, then verified
        (`d2lcore.infra.fashion_mnist_files`).
    device: where the data live and batches come out. Default: the CPU, as with the book's
        loaders, so a pasted book cell whose weights are made on the CPU works on a GPU machine
        too; `device=d2l.try_gpu()` keeps both splits on the GPU (about 55 MB), where a batch
        costs one `index_select` and no copy.
    seed: seeds the training iterator's shuffling (None: from torch's global generator).

    Each iterator yields X float32 (B, 1, H, W) in [0, 1] and y int64 (B,), on `device`. The
    training iterator reshuffles every epoch; the test iterator never shuffles. The files are read
    once per process (well under a second); later calls reuse them.
    """
    device = device or "cpu"
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
