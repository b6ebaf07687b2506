"""Self-check for lesson 15: affine uint8 quantization written by hand."""
import math

import torch

from ._runner import expect as _expect, run as _run, takes_implementations


@takes_implementations(3, pure=True)
def check_quantize(qparams, quantize, dequantize):
    """Check qparams(x) -> (scale, zero_point), quantize(x, scale, zero_point) -> uint8 and
    dequantize(q, scale, zero_point) -> float32, for the affine scheme x ≈ scale * (q - zero_point)."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(1000, generator=g) * 2 + 1

    def round_trip():
        for t in (x, torch.linspace(-1.0, 3.0, 101)):  # the second: -min / scale = 63.75, which rounds up
            round_trip_of(t)

    def round_trip_of(x):
        scale, zp = qparams(x)
        q = quantize(x, scale, zp)
        _expect(q.dtype == torch.uint8, f"quantize must return uint8 codes, got {q.dtype}.")
        back = dequantize(q, scale, zp)
        err = (back - x).abs().max().item()
        codes = q.to(torch.float32)
        lo, steps = min(x.min().item(), 0.0), -min(x.min().item(), 0.0) / float(scale)
        cause = (f" Your zero point {zp} is not an integer: the zero point must be an integer code "
                 f"(round(-min / scale)), so that 0.0 has an exact code."
                 if float(zp) != round(float(zp)) else
                 f" Your zero point {zp} is -min / scale = {steps:.2f} cut to an integer: round it "
                 f"(round(-min / scale)), or the smallest values fall below code 0."
                 if int(zp) == math.floor(steps) != round(steps) else
                 " dequantize computed q - zero_point in uint8, which wraps around below the zero point: convert "
                 "first, scale * (q.float() - zero_point)."
                 if torch.allclose(back, scale * ((codes - zp) % 256), atol=1e-4)
                 and not torch.allclose(back, scale * (codes - zp), atol=1e-4) else
                 " dequantize must be scale * (q - zero_point); yours gives something else (the zero_point left "
                 "out?)." if not torch.allclose(back, scale * (codes - zp), atol=1e-4) else
                 " 256 codes have 255 steps between them: scale = (max - min) / 255."
                 if abs(scale * 256 - (max(x.max().item(), 0) - min(x.min().item(), 0))) < 1e-4 else
                 " quantize truncated instead of rounding (.to(torch.uint8) cuts the fraction off): torch.round first."
                 if torch.equal(q, torch.clamp(torch.floor(x / scale) + zp, 0, 255).to(torch.uint8)) else "")
        _expect(err <= scale / 2 + 1e-6, f"for x in [{x.min().item():.3g}, {x.max().item():.3g}] the round-trip "
                                         f"error must be at most scale / 2 = {scale / 2:.5f} (rounding to the "
                                         f"nearest code), got {err:.5f}." + cause)

    def zero_exact():
        scale, zp = qparams(x)
        back = dequantize(quantize(torch.tensor([0.0]), scale, zp), scale, zp).item()
        _expect(back == 0.0, f"0.0 must be represented exactly (zero padding, ReLU outputs), got {back}. "
                             f"Hint: the zero point must be an integer code.")

    def one_signed():
        pos = torch.rand(100, generator=g) + 1.0  # all in [1, 2)
        scale, zp = qparams(pos)
        back = dequantize(quantize(torch.tensor([0.0]), scale, zp), scale, zp).item()
        _expect(back == 0.0 and scale > 0, f"for all-positive x the range must still include 0 (zero point 0), "
                                           f"got scale {scale}, zero point {zp}.")
        const = torch.zeros(10)
        scale, zp = qparams(const)
        out = dequantize(quantize(const, scale, zp), scale, zp)
        _expect(scale > 0 and torch.equal(out, const), f"an all-zero tensor must give a positive scale and come "
                                                       f"back as zeros, got scale {scale} (dividing by 0 gives nan).")

    def saturates():
        scale, zp = qparams(x)
        far = torch.tensor([x.min().item() - 100 * scale, x.max().item() + 100 * scale])
        q = quantize(far, scale, zp).tolist()
        _expect(q == [0, 255], f"values far outside the range must saturate to codes [0, 255], got {q}. "
                               f"Clamp before .to(torch.uint8): converting 256 to uint8 wraps around to 0.")

    return _run("quantize", [("round trip within scale / 2", round_trip), ("0.0 exact", zero_exact),
                             ("one-signed and constant tensors", one_signed), ("saturates outside the range", saturates)])
