import nbformat
import pytest
from nbclient import NotebookClient

import d2lcore as d2l


def test_animator_records_points_per_curve():
    an = d2l.Animator(xlabel="epoch", legend=["loss", "acc"], xlim=[1, 3])
    an.add(1, [0.9, 0.5])
    an.add(2, [0.5, None])  # None: skip this curve at this x
    an.add(3, [0.3, 0.8])
    assert an.X == [[1, 2, 3], [1, 3]]
    assert an.Y == [[0.9, 0.5, 0.3], [0.5, 0.8]]
    ax = an.axes[0]
    assert len(ax.get_lines()) == 2 and ax.get_xlabel() == "epoch" and ax.get_xlim() == (1, 3)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["loss", "acc"]


def test_animator_accepts_tensors_of_any_rank():
    import torch
    an = d2l.Animator()
    an.add(torch.tensor(1), torch.tensor(0.5))  # 0-d tensors, as .mean() returns
    an.add(2, torch.tensor([0.25]))
    an.add([3], [torch.tensor(0.125)])
    assert an.X == [[1.0, 2.0, 3.0]] and an.Y == [[0.5, 0.25, 0.125]]


def test_animator_prints_nothing_outside_a_notebook(capsys):
    an = d2l.Animator()
    an.add(0, 1.0)
    assert capsys.readouterr().out == ""


def test_animator_rejects_a_changing_number_of_curves():
    an = d2l.Animator()
    an.add(0, [1.0, 2.0])
    with pytest.raises(ValueError, match="got 3 y values, but the curves started with 2"):
        an.add(1, [1.0, 2.0, 3.0])


def _run_notebook(code, tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    NotebookClient(nb, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    return nb.cells[0].outputs



def test_animator_executed_headless_stores_one_final_figure(tmp_path):
    outputs = _run_notebook(
        "import d2lcore as d2l\n"
        "an = d2l.Animator(legend=['a'])\n"
        "for i in range(5):\n"
        "    an.add(i, i * i)\n", tmp_path)
    # one output, a figure, not five and no clear_output pile-up
    assert len(outputs) == 1, outputs
    assert outputs[0].output_type == "display_data"
    assert outputs[0].data["text/plain"] == "<Figure size 350x250 with 1 Axes>"
    assert "image/png" in outputs[0].data


def test_animator_headless_figure_is_the_final_state(tmp_path):
    # Draw the same final figure directly and compare the PNG bytes with what was stored:
    # nbclient must have applied the in-place updates, leaving the last frame.
    outputs = _run_notebook(
        "import base64, io, d2lcore as d2l\n"
        "an = d2l.Animator(legend=['a'])\n"
        "for i in range(4):\n"
        "    an.add(i, i * i)\n"
        "ref = d2l.Animator(legend=['a'])\n"
        "ref.X, ref.Y = [[0, 1, 2, 3]], [[0, 1, 4, 9]]\n"
        "ref._redraw()\n"
        "buf = io.BytesIO(); ref.fig.savefig(buf, format='png', bbox_inches='tight')\n"
        "print(base64.b64encode(buf.getvalue()).decode())\n", tmp_path)
    figures = [o for o in outputs if o.output_type == "display_data"]
    printed = "".join(o.text for o in outputs if o.output_type == "stream" and o.name == "stdout")
    assert len(figures) == 1
    assert figures[0].data["image/png"].strip() == printed.strip()
