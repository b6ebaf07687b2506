"""Minibatches from tensors that already live on the device: no workers, no per-sample work (lesson 03).

The book's pipeline (`DataLoader(FashionMNIST(transform=ToTensor()), num_workers=4)`) turns
every image into a PIL image and back, one at a time, in four worker processes started anew
every epoch (on Windows and macOS each a fresh Python importing PyTorch): seconds per epoch.
Here the whole split is one tensor on the device and a batch is one `index_select`.
"""
import torch
from torch.utils import data

from .infra.guards import guard_count, guard_tensor


class TensorLoader:
    """Iterate over (X, y) minibatches of tensors kept on one device (lesson 03 writes one by hand).

    images: (N, ...) tensor; uint8 images are scaled to float32 in [0, 1] per batch (stored at
        1 byte per pixel). labels: (N,) int64, on the same device.
    batch_size: a positive int; the last batch keeps the remainder.
    shuffle: a new order every epoch (every iter()).
    seed: seeds the shuffling; None draws one from torch's global generator (so `set_seed` works).
    resize: None, an int or (H, W): batches are resized (antialiased bilinear) on the device.
    split: which part of a data set this is ("train", "valid", "test"), for `d2l.train`'s labels.

    Yields X float32 (B, C, H, W) and y int64 (B,); `len()` is the number of batches. Every batch
    is a copy, so changing one in place never changes the stored split. `.dataset` has the
    examples one by one, as a torch DataLoader's `.dataset` does.
    """

    def __init__(self, images, labels, batch_size, shuffle=False, seed=None, resize=None, split=None):
        guard_tensor("images", images)
        guard_tensor("labels", labels)
        batch_size = guard_count("batch_size", batch_size, "examples per minibatch, e.g. 256")  # -5: len() < 0
        if len(images) != len(labels) or images.device != labels.device:  # index_select would fail obscurely
            raise ValueError(f"images and labels must have the same length and device, got {len(images)} on "
                             f"{images.device} and {len(labels)} on {labels.device}")
        self.images, self.labels, self.batch_size, self.split = images, labels, batch_size, split
        self.shuffle, self.resize = shuffle, [resize, resize] if isinstance(resize, int) else resize
        if seed is None:
            seed = int(torch.randint(0, 2**62, ()).item())
        self.generator = torch.Generator().manual_seed(seed)

    @property
    def device(self):
        return self.images.device

    @property
    def dataset(self):
        """The examples one at a time, as the book's loaders have them (`len(train_iter.dataset)`,
        `train_iter.dataset[0]` -> (image float32 (C, H, W), label int))."""
        return _Examples(self)

    def __len__(self):
        return (len(self.labels) + self.batch_size - 1) // self.batch_size

    def __iter__(self):
        n = len(self.labels)
        # the permutation is drawn on the CPU (seedable everywhere), then copied once per epoch
        order = torch.randperm(n, generator=self.generator) if self.shuffle else torch.arange(n)
        order = order.to(self.device)
        for start in range(0, n, self.batch_size):
            idx = order[start:start + self.batch_size]
            # index_select copies: a slice would be a view, and an in-place edit of it would change the split
            yield self._prepare(self.images.index_select(0, idx)), self.labels.index_select(0, idx)

    def _prepare(self, X):
        if X.dtype == torch.uint8:
            X = X.to(torch.float32).div_(255)
        if self.resize is not None:
            from torchvision.transforms.v2 import functional as TF
            X = TF.resize(X, list(self.resize), antialias=True)
        return X

    def __repr__(self):
        split = f"{self.split} split, " if self.split else ""
        return (f"TensorLoader({split}{len(self.labels)} examples, batch_size={self.batch_size}, "
                f"{len(self)} batches, shuffle={self.shuffle}, device={self.device})")


class _Examples(data.Dataset):
    """`TensorLoader.dataset`: example i as (image, label), prepared as the batches are."""

    def __init__(self, loader):
        self.loader = loader

    def __len__(self):
        return len(self.loader.labels)

    def __getitem__(self, i):
        i = range(len(self))[i]  # -1 is the last example (images[-1:0] would be empty); out of range: IndexError
        return self.loader._prepare(self.loader.images[i:i + 1])[0], self.loader.labels[i].item()
