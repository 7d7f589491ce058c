"""`dx.dashboard(source=url)` in JupyterLab (headless Debian Chromium) watching another
process: its calls arrive live, the strip says "disconnected" when that process is killed,
and "live" again when it is started again on the same port."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tests.support.jupyter_lab import JupyterLab, screenshot
from tests.support.metrics_app import MetricsApp
from tests.support.processes import free_port

pytestmark = [pytest.mark.browser, pytest.mark.integration]

CALLS = 12


@pytest.fixture
def port() -> int:
    return free_port()


def _calls(page: Any) -> int | None:
    element = page.query_selector('.dx-dash [data-card="calls"] .value')
    return int(element.text_content().replace(",", "")) if element is not None else None


def test_a_remote_process_shows_live_then_disconnected_then_live_again(
        jupyter_lab: JupyterLab, browser_page: Any, tmp_path: Path, port: int) -> None:
    page = browser_page
    app = MetricsApp(tmp_path, port, CALLS, delay=0.3, wait_for_go=True)
    try:
        jupyter_lab.run_notebook(page, "remote_dashboard.ipynb", [
            "import dspex_nb as dx\n"
            f"board = dx.dashboard(source='http://127.0.0.1:{port}', interval=0.25)\nboard",
        ], ready=".dx-dash")
        page.wait_for_selector(f'.dx-dash [data-source="http://127.0.0.1:{port}"]'
                               '[data-state="live"]', timeout=60_000)
        app.go.touch()
        seen: list[int] = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and (not seen or seen[-1] < CALLS):
            value = _calls(page)
            if value is not None and (not seen or seen[-1] != value):
                seen.append(value)
            time.sleep(0.1)
        screenshot(page, "remote-dashboard-live")
        assert seen[-1] == CALLS and len(seen) >= 3, seen  # arrived in steps, live
        assert seen == sorted(seen)

        app.stop()
        page.wait_for_selector('.dx-dash [data-state="disconnected"]', timeout=60_000)
        strip = page.query_selector(".dx-dash .sources")
        assert strip is not None and "retrying in" in (strip.text_content() or "")
        screenshot(page, "remote-dashboard-disconnected")

        app = MetricsApp(tmp_path, port, 3, delay=0.3, wait_for_go=True)  # restarted, same port
        app.go.touch()
        page.wait_for_selector('.dx-dash [data-state="live"]', timeout=60_000)
        page.wait_for_function(
            """() => document.querySelector('.dx-dash [data-card="calls"] .value')
                     ?.textContent === '3'""", timeout=60_000)
        screenshot(page, "remote-dashboard-back")
    finally:
        app.stop()
