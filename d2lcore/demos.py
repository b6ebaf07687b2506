"""Live knobs for the lessons: a slider teaches more than a static plot (`d2l.demos`).

`live_demo(draw, **controls)` shows ipywidgets controls and redraws `draw(fig=Figure, **values)`
whenever one moves. When nobody is watching (nbval, `jupyter execute`, `./course test`), it draws
the default state once, so the stored output is stable and nothing waits for input.

Every demo draws on the `Figure` it is handed, never through pyplot: JupyterLab 4.6 runs widget
callbacks on a kernel thread of their own, concurrently with the cells that Run All is still
executing, and pyplot's global "current figure" would be shared between the two (seen: a
matplotlib ValueError in place of the plot, and a stray copy of the figure).

The three demos of the course are plain functions of their knobs, so they are tested like any other
code: `linreg_demo` (lesson 01), `robust_fit_demo` (lesson 06), `softmax_overflow_demo` (lesson 07).
They use the lessons' own functions (the squared, L1 and Huber losses), so they live beside them,
not in `infra/`, which imports nothing from the lesson modules.
"""
import torch
from matplotlib import ticker
from matplotlib.figure import Figure

from .animator import DRAW_LOCK, figure_bundle
from .infra.session import in_notebook, interactive
from .linear_regression import squared_loss
from .losses import huber_loss, l1_loss


def live_demo(draw, **controls):
    """Interactive `draw(fig=..., **values)` driven by ipywidgets `controls`; drawn once when headless.

    `draw` gets a fresh matplotlib Figure to draw on at every change. Use controls whose values
    are exact (SelectionSlider, IntSlider, Dropdown): a FloatLogSlider snaps a value off its step
    grid (0.03 becomes 0.0316) in the browser. Returns None: the widgets, or the figure, are the
    cell's output.
    """
    from IPython.display import display

    def show(**values):
        with DRAW_LOCK:  # one d2lcore drawing at a time, whichever thread asks
            fig = Figure()
            draw(fig=fig, **values)
            bundle = figure_bundle(fig)
        if in_notebook():  # a script has nowhere to show it
            display(bundle, raw=True)

    if not interactive():
        show(**{name: w.value for name, w in controls.items()})
        return None
    import ipywidgets as widgets
    out = widgets.interactive_output(show, controls)
    box = widgets.VBox([widgets.HBox(list(controls.values())), out])
    # Where no widget manager loads (RISE without extensions/rise-widgets: jupyterlab-contrib/rise#119),
    # the front end shows the box's text form, and the figure drawn into `out` lands in the cell as
    # a plain output: say what the sliders need instead of "VBox(children=(HBox(...".
    bundle = box._repr_mimebundle_()
    bundle["text/plain"] = "live demo: its sliders need JupyterLab's notebook view (the default state is drawn)"
    display(bundle, raw=True)


def _fit_line(x, y, loss_fn, steps=400, lr=0.05):
    """Fit y ~ a x + b by full-batch Adam on the mean of loss_fn; returns (a, b) floats."""
    w = torch.zeros(2, requires_grad=True)
    opt = torch.optim.Adam([w], lr=lr)
    for _ in range(steps):
        opt.zero_grad()
        loss_fn(w[0] * x + w[1], y).mean().backward()
        opt.step()
    return w[0].item(), w[1].item()


def linreg_demo(lr=0.03, batch_size=10, noise=0.5, num_epochs=10, seed=0, fig=None):
    """Lesson 01 live: minibatch SGD on y = 2x + 4.2 + noise; loss curve and fitted line, drawn on
    `fig` (a new Figure if None).

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
    fig = Figure() if fig is None else fig
    fig.set_size_inches(7, 2.5)
    ax1, ax2 = fig.subplots(1, 2)
    ax1.plot(losses)
    ax1.set(xlabel="step", ylabel="mean loss", yscale="log", title=f"lr {lr:g}, batch {batch_size}")
    # plain tick labels: the default 10^k ones go through mathtext, whose parser is not thread-safe
    ax1.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    ax1.yaxis.set_minor_formatter(ticker.NullFormatter())
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


def robust_fit_demo(delta=1.0, outlier_y=30.0, seed=0, fig=None):
    """Lesson 06 live: lines fitted with L2, L1 and Huber(delta) to data with three outliers at
    outlier_y, drawn on `fig` (a new Figure if None). Returns {name: (slope, intercept)}."""
    g = torch.Generator().manual_seed(seed)
    x = torch.linspace(0, 10, 30)
    y = 2 * x + 1 + 0.5 * torch.randn(30, generator=g)
    y[[26, 27, 28]] = outlier_y
    fits = {"L2": _fit_line(x, y, squared_loss), "L1": _fit_line(x, y, l1_loss),
            f"Huber δ={delta:g}": _fit_line(x, y, lambda a, t: huber_loss(a, t, delta=delta))}
    fig = Figure() if fig is None else fig
    fig.set_size_inches(4.5, 3)
    ax = fig.subplots()
    ax.scatter(x.numpy(), y.numpy(), s=8, color="gray", label="data")
    for (name, (a, b)), fmt in zip(fits.items(), ["-", "m--", "g-."]):
        ax.plot(x.numpy(), (a * x + b).numpy(), fmt, label=f"{name}: slope {a:.2f}")
    ax.set(xlabel="x", ylabel="y")
    ax.legend(fontsize=8)
    return fits


def softmax_overflow_demo(scale=100.0, dtype="float32", fig=None):
    """Lesson 07 live: naive vs max-shifted softmax of scale * [1, 0.5, -1] in the given dtype,
    drawn on `fig` (a new Figure if None). Returns both probability vectors (float32 (3,))."""
    dtypes = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}
    if dtype not in dtypes:
        raise ValueError(f"dtype must be one of {', '.join(map(repr, dtypes))}, got {dtype!r}")
    dt = dtypes[dtype]
    logits = (scale * torch.tensor([1.0, 0.5, -1.0])).to(dt)
    e = torch.exp(logits)
    naive = (e / e.sum()).float()
    e = torch.exp(logits - logits.max())
    stable = (e / e.sum()).float()
    fig = Figure() if fig is None else fig
    fig.set_size_inches(4.5, 2.5)
    ax = fig.subplots()
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
