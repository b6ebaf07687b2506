"""Self-checks for lessons 01–02: minibatch iteration, the squared loss, minibatch SGD."""
import torch

from ._runner import GRAD_HINTS, expect as _expect, run as _run, shape_of, takes_implementations


@takes_implementations(1)
def check_sgd(sgd):
    """Check sgd(params, lr, batch_size): the parameters themselves updated, mean gradient (divided by
    batch_size), grads zeroed."""
    def setup():
        w = torch.tensor([1.0, 2.0], requires_grad=True)
        (w * torch.tensor([4.0, 8.0])).sum().backward()  # grad = [4, 8], a sum over a batch of 4
        return w

    def divides_by_batch_size():
        w = setup()
        try:
            sgd([w], 0.5, 4)
        except AttributeError as e:
            _expect("zero_" not in str(e) or "NoneType" not in str(e),
                    f"your sgd raised {e!r}: after `param = param - ...` the name param is a new tensor without "
                    f".grad, and the model's parameter is unchanged. Hint: update in place inside "
                    f"torch.no_grad() (param -= lr * param.grad / batch_size).")
            raise
        got = w.detach().tolist()
        # the step taken as a multiple of the right one (-0.5, -1): the usual causes of a wrong w
        ratio = (w.detach() - torch.tensor([1.0, 2.0])) / torch.tensor([-0.5, -1.0])
        same = bool(torch.allclose(ratio, ratio[:1].expand(2), atol=1e-6))
        causes = {0.0: " w is unchanged: update in place inside torch.no_grad() (param -= ...); "
                       "param = param - ... only rebinds a local name and leaves the model unchanged.",
                  -1.0: " w moved up the gradient: subtract lr * grad / batch_size, don't add it.",
                  4.0: " Did you forget to divide by batch_size?",
                  0.25: " The step is a factor of batch_size too small: divided by batch_size twice?",
                  2.0: " The step is off by a factor of 2.", 0.5: " The step is off by a factor of 2."}
        cause = next((c for r, c in causes.items() if same and abs(float(ratio[0]) - r) < 1e-6), "")
        if cause == causes[0.0] and w.grad is not None and not w.grad.any():
            cause = (" w is unchanged and its gradient is zero: either the gradient was zeroed before the update "
                     "read it (update first, then param.grad.zero_()), or the new value never reached w: "
                     "param.sub(...) and param - ... make new tensors; update in place inside torch.no_grad() "
                     "(param -= lr * param.grad / batch_size, or param.sub_(...)).")
        _expect(torch.allclose(w.detach(), torch.tensor([0.5, 1.0])),
                f"with grad [4, 8], lr 0.5 and batch_size 4 the new w must be [1 - 0.5*4/4, 2 - 0.5*8/4] = "
                f"[0.5, 1.0], got {got}." + cause)

    def updates_the_parameters():
        w = setup()
        sgd([w], 0.5, 4)
        # the model holds w itself: w must keep being a parameter autograd tracks. Its storage may change
        # (param.data = param.data - ... works too), which is why the data pointer is not compared.
        _expect(w.is_leaf and w.requires_grad and w.detach().tolist() != [1.0, 2.0],
                f"after the step w must hold new values and still be a parameter autograd tracks (a leaf with "
                f"requires_grad=True), got values {w.detach().tolist()}, is_leaf={w.is_leaf}, "
                f"requires_grad={w.requires_grad}. Update it in place inside torch.no_grad() (param -= ...), "
                f"without detach_() or requires_grad_(False); param = param - ... only rebinds a local name "
                f"and leaves the model unchanged.")

    def zeroes_grad():
        w, b = setup(), torch.tensor([3.0], requires_grad=True)
        (2 * b).sum().backward()
        sgd([w, b], 0.5, 4)
        # None is as good as zero: the next backward() starts a new .grad (what zero_grad() does by default)
        left = {name: p.grad.tolist() for name, p in (("w", w), ("b", b)) if p.grad is not None and p.grad.any()}
        _expect(not left, f"after the step every parameter's gradient must be zero (backward() adds to .grad); "
                          f"with params [w, b], "
                          + " and ".join(f"{name}.grad is still {grad}" for name, grad in left.items()) + "."
                + (" Only the last parameter's was zeroed: is param.grad.zero_() inside the loop over params?"
                   if list(left) == ["w"] else "") + " Hint: param.grad.zero_() for each param, after its update.")

    return _run("sgd", [("divides by batch_size", divides_by_batch_size),
                        ("updates the model's own tensors", updates_the_parameters),
                        ("zeroes the gradients", zeroes_grad)], hints=GRAD_HINTS)


