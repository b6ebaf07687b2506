"""pytest set-up shared by the unit tests and nbval.

nbval resolves --nbval-sanitize-with from the current directory; pointing it at the
absolute path here lets `pytest` run from any folder (e.g. `cd notebooks && pytest .`).
"""
import pathlib

SANITIZE = pathlib.Path(__file__).parent / "tests" / "nbval_sanitize.cfg"


def pytest_configure(config):
    if hasattr(config.option, "nbval_sanitize_with") and not config.option.nbval_sanitize_with:
        config.option.nbval_sanitize_with = str(SANITIZE)
