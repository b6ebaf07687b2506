import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

import d2lcore as d2l


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def _lines(ax):
    return [(list(l.get_xdata()), list(l.get_ydata())) for l in ax.get_lines()]


def test_plot_one_series_of_y_values_uses_0_to_n_minus_1_as_x():
    d2l.plot(torch.tensor([1.0, 4.0, 9.0]))
    [(x, y)] = _lines(plt.gca())
    assert x == [0, 1, 2] and y == [1.0, 4.0, 9.0]


def test_plot_takes_a_list_of_curves_that_require_grad_with_or_without_x():
    x = torch.arange(3.0)
    w = torch.tensor(2.0, requires_grad=True)
    for args in (([w * x, x ** 2],), (x, [w * x, x ** 2])):  # y values only, then x and y
        d2l.plot(*args)
        assert [ys for _, ys in _lines(plt.gca())] == [[0.0, 2.0, 4.0], [0.0, 1.0, 4.0]]
        plt.close("all")


def test_plot_several_curves_with_labels_legend_and_size():
    x = torch.arange(0, 3, 1.0, requires_grad=True)  # grad-requiring tensors are fine
    d2l.plot(x, [x ** 2, 2 * x], xlabel="x", ylabel="f(x)", legend=["x^2", "2x"],
             figsize=(5, 3))
    ax = plt.gca()
    assert len(ax.get_lines()) == 2
    assert ax.get_xlabel() == "x" and ax.get_ylabel() == "f(x)"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["x^2", "2x"]
    assert tuple(ax.figure.get_size_inches()) == (5, 3)
    assert _lines(ax)[1][1] == [0.0, 2.0, 4.0]


def test_plot_draws_into_given_axes_and_returns_none():
    fig, ax = plt.subplots()
    assert d2l.plot([0, 1], [[0, 1]], axes=ax, xscale="log", ylim=(0, 2)) is None
    assert ax.get_xscale() == "log" and ax.get_ylim() == (0, 2)
    assert plt.gcf() is fig


def test_plot_accepts_numpy_arrays_and_lists():
    d2l.plot(np.arange(3), [np.ones(3), [2, 2, 2]])
    assert [y for _, y in _lines(plt.gca())] == [[1, 1, 1], [2, 2, 2]]


def test_set_figsize_changes_the_default():
    old = plt.rcParams["figure.figsize"]
    try:
        d2l.plotting.set_figsize((4, 2))
        assert list(plt.figure().get_size_inches()) == [4, 2]
    finally:
        plt.rcParams["figure.figsize"] = old


def test_show_images_grid_with_titles():
    imgs = torch.rand(6, 1, 28, 28)
    axes = d2l.show_images(imgs, 2, 3, titles=list("abcdef"), scale=1.0)
    assert len(axes) == 6 and [ax.get_title() for ax in axes] == list("abcdef")
    assert tuple(axes[0].figure.get_size_inches()) == (3, 2)
    assert axes[0].get_images()[0].get_array().shape == (28, 28)


def test_plot_histories_draws_one_curve_per_run():
    hs = {"sgd": {"epoch": [1, 2, 3], "test_acc": [0.5, 0.6, 0.7]},
          "adam": {"epoch": [1, 2, 3], "test_acc": [0.6, 0.7, 0.8]}}
    d2l.plot_histories(hs)
    ax = plt.gca()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["sgd", "adam"]
    assert [list(l.get_ydata()) for l in ax.get_lines()] == [[0.5, 0.6, 0.7], [0.6, 0.7, 0.8]]
    assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == "test acc"


