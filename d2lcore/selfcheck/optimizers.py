"""Self-checks for lessons 10 and 13: an optimizer written by hand, gradient clipping by hand."""
import torch
import torch.nn.functional as F

from ._runner import expect as _expect, run as _run, takes_implementations


def _twin_models():
    g = torch.Generator().manual_seed(0)
    a = torch.nn.Sequential(torch.nn.Linear(6, 5), torch.nn.ReLU(), torch.nn.Linear(5, 3))
    with torch.no_grad():
        for p in a.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.5)
    b = torch.nn.Sequential(torch.nn.Linear(6, 5), torch.nn.ReLU(), torch.nn.Linear(5, 3))
    b.load_state_dict(a.state_dict())
    return a, b


def _largest_gap(a, b):
    return max((pa - pb).abs().max().item() for pa, pb in zip(a.parameters(), b.parameters()))


@takes_implementations(2)
def check_optimizer(optimizer_cls, reference_cls, **hyperparameters):
    """Check a torch.optim.Optimizer subclass against torch's: same parameters after every step.

        d2l.check_optimizer(Momentum, torch.optim.SGD, lr=0.1, momentum=0.9)

    Tested: 20 steps on a small network, a parameter that gets no gradient, two parameter groups
    with different learning rates, and zero_grad between steps.
    """
    def lockstep(steps, build):
        a, b = _twin_models()
        opt_a, opt_b = build(optimizer_cls, a), build(reference_cls, b)
        g = torch.Generator().manual_seed(1)
        for step in range(1, steps + 1):
            X, y = torch.randn(16, 6, generator=g), torch.randint(0, 3, (16,), generator=g)
            for net, opt in ((a, opt_a), (b, opt_b)):
                opt.zero_grad()
                F.cross_entropy(net(X), y).backward()
                opt.step()
            gap = _largest_gap(a, b)
            _expect(gap < 1e-5, f"after step {step} a parameter differs from {reference_cls.__name__}'s by {gap:.2e}"
                                + (" (already at the first step: check the update formula and any initial state)."
                                   if step == 1 else " (the first steps agree: check the state kept between steps)."))

    def same_trajectory():
        lockstep(20, lambda cls, net: cls(net.parameters(), **hyperparameters))

    def param_groups():
        lr = hyperparameters.get("lr", 1e-3)

        def build(cls, net):
            return cls([{"params": net[0].parameters()}, {"params": net[2].parameters(), "lr": lr / 10}],
                       **hyperparameters)
        lockstep(5, build)

    def no_grad_param():
        a, _ = _twin_models()
        frozen = a[0].weight
        frozen.requires_grad_(False)
        before = frozen.detach().clone()
        opt = optimizer_cls(a.parameters(), **hyperparameters)
        opt.zero_grad()
        F.cross_entropy(a(torch.ones(4, 6)), torch.zeros(4, dtype=torch.long)).backward()
        opt.step()
        _expect(torch.equal(frozen, before), "a parameter whose .grad is None must be left unchanged "
                                             "(skip it: `if p.grad is None: continue`).")

    return _run(optimizer_cls.__name__, [("same parameters as torch for 20 steps", same_trajectory),
                                         ("two parameter groups, own learning rates", param_groups),
                                         ("skips parameters without a gradient", no_grad_param)])


@takes_implementations(1)
def check_clip_gradients(clip_gradients):
    """Check clip_gradients(params, max_norm): scales all grads in place to global norm <= max_norm,
    returns the norm before clipping (like torch.nn.utils.clip_grad_norm_)."""
    def make(grads):
        params = []
        for grad in grads:
            p = torch.zeros(len(grad), requires_grad=True)
            p.grad = torch.tensor(grad)
            params.append(p)
        return params

    def global_norm():
        params = make([[3.0, 0.0], [0.0, 4.0]])  # global norm 5; each alone only 3 and 4
        clip_gradients(params, 1.0)
        got = [p.grad.tolist() for p in params]
        _expect(torch.allclose(torch.cat([p.grad for p in params]), torch.tensor([0.6, 0.0, 0.0, 0.8])),
                f"gradients [3, 0] and [0, 4] have a global norm of 5; clipped to 1 they must become "
                f"[0.6, 0] and [0, 0.8] (all scaled by 1/5, direction kept), got {got}."
                + (" You clipped each tensor by its own norm: use one norm over all gradients."
                   if torch.allclose(torch.tensor(got[0] + got[1]), torch.tensor([1.0, 0.0, 0.0, 1.0])) else ""))

    def returns_norm():
        params = make([[3.0, 0.0], [0.0, 4.0]])
        got = clip_gradients(params, 1.0)
        _expect(got is not None and abs(float(got) - 5.0) < 1e-5,
                f"return the total norm before clipping (5.0 here, as clip_grad_norm_ does), got {got!r}: "
                f"it is the number you plot to see explosions coming.")

    def small_untouched():
        params = make([[0.3, 0.0], [0.0, 0.4]])
        clip_gradients(params, 1.0)
        _expect(torch.allclose(torch.cat([p.grad for p in params]), torch.tensor([0.3, 0.0, 0.0, 0.4])),
                "a gradient whose norm (0.5) is below max_norm (1) must be left as it is — clipping only shrinks.")

    def matches_torch():
        g = torch.Generator().manual_seed(0)
        grads = [torch.randn(7, generator=g).tolist(), torch.randn(3, generator=g).tolist()]
        ours, ref = make(grads), make(grads)
        clip_gradients(ours, 0.5)
        torch.nn.utils.clip_grad_norm_(ref, 0.5)
        _expect(all(torch.allclose(a.grad, b.grad, atol=1e-6) for a, b in zip(ours, ref)),
                "on random gradients the result differs from torch.nn.utils.clip_grad_norm_(params, 0.5).")

    def skips_none():
        params = make([[3.0, 4.0]]) + [torch.zeros(2, requires_grad=True)]
        clip_gradients(params, 1.0)
        _expect(params[1].grad is None, "a parameter without a gradient (.grad is None) must be skipped.")

    return _run("clip_gradients", [("one global norm", global_norm), ("returns the norm before clipping", returns_norm),
                                   ("small gradients untouched", small_untouched), ("agrees with torch", matches_torch),
                                   ("skips parameters without a gradient", skips_none)])
