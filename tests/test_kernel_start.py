"""A notebook's kernel that dies while it starts is started again (conftest.py): nbval's kernels in
`./course test`'s three streams can lose a port race (jupyter_client#154) before running any code."""
import os
import sys

import pytest

nbval_kernel = pytest.importorskip("nbval.kernel")


def _dying(monkeypatch, times):
    """The first `times` kernels started exit at once, as one that could not bind its port does."""
    started = []

    class DiesWhileStarting(nbval_kernel.KernelManager):
        def format_kernel_cmd(self, extra_arguments=None):
            started.append(self)
            if len(started) <= times:
                return [sys.executable, "-c", "raise SystemExit(1)"]
            return super().format_kernel_cmd(extra_arguments)

    monkeypatch.setattr(nbval_kernel, "KernelManager", DiesWhileStarting)
    return started


def test_a_kernel_that_dies_while_starting_is_started_again_and_runs_the_notebook(monkeypatch):
    started = _dying(monkeypatch, times=2)
    kernel = nbval_kernel.RunningKernel(nbval_kernel.CURRENT_ENV_KERNEL_NAME, startup_timeout=60)
    try:
        assert len(started) == 3 and kernel.is_alive()
        msg_id = kernel.execute_cell_input("6 * 7", allow_stdin=False)
        kernel.await_reply(msg_id, timeout=60)
        results = []
        while True:  # what the cell showed, up to the kernel's idle after it
            msg = kernel.get_message("iopub", timeout=60)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "execute_result":
                results.append(msg["content"]["data"]["text/plain"])
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                break
        assert results == ["42"]
        for dead in started[:2]:  # shut down: no connection file left, its sockets' context closed
            assert not os.path.exists(dead.connection_file) and dead.context.closed
    finally:
        kernel.stop()


def test_a_kernel_that_keeps_dying_fails_with_jupyters_message(monkeypatch):
    started = _dying(monkeypatch, times=99)
    with pytest.raises(RuntimeError, match="Kernel died before replying to kernel_info"):
        nbval_kernel.RunningKernel(nbval_kernel.CURRENT_ENV_KERNEL_NAME, startup_timeout=60)
    assert len(started) == 3  # tried three times, no more
