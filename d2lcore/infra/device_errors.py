"""Device-mismatch errors that say which tensor is where.

torch's own message ("Expected all tensors to be on the same device, but found at least two
devices, cuda:0 and cpu!") does not say which tensor is the stray one. `explain_device_errors`
wraps a training or evaluation loop and re-raises such an error naming where the model's
weights, the batch and the loss's own tensors live, with what to do about it.
"""
import contextlib
import re

import torch
from torch import nn


class DeviceMismatchError(RuntimeError):
    """Tensors that must meet in one operation live on different devices; the message says which is where."""


# torch's wordings for "these tensors are on different devices" (CPU/CUDA/MPS/meta kernels)
_DEVICE_ERROR = re.compile(r"on the same device|on the expected device|Expected object of device type"
                           r"|indices should be either on cpu or on the same device")


def model_device(net):
    """The device of a module's first parameter, or None (a plain function, or no parameters)."""
    if isinstance(net, nn.Module):
        for p in net.parameters():
            return p.device
    return None


def where(obj):
    """Where a tensor or a module's tensors live, in words."""
    if isinstance(obj, torch.Tensor):
        return str(obj.device)
    if isinstance(obj, nn.Module):
        devices = sorted({str(t.device) for t in [*obj.parameters(), *obj.buffers()]})
        return " and ".join(devices) if devices else "no device (it has no parameters or buffers)"
    if callable(obj):
        return "wherever its own tensors were created (a plain function: d2lcore cannot see them)"
    return "no device"


def _hint(net, device):
    if isinstance(net, nn.Module):
        return (f"Move the model to the batches' device (net.to({str(device)!r}); d2l.train does this for you), "
                f"or leave device=None so batches go where the model is. A loss with its own tensors "
                f"(e.g. a class weight) must be moved too: loss.to(device).")
    return (f"net is a plain function: create the tensors it uses (its weights) on the batches' device "
            f"({device}), or pass device= so the batches go where the weights are.")


@contextlib.contextmanager
def explain_device_errors(net, loss=None, device=None):
    """Re-raise torch's device-mismatch errors in the block as a DeviceMismatchError naming where
    the model (`net`), the batches (`device`) and `loss` live, and what to do."""
    try:
        yield
    except RuntimeError as e:
        if isinstance(e, DeviceMismatchError) or not _DEVICE_ERROR.search(str(e)):
            raise
        places = [f"the model (net) is on {where(net)}", f"the batches are on {device or 'the device they came on'}"]
        if isinstance(loss, nn.Module) and [*loss.parameters(), *loss.buffers()]:
            places.append(f"the loss module is on {where(loss)}")
        raise DeviceMismatchError(f"tensors on different devices: {'; '.join(places)}. "
                                  f"{_hint(net, device)} (torch said: {e})") from e
