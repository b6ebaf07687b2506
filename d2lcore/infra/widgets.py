"""Live knobs for the lessons: a slider teaches more than a static plot.

`live_demo(draw, **controls)` shows ipywidgets controls and redraws `draw(**values)` whenever one
moves. When nobody is watching (nbval, `jupyter execute`, `./course test`), it draws the default
state once, as a plain figure, so the stored output is stable and nothing waits for input.

The three demos of the course are plain functions of their knobs, so they are tested like any other
code: `linreg_demo` (lesson 01), `robust_fit_demo` (lesson 06), `softmax_overflow_demo` (lesson 07).
"""
import matplotlib.pyplot as plt
import torch

from ..linear_regression import squared_loss
from ..losses import huber_loss, l1_loss
from .session import interactive


def live_demo(draw, **controls):
    """Interactive `draw(**values)` driven by ipywidgets `controls`; a static draw when headless.

    Returns None either way: the widgets, or the figure, are the cell's output.
    """
    if not interactive():
        draw(**{name: w.value for name, w in controls.items()})
        plt.show()
        return None
    import ipywidgets as widgets
    from IPython.display import display

    def redraw(**values):
        draw(**values)
        plt.show()

    out = widgets.interactive_output(redraw, controls)
    box = widgets.VBox([widgets.HBox(list(controls.values())), out])
    display(box)


def _fit_line(x, y, loss_fn, steps=400, lr=0.05):
    """Fit y ~ a x + b by full-batch Adam on the mean of loss_fn; returns (a, b) floats."""
    w = torch.zeros(2, requires_grad=True)
    opt = torch.optim.Adam([w], lr=lr)
    for _ in range(steps):
        opt.zero_grad()
        loss_fn(w[0] * x + w[1], y).mean().backward()
        opt.step()
    return w[0].item(), w[1].item()


def linreg_demo(lr=0.03, batch_size=10, noise=0.5, num_epochs=10, seed=0):
    """Lesson 01 live: minibatch SGD on y = 2x + 4.2 + noise; loss curve and fitted line.

    Returns the fitted (slope, intercept) and the loss history (mean loss after every step).
    """
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(200, generator=g) * 4 - 2
    y = 2 * x + 4.2 + noise * torch.randn(200, generator=g)
    w, b = torch.zeros(1, requires_grad=True), torch.zeros(1, requires_grad=True)
    losses = []
    for _ in range(num_epochs):
        order = torch.randperm(200, generator=g)
        for i in range(0, 200, batch_size):
            idx = order[i:i + batch_size]
            squared_loss(w * x[idx] + b, y[idx]).sum().backward()
            with torch.no_grad():
                for p in (w, b):
                    p -= lr * p.grad / len(idx)
                    p.grad.zero_()
                losses.append(squared_loss(w * x + b, y).mean().item())
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(7, 2.5))
    ax1.plot(losses)
    ax1.set(xlabel="step", ylabel="mean loss", yscale="log", title=f"lr {lr:g}, batch {batch_size}")
    ax1.grid(True)
    # matplotlib gets NumPy arrays: handing it tensors makes NumPy 2 warn
    ax2.scatter(x.numpy(), y.numpy(), s=4, color="gray")
    grid = [-2.0, 2.0]
    ax2.plot(grid, [2 * g + 4.2 for g in grid], "g--", label="true")
    ax2.plot(grid, [w.item() * g + b.item() for g in grid], "m-", label="fitted")
    ax2.set(xlabel="x", ylabel="y", title=f"noise {noise:g}")
    ax2.legend()
    fig.tight_layout()
    return (w.item(), b.item()), losses


def robust_fit_demo(delta=1.0, outlier_y=30.0, seed=0):
    """Lesson 06 live: lines fitted with L2, L1 and Huber(delta) to data with three outliers at outlier_y."""
    g = torch.Generator().manual_seed(seed)
    x = torch.linspace(0, 10, 30)
    y = 2 * x + 1 + 0.5 * torch.randn(30, generator=g)
    y[[26, 27, 28]] = outlier_y
    fits = {"L2": _fit_line(x, y, squared_loss), "L1": _fit_line(x, y, l1_loss),
            f"Huber δ={delta:g}": _fit_line(x, y, lambda a, t: huber_loss(a, t, delta=delta))}
    plt.figure(figsize=(4.5, 3))
    plt.scatter(x.numpy(), y.numpy(), s=8, color="gray", label="data")
    for (name, (a, b)), fmt in zip(fits.items(), ["-", "m--", "g-."]):
        plt.plot(x.numpy(), (a * x + b).numpy(), fmt, label=f"{name}: slope {a:.2f}")
    plt.xlabel("x")
    plt.ylabel("y")
    plt.legend(fontsize=8)
    return fits


def softmax_overflow_demo(scale=100.0, dtype="float32"):
    """Lesson 07 live: naive vs max-shifted softmax of scale * [1, 0.5, -1] in the given dtype."""
    dtypes = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}
    if dtype not in dtypes:
        raise ValueError(f"dtype must be one of {', '.join(map(repr, dtypes))}, got {dtype!r}")
    dt = dtypes[dtype]
    logits = (scale * torch.tensor([1.0, 0.5, -1.0])).to(dt)
    e = torch.exp(logits)
    naive = (e / e.sum()).float()
    e = torch.exp(logits - logits.max())
    stable = (e / e.sum()).float()
    fig, ax = plt.subplots(figsize=(4.5, 2.5))
    pos = torch.arange(3).numpy()
    ax.bar(pos - 0.2, torch.nan_to_num(naive, nan=0.0).numpy(), 0.4, label="naive", color="tab:red")
    ax.bar(pos + 0.2, stable.numpy(), 0.4, label="max-shifted", color="tab:green")
    for i, v in enumerate(naive.tolist()):
        if v != v:  # nan
            ax.text(i - 0.2, 0.05, "nan", ha="center", color="tab:red")
    ax.set(xticks=list(pos), xticklabels=["o₁", "o₂", "o₃"], ylim=(0, 1.1), ylabel="probability",
           title=f"logits = {scale:g} × [1, 0.5, -1] in {dtype}")
    ax.legend()
    return naive, stable