@takes_implementations(1)
def check_data_iter(data_iter):
    """Check data_iter(batch_size, features, labels): a generator of shuffled minibatches."""
    n = 23
    features = torch.arange(n, dtype=torch.float32).reshape(n, 1).repeat(1, 2)
    labels = features[:, :1] * 10

    original = features.clone(), labels.clone()

    def epoch(batch_size=5):
        batches = [(X, y) for X, y in data_iter(batch_size, features, labels)]
        _expect(torch.equal(features, original[0]) and torch.equal(labels, original[1]),
                "your data_iter changed features or labels in place (the caller's data were reordered or "
                "overwritten). Hint: shuffle a list of indices and index with it (features[j]); don't assign "
                "into features.")
        return batches

    def batch_sizes():
        sizes = [len(X) for X, _ in epoch()]
        _expect(sizes == [5, 5, 5, 5, 3],
                f"23 examples in batches of 5 must come as [5, 5, 5, 5, 3], got {sizes}. "
                + ("The short batch came before the end: were the batches cut before shuffling (fixed batches in "
                   "a random order, so the same examples always share a batch)? Hint: shuffle the examples' "
                   "indices, then cut the batches in order." if sorted(sizes) == [3, 5, 5, 5, 5] else
                   "Hint: the last batch keeps the remainder (min(i + batch_size, n))."
                   + (" One example is missing: a slice's end is exclusive, so min(i + batch_size, n), not n - 1."
                      if sum(sizes) == n - 1 else "")))

    def every_example_once():
        seen = sorted(int(v) for X, _ in epoch() for v in X[:, 0].tolist())
        _expect(seen == list(range(n)),
                "each epoch must visit every example exactly once; "
                f"{'some are missing' if len(set(seen)) < n else 'some come twice'}.")

    def pairs_kept():
        for X, y in epoch():
            _expect(y.shape == (len(X), 1) or y.numel() != len(X) or not torch.equal(y.reshape(-1), X[:, 0] * 10),
                    f"the labels of a batch came as shape {tuple(y.shape)}, not ({len(X)}, 1) as stored: index "
                    f"them as they are (labels[j]), without reshaping.")
            _expect(torch.equal(y, X[:, :1] * 10), "features and labels got separated: index both with the "
                                                   "same batch indices.")

    def shuffles():
        orders = [torch.cat([X[:, 0] for X, _ in epoch()]) for _ in range(3)]
        _expect(not torch.equal(orders[0], torch.arange(n, dtype=torch.float32))
                and not (torch.equal(orders[0], orders[1]) and torch.equal(orders[1], orders[2])),
                "the examples must come in a new random order every epoch (random.shuffle the indices "
                "inside the function, not once outside).")
        firsts = [set(epoch()[0][0][:, 0].tolist()) for _ in range(3)]
        _expect(not (firsts[0] == firsts[1] == firsts[2]),
                f"the first batch held the same examples {sorted(int(v) for v in firsts[0])} in 3 epochs: only the "
                f"order inside a batch changes, so the same examples always share a batch. Hint: shuffle all the "
                f"indices, then cut the batches.")

    return _run("data_iter", [("batch sizes", batch_sizes), ("every example once per epoch", every_example_once),
                              ("features stay with their labels", pairs_kept), ("reshuffles every epoch", shuffles)])



@takes_implementations(1, pure=True)
def check_squared_loss(squared_loss):
    """Check squared_loss(y_hat, y): y_hat (n, 1), y (n,) or (n, 1) -> (n, 1), elementwise (ŷ - y)² / 2."""
    y_hat = torch.tensor([[1.0], [2.0], [4.0]])
    # (n,): labels kept as a plain vector (the book's synthetic_data gives (n, 1); its squared_loss
    # reshapes y to y_hat's shape, so both work, and one that works only for (n, 1) fails here)
    y = torch.tensor([0.0, 2.0, 1.0])

    def shape():
        out = squared_loss(y_hat, y)
        _expect(isinstance(out, torch.Tensor) and out.shape == y_hat.shape,
                f"with y_hat of shape (3, 1) and y of shape (3,) expected one loss per example, shape (3, 1), "
                f"got {shape_of(out)}."
                + (" A single number means you averaged (or summed): return one loss per example and let the "
                   "caller take .mean() or .sum()." if shape_of(out) == () else "")
                + (" (3, 3) means y_hat - y broadcast a column against a row: every prediction was compared "
                   "with every label. Hint: y.reshape(y_hat.shape)." if shape_of(out) == (3, 3) else ""))

    def halved_square():
        out = squared_loss(y_hat, y).reshape(-1)
        want = torch.tensor([0.5, 0.0, 4.5])
        _expect(torch.allclose(out, want),
                f"expected (ŷ - y)² / 2 = {want.tolist()}, got {out.tolist()}."
                + (" You left out the 1/2 (it makes the gradient ŷ - y)." if torch.allclose(out, 2 * want) else
                   " That is |ŷ - y| / 2: square the residual." if torch.allclose(out, torch.tensor([0.5, 0.0, 1.5]))
                   else ""))

    def matches_mse():
        g = torch.Generator().manual_seed(0)
        a, b = torch.randn(16, 1, generator=g), torch.randn(16, 1, generator=g)
        mean = squared_loss(a, b).mean()
        ref = torch.nn.functional.mse_loss(a, b) / 2
        _expect(torch.allclose(mean, ref), f"the mean of your loss ({float(mean):.4f}) must equal "
                                           f"nn.MSELoss()(y_hat, y) / 2 = {float(ref):.4f}.")

    def differentiable():
        a = y_hat.clone().requires_grad_()
        squared_loss(a, y).sum().backward()
        _expect(a.grad is not None and torch.allclose(a.grad, y_hat - y.reshape(-1, 1)),
                f"the gradient with respect to y_hat must be ŷ - y = {(y_hat - y.reshape(-1, 1)).view(-1).tolist()}, "
                f"got {None if a.grad is None else a.grad.view(-1).tolist()}. Compute with torch operations "
                f"(no .item() or .detach()) so autograd can follow.")

    return _run("squared_loss", [("one loss per example", shape), ("(ŷ - y)² / 2", halved_square),
                                 ("mean = MSELoss / 2", matches_mse), ("gradient ŷ - y", differentiable)])
