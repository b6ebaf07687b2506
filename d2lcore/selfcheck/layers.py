"""Self-checks for lessons 12 and 14: dropout and batch normalization written by hand."""
import torch

from ._runner import expect as _expect, rounded, run as _run, shape_of, takes_implementations


@takes_implementations(1, pure=True)
def check_dropout(dropout):
    """Check dropout(X, p): zero each entry with probability p, scale survivors by 1/(1-p)."""
    X = torch.ones(200, 500)

    def shape_and_dtype():
        for x in (X, X.half(), X.double()):
            out = dropout(x, 0.5)
            promoted = isinstance(out, torch.Tensor) and out.dtype == torch.float32 and x.dtype != torch.float32
            _expect(isinstance(out, torch.Tensor) and out.shape == x.shape and out.dtype == x.dtype,
                    f"for X of shape {tuple(x.shape)} and dtype {x.dtype} expected the same shape and dtype, got "
                    f"{shape_of(out)}{'' if not isinstance(out, torch.Tensor) else ', ' + str(out.dtype)}. "
                    + (f"A mask made with .float() (as the book's dropout_layer does) is float32, and float32 * "
                       f"{x.dtype} is float32: right for float32 X, the book's case, but a half-precision model "
                       f"gets float32 activations back (twice the memory, and the next {x.dtype} layer fails "
                       f"with a dtype mismatch). " if promoted else "")
                    + "Hint: make the mask with torch.rand_like(X) so it takes X's dtype and device.")

    def rate_and_scale():
        for p in (0.2, 0.7):
            out = dropout(X, p)
            on = out != 0
            # one random number per row or per column would pass the rate on average: say so first
            mixed = 0 < on.float().mean().item() < 1  # all kept or all dropped: the rate below says so
            shared = None if not mixed else "row" if bool((on == on[:1]).all()) else \
                "column" if bool((on == on[:, :1]).all()) else None
            _expect(shared is None, f"every {shared} of X got the same mask: one random number per "
                                    f"{'feature' if shared == 'row' else 'example'}, not per entry. Hint: "
                                    f"torch.rand_like(X), of X's full shape.")
            dropped = (out == 0).float().mean().item()
            kept = out[out != 0]
            _expect(abs(dropped - p) < 0.01, f"with p = {p} about {p:.0%} of the entries must be zeroed, "
                                             f"{dropped:.1%} were. Zero an entry when its random number is < p."
                    + (" Is the mask applied to X (X * mask), and drawn per entry, not one number for all of X?"
                       if dropped in (0.0, 1.0) else "")
                    + (" You zeroed with probability 1 - p: p is the probability of dropping, so keep an entry "
                       "when its random number is > p." if abs(dropped - (1 - p)) < 0.01 else ""))
            scales = {1.0: " They were not rescaled at all.", 1 / p: " You scaled by 1/p: p is the dropped share; "
                      "the kept share is 1 - p.", 1 - p: " You multiplied by (1 - p): divide by it."}
            cause = next((c for s, c in scales.items() if len(kept) and torch.allclose(kept, torch.full_like(kept, s))),
                         "")
            _expect(torch.allclose(kept, torch.full_like(kept, 1 / (1 - p))),
                    f"with p = {p} the entries kept must be scaled by 1/(1-p) = {1 / (1 - p):.4f} so that the "
                    f"expectation is unchanged; got values like {kept[:3].tolist()}." + cause)
        # X of ones cannot tell X * mask / (1-p) from the mask alone, nor a mask drawn from X's values
        V = torch.rand(200, 500) + 1  # values in [1, 2): none is 0
        out = dropout(V, 0.5)
        on = out != 0
        dropped = 1 - on.float().mean().item()
        _expect(abs(dropped - 0.5) < 0.01, f"with X not all ones (values in [1, 2)) and p = 0.5, {dropped:.1%} of "
                                           f"the entries were zeroed, not about 50%: the mask must not depend on "
                                           f"X's values. Hint: (torch.rand_like(X) > p), not a comparison involving X.")
        _expect(torch.allclose(out[on], V[on] / 0.5),
                f"with X not all ones, each kept entry must be that entry of X scaled by 1/(1-p); with p = 0.5 "
                f"X's {rounded(V[on][:3])} came out as {rounded(out[on][:3])}."
                + (" You returned the mask / (1 - p) itself: multiply X by it." if torch.allclose(out[on], torch.full_like(
                    out[on], 2.0)) else "") + " Hint: return X * mask / (1 - p).")

    def edge_probabilities():
        _expect(torch.equal(dropout(X, 0.0), X), "p = 0 must return X unchanged.")
        out = dropout(X, 1.0)
        _expect(torch.equal(out, torch.zeros_like(X)),
                f"p = 1 must return all zeros, got {'nan' if out.isnan().any() else 'non-zero'} entries "
                f"(1/(1-p) divides by zero: handle p = 1 on its own).")

    def new_mask_each_call():
        _expect(not torch.equal(dropout(X, 0.5), dropout(X, 0.5)),
                "two calls gave the same mask; draw a new random mask every call.")

    def same_device():
        meta = torch.empty(3, 4, device="meta")  # a device with no data: shows where the mask was made
        out = dropout(meta, 0.5)
        _expect(out.device == meta.device, f"X on {meta.device} gave an output on {out.device}. Hint: make the mask "
                                           f"with torch.rand_like(X) (or device=X.device), not torch.rand(X.shape).")

    return _run("dropout", [("shape and dtype kept", shape_and_dtype), ("drops p, scales by 1/(1-p)", rate_and_scale),
                            ("p = 0 and p = 1", edge_probabilities), ("a new mask every call", new_mask_each_call),
                            ("mask on X's device", same_device)])


