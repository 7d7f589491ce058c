"""The magics in JupyterLab, with the extension enabled through jupyter-config (no %load_ext):
%%predict and %dx dashboard render, a malformed %%signature shows its one-line error."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.jupyter_lab import JupyterLab, jupyter_cli, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.integration]


@pytest.fixture
def enabled_lab(tmp_path: Path) -> Iterator[JupyterLab]:
    """A JupyterLab whose kernels read an IPython profile where `dspex-nb jupyter enable
    --user` was run."""
    ipython_dir = tmp_path / "ipython"
    env = {**os.environ, "IPYTHONDIR": str(ipython_dir)}
    jupyter_cli(env, "enable", "--user")
    lab = JupyterLab(tmp_path, extra_env={"IPYTHONDIR": str(ipython_dir)}).start()
    yield lab
    lab.stop()


def _output(page: Any, cell: int) -> Any:
    return page.locator(".jp-Notebook .jp-CodeCell").nth(cell).locator(".jp-OutputArea")


def test_magics_render_in_jupyterlab_without_load_ext(enabled_lab: JupyterLab,
                                                      chromium_page: Any) -> None:
    page = chromium_page
    enabled_lab.run_notebook(page, "magics.ipynb", [
        "%dx lm local",
        '%%predict "question -> answer" -o pred\nWhat is the capital of France?',
        "%dx dashboard",
        "%%signature Broken\nthis line has no arrow",
    ], ready=".dx-dash", timeout_ms=240_000)
    page.wait_for_function(
        """() => [...document.querySelectorAll('.jp-Notebook .jp-CodeCell')][3]
                 ?.querySelector('.jp-OutputArea-output')""", timeout=120_000)
    screenshot(page, "magics")

    predicted = _output(page, 1).inner_text()
    assert "Prediction(" in predicted and "answer=" in predicted
    assert page.locator(".dx-dash svg, .dx-dash .value").count() > 0
    error = _output(page, 3).inner_text().strip()
    assert error.startswith("SignatureError: a signature needs '->'"), error
    assert "Traceback" not in error
    assert "UsageError" not in _output(page, 0).inner_text()
