"""Self-checks for lessons 10 and 13: an optimizer written by hand, gradient clipping by hand."""
import torch
import torch.nn.functional as F

from ._runner import GRAD_HINTS, expect as _expect, run as _run, takes_implementations


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


def _flat(net):
    return torch.cat([p.detach().reshape(-1) for p in net.parameters()])


def _first_step_cause(moved, ref_moved, reference_cls, hyperparameters):
    """The usual source of a first step unlike torch's: none, the opposite sign, a constant factor."""
    if moved.abs().max() < 1e-12:
        return (" Your step left every parameter unchanged: update in place inside torch.no_grad() (p -= ..., "
                "p.add_(...)); p = p - ... only rebinds a local name.")
    adam = " For Adam: v averages the squared gradient (g * g), and eps is added after the square root, " \
           "m̂ / (sqrt(v̂) + eps)." if issubclass(reference_cls, torch.optim.Adam) else ""
    factor = float(moved @ ref_moved / (ref_moved @ ref_moved))
    if not torch.allclose(moved, factor * ref_moved, atol=1e-6, rtol=1e-2):
        return adam
    if abs(factor + 1) < 1e-3:
        return " Every parameter moved up the gradient: subtract the step, don't add it."
    b1, b2 = hyperparameters.get("betas", (0.9, 0.999))
    if issubclass(reference_cls, torch.optim.Adam) and abs(factor / ((1 - b1) / (1 - b2) ** 0.5) - 1) < 1e-2:
        return (f" Every step is {factor:.3g} times torch's, (1 - β1) / sqrt(1 - β2): the bias correction is "
                f"missing, m / (1 - β1^t) and v / (1 - β2^t) with t counted from 1.")
    return f" Every parameter moved {factor:.3g} times as far as torch's: a factor of {factor:.3g} in your update."


# parameters of different shapes meeting in one state tensor
_SHARED_STATE = (("must match the size of tensor",), "the shapes do not broadcast: is state kept under a key two "
                                                     "parameters share (an index within a group)? Key it by the "
                                                     "parameter: self.state[p].")


@takes_implementations(2)
def check_optimizer(optimizer_cls, reference_cls, **hyperparameters):
    """Check a torch.optim.Optimizer subclass against torch's: same parameters after every step.

        d2l.check_optimizer(Momentum, torch.optim.SGD, lr=0.1, momentum=0.9)

    Tested: 20 steps on a small network, a parameter that gets no gradient, two parameter groups
    with different learning rates, and zero_grad between steps.
    """
    def lockstep(steps, build, first_step_hint=""):
        a, b = _twin_models()
        opt_a, opt_b = build(optimizer_cls, a), build(reference_cls, b)
        g = torch.Generator().manual_seed(1)
        for step in range(1, steps + 1):
            X, y = torch.randn(16, 6, generator=g), torch.randint(0, 3, (16,), generator=g)
            if step == 1:  # kept for the first step's diagnosis only
                before, each_before = _flat(a), [p.detach().clone() for p in a.parameters()]
            for net, opt in ((a, opt_a), (b, opt_b)):
                opt.zero_grad()
                F.cross_entropy(net(X), y).backward()
                opt.step()
            gap, cause = _largest_gap(a, b), ""
            if gap >= 1e-5 and step == 1:
                gaps = [(pa - pb).abs().max().item() for pa, pb in zip(a.parameters(), b.parameters())]
                later_still = [torch.equal(p.detach(), p0) for p, p0 in list(zip(a.parameters(), each_before))[1:]]
                cause = first_step_hint or (
                    (" Only the first parameter moved: a return or break inside the loop over parameters, or a "
                     "condition that skips some?" if all(later_still) else
                     " The first parameter's step agrees and a later one's does not: is something counted once "
                     "per parameter that should count once per step (" + ("Adam's t" if issubclass(
                         reference_cls, torch.optim.Adam) else "a step count") + ")? Keep each parameter's state, "
                     "its step count too, in self.state[p].") if gaps[0] < 1e-5 else
                    _first_step_cause(_flat(a) - before, _flat(b) - before, reference_cls, hyperparameters))
            _expect(gap < 1e-5, f"after step {step} a parameter differs from {reference_cls.__name__}'s by {gap:.2e}"
                                + (" (already at the first step: check the update formula and any initial state)."
                                   + cause if step == 1 else
                                   " (the first steps agree: check the state kept between steps)."))

    def same_trajectory():
        lockstep(20, lambda cls, net: cls(net.parameters(), **hyperparameters))

    def param_groups():
        lr = hyperparameters.get("lr", 1e-3)

        def build(cls, net):
            return cls([{"params": net[0].parameters()}, {"params": net[2].parameters(), "lr": lr / 10}],
                       **hyperparameters)
        lockstep(5, build, " Read the learning rate from each group inside step (for group in self.param_groups: "
                           "... group['lr']), not from self.defaults or a value saved in __init__.")

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
                                         ("skips parameters without a gradient", no_grad_param)],
                hints=GRAD_HINTS + [_SHARED_STATE])


