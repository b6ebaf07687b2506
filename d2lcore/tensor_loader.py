"""Minibatches from tensors that already live on the device: no workers, no per-sample work.

The book's pipeline (`DataLoader(FashionMNIST(transform=ToTensor()), num_workers=4)`) turns
every image into a PIL image and back, one at a time, in worker processes: seconds per epoch,
and workers that crash on Windows and macOS notebooks. Here the whole split is one tensor on
the device and a batch is one `index_select`.
"""
import torch

from ._checks import check_positive_int, check_same_device, check_tensor, describe


class TensorLoader:
    """Iterate over (X, y) minibatches of tensors kept on one device.

    Args:
        images: (N, ...) tensor; uint8 images are scaled to float32 in [0, 1] per batch
            (so the split is stored at 1 byte per pixel).
        labels: (N,) int64 tensor on the same device.
        batch_size: positive int; the last batch keeps the remainder (it is not dropped).
        shuffle: draw a new order every epoch (every `iter()`).
        seed: seeds the shuffling; None draws one from torch's global generator, so
            `d2l.set_seed` makes runs repeatable too.
        resize: None, an int or (H, W): batches are resized (antialiased bilinear) on the device.

    Yields X float32 (B, C, H, W) and y int64 (B,) on the device; `len()` is the number of batches.
    """

    def __init__(self, images, labels, batch_size, shuffle=False, seed=None, resize=None):
        check_tensor("images", images)
        check_tensor("labels", labels, ndim=1)
        if len(images) != len(labels):
            raise ValueError(f"images and labels must have the same length, got {len(images)} and {len(labels)}")
        check_same_device("labels", labels, "images", images)
        self.images, self.labels = images, labels
        self.batch_size = check_positive_int("batch_size", batch_size)
        self.shuffle = bool(shuffle)
        self.resize = _check_size(resize)
        if seed is None:
            seed = int(torch.randint(0, 2**62, ()).item())
        self.generator = torch.Generator().manual_seed(seed)

    @property
    def device(self):
        return self.images.device

    @property
    def num_examples(self):
        return len(self.labels)

    def __len__(self):
        return (self.num_examples + self.batch_size - 1) // self.batch_size

    def _prepare(self, X):
        if X.dtype == torch.uint8:
            X = X.to(torch.float32).div_(255)
        if self.resize is not None:
            from torchvision.transforms.v2 import functional as TF
            X = TF.resize(X, list(self.resize), antialias=True)
        return X

    def __iter__(self):
        n, bs = self.num_examples, self.batch_size
        if self.shuffle:
            # the permutation is drawn on the CPU (seedable everywhere), then one copy per epoch
            order = torch.randperm(n, generator=self.generator).to(self.device)
        for start in range(0, n, bs):
            if self.shuffle:
                idx = order[start:start + bs]
                X, y = self.images.index_select(0, idx), self.labels.index_select(0, idx)
            else:
                X, y = self.images[start:start + bs], self.labels[start:start + bs]
            yield self._prepare(X), y

    def __repr__(self):
        return (f"TensorLoader({self.num_examples} examples, batch_size={self.batch_size}, "
                f"{len(self)} batches, shuffle={self.shuffle}, device={self.device})")


def _check_size(resize):
    if resize is None:
        return None
    if isinstance(resize, int) and not isinstance(resize, bool):
        resize = (resize, resize)
    if (not isinstance(resize, (tuple, list)) or len(resize) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in resize)):
        raise ValueError(f"resize must be None, a positive int or a pair (H, W) of positive ints, got {describe(resize)}")
    return tuple(resize)
