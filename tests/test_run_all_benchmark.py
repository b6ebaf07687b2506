"""benchmarks/run_all.py measures a notebook's kernel, not the process that drives it."""
import pathlib
import subprocess
import sys

import nbformat

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_run_all_reports_the_kernels_cpu_time_and_peak_memory(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[
        # busy for PROBE_S seconds of CPU: 1 unless --against sets it, so the second run visibly differs
        nbformat.v4.new_code_cell("import os, time\nt = time.process_time()\n"
                                  "while time.process_time() - t < float(os.environ.get('PROBE_S', '1')):\n    pass"),
        nbformat.v4.new_code_cell("block = b'1' * (400 * 2**20)  # 400 MiB, written"),
    ])
    path = tmp_path / "probe.ipynb"
    nbformat.write(nb, path)
    before = path.read_bytes()
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run_all.py"), str(path), "--busy", "1",
                          "--against", "PROBE_S=2"],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    row = next(line for line in out.splitlines() if line.startswith("| probe |"))
    wall, cpu, hwm, pss, other, ratio = row.strip("| \n").split(" | ")[1:]
    wall, cpu, hwm, pss, other = (float(v) for v in (wall, cpu, hwm, pss, other))
    assert cpu >= 1.0 and wall >= 1.0  # the kernel's busy second, not the driver's
    assert hwm >= 0.4 and pss >= 0.4  # GB: the 400 MiB block is the kernel's, and its alone
    assert other >= 2.0  # the second run's kernel was busy 2 s: the setting reached it (the first's, 1 s)
    # the printed ratio is of the unrounded times: allow for the rounding of all three printed numbers
    slack = 0.05 + 0.05 * (1 + wall / other) / (other - 0.05)
    assert ratio.endswith("x") and abs(float(ratio[:-1]) - wall / other) <= slack, (ratio, wall, other)
    assert path.read_bytes() == before  # outputs are discarded, the notebook is not written
