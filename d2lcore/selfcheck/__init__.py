"""Self-checks for students: test your own implementation on the cases that matter.

    d2l.check_softmax(my_softmax)      # prints what passed, or explains the first failure

One check per thing a lesson writes by hand:

    lesson 00  check_gradient(f, grad_f)            a gradient derived on paper vs autograd (also 08, 09)
    lesson 01  check_data_iter, check_sgd
    lesson 02  check_squared_loss                   the 1/2, the (n,) vs (n, 1) broadcast trap
    lesson 03  check_data_loader(make_loader)       the lesson's DataLoader class
    lesson 04  check_softmax, check_cross_entropy, check_accuracy    (check_softmax also 07)
    lesson 05  check_cross_entropy_from_logits      also lesson 07
    lesson 06  check_huber_loss
    lesson 10  check_optimizer(cls, torch_cls, **hyperparameters)
    lesson 11  check_k_fold(k_fold_indices)         also lesson 16
    lesson 12  check_dropout
    lesson 13  check_clip_gradients
    lesson 14  check_batch_norm(cls)
    lesson 15  check_quantize(qparams, quantize, dequantize)

Each returns a CheckResult that is truthy when every case passes (and shows nothing of its own in
a notebook: the printed report is the output). A case that raises counts as a failure and the error
is shown; nothing is hidden behind a traceback from inside the checker.
"""
from ._runner import CheckResult
from .calculus import check_gradient
from .classification import check_accuracy, check_cross_entropy, check_cross_entropy_from_logits, check_softmax
from .data import check_data_loader
from .layers import check_batch_norm, check_dropout
from .linear_regression import check_data_iter, check_sgd, check_squared_loss
from .losses import check_huber_loss
from .model_selection import check_k_fold
from .optimizers import check_clip_gradients, check_optimizer
from .quantization import check_quantize

# every check imported above: `d2lcore` takes them all (`from .selfcheck import *`), so a new check is
# registered here alone, by its import line; CheckResult stays d2lcore.selfcheck.CheckResult
__all__ = [name for name in globals() if name.startswith("check_")]