@takes_implementations(1)
def check_clip_gradients(clip_gradients):
    """Check clip_gradients(params, max_norm): scales all grads in place to global norm <= max_norm,
    returns the norm before clipping (like torch.nn.utils.clip_grad_norm_)."""
    def make(grads):
        params = []
        for grad in grads:
            p = torch.ones_like(torch.tensor(grad), requires_grad=True)
            p.grad = torch.tensor(grad)
            params.append(p)
        return params

    def global_norm():
        params = make([[3.0, 0.0], [0.0, 4.0]])  # global norm 5; each alone only 3 and 4
        clip_gradients(params, 1.0)
        got = [p.grad.tolist() for p in params]
        flat = torch.tensor(got[0] + got[1])
        moved = any(not torch.equal(p.detach(), torch.ones(2)) for p in params)
        _expect(torch.allclose(torch.cat([p.grad for p in params]), torch.tensor([0.6, 0.0, 0.0, 0.8])),
                f"gradients [3, 0] and [0, 4] have a global norm of 5; clipped to 1 they must become "
                f"[0.6, 0] and [0, 0.8] (all scaled by 1/5, direction kept), got {got}."
                + (" You clipped each tensor by its own norm (or each value to ±max_norm, as clip_grad_value_ does): "
                   "scale every gradient by one factor, max_norm / (the norm of all gradients together)."
                   if torch.allclose(flat, torch.tensor([1.0, 0.0, 0.0, 1.0])) else
                   " You scaled the parameters, not their gradients: multiply p.grad, leave p alone." if moved else
                   " The gradients are unchanged: scale them in place (p.grad.mul_(...)) or assign p.grad = ...; "
                   "g = g * s only rebinds a local name." if torch.allclose(flat, torch.tensor([3.0, 0, 0, 4.0])) else
                   " Scaled by 1/25, the sum of squares: the norm is its square root."
                   if torch.allclose(flat, torch.tensor([3.0, 0, 0, 4.0]) / 25) else ""))

    def returns_norm():
        params = make([[3.0, 0.0], [0.0, 4.0]])
        got = clip_gradients(params, 1.0)
        _expect(got is not None and abs(float(got) - 5.0) < 1e-5,
                f"return the total norm before clipping (5.0 here, as clip_grad_norm_ does), got {got!r}: "
                f"it is the number you plot to see explosions coming.")
        _expect(isinstance(got, torch.Tensor), f"return the norm as a tensor, as clip_grad_norm_ does, got "
                                               f"{type(got).__name__} {got!r}: lesson 13 compares the two with "
                                               f"torch.testing.assert_close. Hint: no .item() or float().")

    def small_untouched():
        params = make([[0.3, 0.0], [0.0, 0.4]])
        clip_gradients(params, 1.0)
        _expect(torch.allclose(torch.cat([p.grad for p in params]), torch.tensor([0.3, 0.0, 0.0, 0.4])),
                "a gradient whose norm (0.5) is below max_norm (1) must be left as it is — clipping only shrinks.")

    def matches_torch():
        g = torch.Generator().manual_seed(0)
        # a weight matrix's gradient beside a bias's, as in a network
        grads = [torch.randn(3, 4, generator=g).tolist(), torch.randn(3, generator=g).tolist()]
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
                                   ("skips parameters without a gradient", skips_none)], hints=GRAD_HINTS)
