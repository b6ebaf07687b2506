"""Self-check for lesson 06: the Huber loss."""
import torch

from ._runner import expect as _expect, run as _run, shape_of, takes_implementations


@takes_implementations(1, pure=True)
def check_huber_loss(huber_loss):
    """Check huber_loss(y_hat, y, delta): elementwise, r²/2 for |r| <= δ, δ(|r| - δ/2) beyond (= F.huber_loss)."""
    y_hat = torch.tensor([-3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0])
    y = torch.zeros(7)

    def shape():
        out = huber_loss(y_hat, y, 1.0)
        _expect(isinstance(out, torch.Tensor) and out.shape == (7,),
                f"expected one loss per element, shape (7,), got {shape_of(out)}; reduce (mean) outside the loss.")

    def pieces():
        for delta in (1.0, 2.0):
            out = huber_loss(y_hat, y, delta)
            r = y_hat.abs()
            want = torch.where(r <= delta, r ** 2 / 2, delta * (r - delta / 2))
            wrong = ((want / delta, "every value is divided by δ: that is F.smooth_l1_loss(beta=δ) = Huber / δ; "
                                    "multiply by δ (or use F.huber_loss)."),
                     (r ** 2 / 2, "that is the squared loss everywhere: beyond δ the loss must grow linearly, "
                                  "δ(|r| - δ/2)."),
                     (torch.where(r <= delta, r ** 2 / 2, delta * r), "beyond δ you returned δ|r|: subtract δ²/2 so "
                                                                       "that the pieces meet at |r| = δ."),
                     (torch.where(y_hat <= delta, r ** 2 / 2, delta * (r - delta / 2)),
                      "the negative residuals are wrong: compare |r| with δ, not r (r = -3 is an outlier too)."))
            cause = next((" " + c[0].upper() + c[1:] for w, c in wrong if torch.allclose(out, w, atol=1e-6)), "") \
                if isinstance(out, torch.Tensor) and out.shape == want.shape else ""
            _expect(torch.allclose(out, want, atol=1e-6),
                    f"with δ = {delta} for residuals {y_hat.tolist()} expected {want.tolist()}, got {out.tolist()}: "
                    f"r²/2 inside |r| <= δ, δ(|r| - δ/2) outside (the pieces meet at |r| = δ)." + cause)

    def agrees_with_torch():
        g = torch.Generator().manual_seed(0)
        a, b = torch.randn(50, generator=g) * 3, torch.randn(50, generator=g)
        ref = torch.nn.functional.huber_loss(a, b, reduction="none", delta=0.7)
        _expect(torch.allclose(huber_loss(a, b, 0.7), ref, atol=1e-5),
                "on random data your loss differs from F.huber_loss(y_hat, y, reduction='none', delta=0.7).")

    def bounded_gradient():
        # a residual of exactly 0 too: a perfect prediction, where sqrt(r²) for |r| has no gradient (nan)
        a = torch.tensor([-100.0, 0.0, 0.25, 100.0], requires_grad=True)
        huber_loss(a, torch.zeros(4), 1.0).sum().backward()
        nan_at_0 = a.grad is not None and bool(a.grad[1].isnan())
        _expect(a.grad is not None and torch.allclose(a.grad, torch.tensor([-1.0, 0.0, 0.25, 1.0])),
                f"the gradient must be the residual inside δ and ±δ outside — that is what makes Huber robust to "
                f"outliers; got {None if a.grad is None else a.grad.tolist()} for residuals [-100, 0, 0.25, 100]."
                + (" At a residual of 0 it is nan: |r| written as sqrt(r²) has no gradient at 0 (0/0), and a "
                   "division by |r| in either branch of torch.where gives nan there too (its gradient flows "
                   "through both branches); use r.abs(), and no division by it." if nan_at_0 else ""))

    return _run("huber_loss", [("one loss per element", shape), ("both pieces, two δ", pieces),
                               ("agrees with torch", agrees_with_torch), ("gradient bounded by δ", bounded_gradient)])
