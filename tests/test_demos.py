import io
import math
import pathlib
import threading
import types
import warnings

import ipywidgets as widgets
import matplotlib.pyplot as plt
import pytest
import torch

from matplotlib.figure import Figure
try:  # the open widgets by model id: ipywidgets 8.1 and later
    from ipywidgets.widgets.widget import _instances as widget_instances
except ImportError:  # 8.0, the oldest pyproject.toml allows
    from ipywidgets import Widget

    widget_instances = Widget._active_widgets

import d2lcore as d2l

ROOT = pathlib.Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_linreg_demo_fits_the_line_and_a_tiny_learning_rate_does_not():
    (a, b), losses = d2l.demos.linreg_demo()
    assert abs(a - 2) < 0.2 and abs(b - 4.2) < 0.2
    assert losses[-1] < losses[0] / 10
    (a_slow, b_slow), _ = d2l.demos.linreg_demo(lr=0.001)
    assert abs(b_slow - 4.2) > 1  # 200 steps of lr 0.001 barely move


def test_linreg_demo_loss_floor_grows_with_the_noise():
    _, quiet = d2l.demos.linreg_demo(noise=0.1)
    _, loud = d2l.demos.linreg_demo(noise=1.0)
    assert loud[-1] > 10 * quiet[-1]


def test_robust_fit_demo_l1_and_huber_resist_outliers_and_l2_does_not():
    fits = d2l.demos.robust_fit_demo(delta=1.0, outlier_y=-40.0)
    assert abs(fits["L1"][0] - 2) < 0.3 and abs(fits["Huber δ=1"][0] - 2) < 0.3
    assert abs(fits["L2"][0] - 2) > 1
    calm = d2l.demos.robust_fit_demo(outlier_y=2 * 9.3 + 1)  # outliers placed on the line: no disagreement
    assert max(abs(a - 2) for a, _ in calm.values()) < 0.3


def test_softmax_overflow_demo_naive_breaks_where_the_dtype_overflows():
    naive, stable = d2l.demos.softmax_overflow_demo(scale=100.0, dtype="float32")
    assert math.isnan(naive[0]) and torch.isfinite(stable).all()
    naive16, _ = d2l.demos.softmax_overflow_demo(scale=20.0, dtype="float16")  # exp(20) > 65504
    naive32, _ = d2l.demos.softmax_overflow_demo(scale=20.0, dtype="float32")
    assert torch.isnan(naive16).any() and torch.isfinite(naive32).all()
    small, stable_small = d2l.demos.softmax_overflow_demo(scale=1.0)
    torch.testing.assert_close(small, stable_small)


def test_live_demo_headless_draws_the_default_state_once(monkeypatch):
    monkeypatch.setattr("d2lcore.demos.interactive", lambda: False)
    calls = []
    result = d2l.demos.live_demo(lambda scale, dtype, fig: calls.append((scale, dtype)),
                           scale=widgets.FloatSlider(value=3.0), dtype=widgets.Dropdown(options=["a", "b"], value="b"))
    assert result is None and calls == [(3.0, "b")]


def test_live_demo_interactive_shows_the_controls_and_redraws_on_change(monkeypatch):
    monkeypatch.setattr("d2lcore.demos.interactive", lambda: True)
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj, raw=False: shown.append(obj))
    calls = []
    slider = widgets.FloatSlider(value=1.0)
    d2l.demos.live_demo(lambda scale, fig: (calls.append(scale), fig.subplots().plot([0, scale])), scale=slider)
    assert len(shown) == 1
    box = widget_instances[shown[0]["application/vnd.jupyter.widget-view+json"]["model_id"]]
    assert isinstance(box, widgets.VBox) and slider in box.children[0].children
    # where no widget manager loads (RISE), the text form says what the sliders need
    assert "VBox" not in shown[0]["text/plain"] and "notebook view" in shown[0]["text/plain"]
    assert calls == [1.0]  # the default state, drawn once
    slider.value = 2.0  # moving the knob redraws with the new value
    assert calls[-1] == 2.0


DEMOS = [d2l.demos.linreg_demo, d2l.demos.robust_fit_demo, d2l.demos.softmax_overflow_demo]


