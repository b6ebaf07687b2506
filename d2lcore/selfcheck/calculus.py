"""Self-check for lesson 00: a gradient worked out by hand, against autograd."""
import torch

from ._runner import expect as _expect, rounded, run as _run, shape_of, takes_implementations


@takes_implementations(2, pure=True)
def check_gradient(f, grad_f, shape=(4,)):
    """Check a closed-form gradient: grad_f(x) must equal the gradient of the scalar f(x).

    f: maps a float64 tensor of `shape` to a 0-d tensor. grad_f: maps the same x to a tensor of
    `shape`, the formula you derived. They are compared with autograd at a few random points.
    """
    g = torch.Generator().manual_seed(0)
    points = [torch.randn(shape, generator=g, dtype=torch.float64) for _ in range(3)]

    def autograd(x):
        x = x.clone().requires_grad_()
        out = f(x)
        _expect(isinstance(out, torch.Tensor) and out.dim() == 0,
                f"f must return a scalar (0-d tensor), got {shape_of(out)}; a gradient is defined for a scalar.")
        (grad,) = torch.autograd.grad(out, x)
        return grad

    def shape_kept():
        got = grad_f(points[0].clone())
        _expect(isinstance(got, torch.Tensor) and got.shape == points[0].shape,
                f"the gradient has one entry per entry of x, shape {tuple(shape)}, got {shape_of(got)}.")

    def affine(g, x):
        """Whether g(x) - g(0) doubles when x does: g(x) = Mx + c, as the gradient of a quadratic f is."""
        try:
            zero = g(torch.zeros_like(x))
            return bool(torch.allclose(g(2 * x) - zero, 2 * (g(x) - zero), rtol=1e-6, atol=1e-8))
        except Exception:  # undefined at 0 (a log, a division): not affine
            return False

    def usual_slip(x):
        """Where both the gradient and the formula are affine (f quadratic, such as xᵀAx + bᵀx), a transpose is
        the usual slip; elsewhere it is a derivative in the chain rule."""
        if affine(autograd, x) and affine(lambda v: grad_f(v.clone()).to(x.dtype), x):
            return "Check transposes: ∇ xᵀAx = (A + Aᵀ)x, which is 2Ax only for a symmetric A."
        return ("Check each derivative in the chain rule: tanh' = 1 - tanh², σ' = σ(1 - σ), ReLU' is 1 where the "
                "input is > 0 and 0 elsewhere (not ReLU itself), |x|' = sign(x); and the transposes: the "
                "gradient of g(Wx) is Wᵀ ∇g(Wx) (Wᵀ g'(Wx) for an elementwise g, summed).")

    def matches_autograd():
        for i, x in enumerate(points, start=1):
            want, got = autograd(x), grad_f(x.clone())
            got = got.to(want.dtype)
            if torch.allclose(got, want, rtol=1e-6, atol=1e-8):
                continue
            cause = next((c for k, c in ((-1, "The opposite sign: check the chain rule's inner derivative "
                                              "(d/dx e^(-x) = -e^(-x)) and any minus signs."),
                                         (0.5, "Off by a factor of 2: d/dx x² = 2x."),
                                         (2, "Off by a factor of 2: where did the extra 2 come from?"))
                          if torch.allclose(got, k * want, rtol=1e-6, atol=1e-8)), None) or usual_slip(x)
            _expect(torch.allclose(got, want, rtol=1e-6, atol=1e-8),
                    f"at random point {i} autograd gives {rounded(want)}, your "
                    f"formula {rounded(got)}. {cause}")

    return _run("gradient", [("shape of x", shape_kept), ("equals autograd at 3 random points", matches_autograd)])
