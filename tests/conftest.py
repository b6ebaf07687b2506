import matplotlib

# Unit tests draw off-screen; set in-process only, so notebook kernels keep their inline backend.
matplotlib.use("Agg")

from hypothesis import settings

# Property tests must not vary between runs (CI reruns the suite to prove it is deterministic):
# derandomize draws the same examples every run, and no example database is written to the repo.
settings.register_profile("d2lcore", derandomize=True, database=None, deadline=None, max_examples=150,
                          print_blob=True)
settings.load_profile("d2lcore")

import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item: the browser tests' fixtures take a screenshot
    only when the test itself failed."""
    outcome = yield
    rep = outcome.get_result()
    setattr(item, f"rep_{rep.when}", rep)