@pytest.mark.parametrize("demo", DEMOS)
def test_demos_draw_without_warnings_and_without_pyplot(demo, monkeypatch):
    def no_pyplot(*args, **kwargs):
        raise AssertionError("a demo used pyplot's global state")

    for name in ("figure", "gcf", "gca", "subplots", "plot", "scatter", "legend", "xlabel"):
        monkeypatch.setattr(plt, name, no_pyplot)
    fig = Figure()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a warning would land in a lesson's output
        demo(fig=fig)
    assert fig.axes and plt.get_fignums() == []


def test_redraws_on_a_callback_thread_while_the_main_thread_draws_too(monkeypatch):
    # JupyterLab 4.6 runs widget callbacks on a subshell thread while Run All goes on; matplotlib's
    # mathtext parser is not thread-safe, and pyplot's current figure is shared by all threads
    monkeypatch.setattr("d2lcore.demos.interactive", lambda: True)
    monkeypatch.setattr("IPython.display.display", lambda *a, **k: None)
    # an Output widget shows a redraw's error in the notebook and swallows it when an IPython shell
    # exists (another test may have made one in this process): here the error must reach the thread
    monkeypatch.setattr("ipywidgets.widgets.widget_output.get_ipython", lambda: None)
    sliders = {"lr": widgets.SelectionSlider(options=[0.01, 0.03, 0.1, 0.3], value=0.03),
               "num_epochs": widgets.IntSlider(value=2)}
    d2l.demos.live_demo(d2l.demos.linreg_demo, **sliders)
    errors = []

    def callbacks():
        try:
            for lr in (0.01, 0.1, 0.3, 0.03) * 3:
                sliders["lr"].value = lr  # the redraw runs on this thread, as on a subshell
        except Exception as e:  # noqa: BLE001 - any error is the failure
            errors.append(e)

    threads = [threading.Thread(target=callbacks) for _ in range(2)]  # two sliders dragged at once
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):  # what later cells do meanwhile: pyplot, mathtext labels
        plt.figure(figsize=(2, 2))
        plt.semilogy([1, 10, 100])
        plt.title(r"$\hat{y} = \mathbf{x}^\top \mathbf{w}$")
        plt.savefig(io.BytesIO(), format="png")
        plt.close("all")
    for t in threads:
        t.join()
    assert errors == []


def _lesson_demo_controls():
    """The controls of every live_demo call in the lessons, built as the lesson builds them."""
    import json
    found = []
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            src = "".join(cell["source"])
            if cell["cell_type"] == "code" and "live_demo(" in src:
                captured = {}
                fake = types.SimpleNamespace(demos=types.SimpleNamespace(
                    live_demo=lambda draw, **controls: captured.update(controls),
                    linreg_demo=None, robust_fit_demo=None, softmax_overflow_demo=None))
                exec(src, {"d2l": fake})
                found += [(path.name, name, w) for name, w in captured.items()]
    return found


def test_every_lesson_demo_control_shows_exactly_the_value_the_lesson_sets():
    controls = _lesson_demo_controls()
    assert {lesson for lesson, _, _ in controls} == {"01_linear_regression_scratch.ipynb", "06_loss_functions.ipynb",
                                                     "07_softmax_numerics.ipynb"}
    for lesson, name, w in controls:
        # the browser snaps float sliders to their step grid (0.03 -> 0.0316): only exact controls
        assert isinstance(w, (widgets.SelectionSlider, widgets.IntSlider, widgets.Dropdown)), (lesson, name, w)
        if isinstance(w, widgets.SelectionSlider):
            assert float(w.label) == w.value, (lesson, name, w.label)  # the label shows the value itself


def test_in_a_real_kernel_with_a_person_watching_the_demo_is_a_widget(tmp_path, monkeypatch):
    import nbformat
    from nbclient import NotebookClient
    monkeypatch.delenv("D2L_HEADLESS", raising=False)  # the kernel inherits this environment
    code = ("import ipywidgets as widgets, d2lcore as d2l\n"
            "d2l.demos.live_demo(d2l.demos.softmax_overflow_demo, scale=widgets.FloatLogSlider(value=100.0, base=10, min=0, max=3),\n"
            "              dtype=widgets.Dropdown(options=['float32', 'float16'], value='float16'))\n")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = nb.cells[0].outputs
    assert not [o for o in outputs if o.output_type == "error"]
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)
