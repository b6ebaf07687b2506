"""Fashion-MNIST as minibatches cut from tensors held whole in memory, with its text labels (lesson 03)."""
import functools

import torch

from .infra.fashion_mnist_files import ensure_fashion_mnist, raw_dir
from .infra.guards import as_int, describe, guard_count
from .tensor_loader import TensorLoader

TEXT_LABELS = ["t-shirt", "trouser", "pullover", "dress", "coat",
               "sandal", "shirt", "sneaker", "bag", "ankle boot"]
# Which training images `validation=` holds out: one fixed draw, the same everywhere.
VALIDATION_SEED = 20261201


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


def load_data_fashion_mnist(batch_size, resize=None, *, root=None, device=None, seed=None, validation=0):
    """Fashion-MNIST as `(train_iter, test_iter)`, both kept whole on `device` (lesson 03); with
    `validation=n`, as `(train_iter, valid_iter, test_iter)` (lesson 11).

    batch_size: a positive int (checked before any file is read).
    resize: None (28x28), an int or (H, W): batches are resized on the device.
    root: the cache folder (default $D2L_DATA_DIR, else the per-user cache), filled on first use
        from Debian's dataset-fashion-mnist package or the network, then verified
        (`d2lcore.infra.fashion_mnist_files`).
    device: where the data live and batches come out. Default: the CPU, as with the book's
        loaders, so a pasted book cell whose weights are made on the CPU works on a GPU machine
        too; `device=d2l.try_gpu()` keeps both splits on the GPU (about 55 MB), where a batch
        costs one `index_select` and no copy.
    seed: seeds the training iterator's shuffling (None: from torch's global generator).
    validation: hold out this many of the 60,000 training images as a validation set, e.g.
        10000 (50k/10k): a count of images (an int), not a fraction. Which ones is fixed
        (`VALIDATION_SEED`), not `seed`: every lesson, run and machine holds out the same
        images, so a choice made on them is comparable. The validation set is for choosing
        (epochs, learning rates, models); the test set is for the one final report.

    Each iterator yields X float32 (B, 1, H, W) in [0, 1] and y int64 (B,), on `device`, and
    says which split it is in `.split` ("train", "valid" or "test"; `d2l.train` names its curve
    and history by it). The training iterator reshuffles every epoch; the others never shuffle.
    The files are read once per process (well under a second); later calls reuse them.
    """
    # refused before any file is read (or downloaded): a bad batch size fails only later, in len()
    batch_size = guard_count("batch_size", batch_size, "examples per minibatch, e.g. 256")
    if as_int(validation) is None:  # 0.2 or None would fail in a slice or a comparison
        fraction = isinstance(validation, float) and 0 < validation < 1
        hint = f" (a fraction {validation:g} of them is validation={round(validation * 60000)})" if fraction else ""
        raise TypeError(f"validation must be a number of training images to hold out, an int in [0, 60000) such as "
                        f"10000, not a fraction; got {describe(validation)}{hint}")
    validation = as_int(validation)
    if not 0 <= validation < 60000:
        raise ValueError(f"validation must be a number of training images in [0, 60000), got {validation!r}")
    device = device or "cpu"
    root = str(ensure_fashion_mnist(root))
    images, labels = _read_split(root, True)
    splits = [("train", images, labels)]
    if validation:
        order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(VALIDATION_SEED))
        held, kept = order[:validation].sort().values, order[validation:].sort().values
        splits = [("train", images[kept], labels[kept]), ("valid", images[held], labels[held])]
    splits.append(("test", *_read_split(root, False)))
    return tuple(TensorLoader(x.to(device), y.to(device), batch_size, shuffle=name == "train", seed=seed,
                              resize=resize, split=name) for name, x, y in splits)


def get_fashion_mnist_labels(labels):
    """Text labels ('t-shirt', ...) for numeric labels 0-9 (a tensor or a sequence of ints)."""
    return [TEXT_LABELS[int(i)] for i in labels]