@takes_implementations(1)
def check_batch_norm(batch_norm_cls):
    """Check a BatchNorm module class, built as batch_norm_cls(num_features), on (n, num_features) inputs,
    against nn.BatchNorm1d: training and evaluation outputs, running statistics, parameters vs buffers."""
    g = torch.Generator().manual_seed(0)
    batches = [torch.randn(8, 3, generator=g) * 4 + 2 for _ in range(4)]

    def parameters_and_buffers():
        bn = batch_norm_cls(3)
        # nn.Parameter(..., requires_grad=False) is counted by parameters() but never trained: a class that
        # swaps γ, β and the running statistics would still have 6 parameter numbers
        frozen = [n for n, p in bn.named_parameters() if not p.requires_grad]
        _expect(not frozen, f"{frozen} are parameters that do not train. Running statistics are not trained: "
                            "register_buffer them; γ and β are nn.Parameter, so that the optimizer updates them.")
        n_params = sum(p.numel() for p in bn.parameters())
        _expect(n_params == 6, f"γ and β are the only learnable parameters (3 + 3 = 6 numbers), got {n_params}. "
                               "Hint: γ and β are nn.Parameter; running statistics are not trained: register_buffer them.")
        names = {n for n, _ in bn.named_buffers()}
        _expect(sum("running" in k or "moving" in k for k in names) >= 2,
                f"the running mean and variance must be buffers (saved with the model, not trained), got buffers "
                f"{sorted(names)}. Hint: self.register_buffer('running_mean', torch.zeros(num_features)).")

    def unchanged(X, copy):
        _expect(torch.equal(X, copy), "your forward changed its input X in place (X -= mean): the caller's "
                                      "activations are overwritten. Hint: X_hat = (X - mean) / torch.sqrt(var + eps).")

    def training_normalizes():
        X = batches[0].clone()
        out = batch_norm_cls(3).train()(batches[0])
        unchanged(batches[0], X)
        n = len(X)
        _expect(torch.allclose(out.mean(0), torch.zeros(3), atol=1e-5)
                and torch.allclose(out.var(0, unbiased=False), torch.ones(3), atol=1e-3),
                f"in training mode each feature must come out with mean 0 and variance 1 over the batch, got means "
                f"{rounded(out.mean(0), 3)}, variances "
                f"{rounded(out.var(0, unbiased=False), 3)}. Normalise over dim 0 (the batch)."
                + (f" Variances of (n - 1) / n = {(n - 1) / n:g}: normalise with the biased variance "
                   f"(unbiased=False, divide by n); n / (n - 1) belongs in the running variance only."
                   if torch.allclose(out.var(0, unbiased=False), torch.full((3,), (n - 1) / n), atol=1e-3) else
                   " Every example came out the same: γ starts as ones and β as zeros (γ = 0 multiplies "
                   "everything away)." if torch.allclose(out.var(0, unbiased=False), torch.zeros(3)) else ""))

    def matches_torch():
        ours, ref = batch_norm_cls(3).train(), torch.nn.BatchNorm1d(3).train()
        for i, X in enumerate(batches, start=1):
            # inside a network X is the previous layer's output: it requires grad
            _expect(torch.allclose(ours(X.clone().requires_grad_()), ref(X), atol=1e-5),
                    f"training-mode output differs from nn.BatchNorm1d's on batch {i}.")
        tracked = [name for name, b in ours.named_buffers() if b.requires_grad]
        _expect(not tracked, f"after training, the buffers {tracked} carry autograd history (requires_grad=True): "
                             f"each step's statistics stay linked to every earlier batch's graph. Hint: update the "
                             f"running statistics inside torch.no_grad(), in place (running_mean.mul_(...).add_(...)).")
        ours.eval(), ref.eval()
        before = [b.clone() for b in ours.buffers()]
        X = torch.randn(5, 3, generator=g)
        with torch.no_grad():
            quiet = ours(X)  # first: a layer that trains when grad is enabled would update its statistics
        # changed under no_grad too: updated in every mode (changed only with grad on: the cause below says so)
        _expect(all(torch.equal(a, b) for a, b in zip(before, ours.buffers())),
                "in evaluation mode your layer changed its running statistics: update them only when self.training "
                "(after .train()), never after .eval().")
        got, want = ours(X), ref(X)
        batch_normed = (X - X.mean(0)) / torch.sqrt(X.var(0, unbiased=False) + 1e-5)
        cause = ("" if torch.allclose(got, want, atol=1e-4) else
                 " In evaluation mode your output depends on torch.is_grad_enabled() (as the book's batch_norm "
                 "does): choose the mode by self.training, which .train() and .eval() set."
                 if not torch.allclose(quiet, got, atol=1e-5) else
                 " In evaluation mode you normalised with this batch's statistics: use the running statistics, "
                 "not the batch's, when not self.training." if torch.allclose(got, batch_normed, atol=1e-4) else
                 " The running statistics were never updated (still 0 and 1): update them in training mode."
                 if torch.allclose(got, X / (1 + 1e-5) ** 0.5, atol=1e-5) else "")
        _expect(torch.allclose(got, want, atol=1e-4),
                "after 4 training batches the evaluation-mode output differs from nn.BatchNorm1d's: the running "
                "statistics must be updated as (1 - momentum) * running + momentum * batch_stat, with momentum 0.1 "
                "and the unbiased variance (n / (n - 1))." + cause)

    def eval_uses_running_stats():
        bn = batch_norm_cls(3)
        for X in batches:
            bn.train()(X)
        bn.eval()
        X = torch.randn(6, 3, generator=g)
        with torch.no_grad():
            whole, first = bn(X), bn(X[:1])
        _expect(torch.allclose(whole[:1], first, atol=1e-6),
                "in evaluation mode a single example must get the same output alone as inside a batch: use the "
                "running statistics, not the batch's, when not self.training.")

    return _run(batch_norm_cls.__name__, [("γ, β parameters, running statistics buffers", parameters_and_buffers),
                                          ("training output normalised per feature", training_normalizes),
                                          ("agrees with nn.BatchNorm1d (train and eval)", matches_torch),
                                          ("evaluation uses running statistics", eval_uses_running_stats)])
