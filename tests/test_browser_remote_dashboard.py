"""`dx.dashboard(source=url)` in JupyterLab (headless Debian Chromium) watching another
process: its calls arrive live, the strip says "disconnected" when that process is killed,
and "live" again when it is started again on the same port."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from tests.support.jupyter_lab import JupyterLab, screenshot
from tests.support.processes import free_port

pytestmark = [pytest.mark.browser, pytest.mark.integration]

ROOT = Path(__file__).resolve().parents[1]
CALLS = 12

APP = textwrap.dedent('''
    import pathlib, sys, time
    import dspex_nb as dx
    server = dx.telemetry.serve(port=int(sys.argv[1]))
    qa = dx.Predict("question -> answer", lm=dx.ScriptedLM(lambda r: {"answer": "a"}))
    print("ready", flush=True)
    go = pathlib.Path(sys.argv[3])
    while not go.exists():  # the test says when its dashboard is watching
        time.sleep(0.05)
    for i in range(int(sys.argv[2])):
        time.sleep(0.3)  # an application answering requests as they come
        qa(question=f"q{i}")
    time.sleep(3600)
''')


class App:
    def __init__(self, folder: Path, port: int, calls: int) -> None:
        (folder / "app.py").write_text(APP)
        self.go = folder / f"go-{time.monotonic_ns()}"
        self.proc = subprocess.Popen([sys.executable, str(folder / "app.py"), str(port),
                                      str(calls), str(self.go)], stdout=subprocess.PIPE,
                                     text=True, cwd=ROOT)
        assert self.proc.stdout is not None and self.proc.stdout.readline().strip() == "ready"

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait()


@pytest.fixture
def port() -> int:
    return free_port()


def _calls(page: Any) -> int | None:
    element = page.query_selector('.dx-dash [data-card="calls"] .value')
    return int(element.text_content().replace(",", "")) if element is not None else None


def test_a_remote_process_shows_live_then_disconnected_then_live_again(
        jupyter_lab: JupyterLab, browser_page: Any, tmp_path: Path, port: int) -> None:
    page = browser_page
    app = App(tmp_path, port, CALLS)
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

        app.kill()
        page.wait_for_selector('.dx-dash [data-state="disconnected"]', timeout=60_000)
        strip = page.query_selector(".dx-dash .sources")
        assert strip is not None and "retrying in" in (strip.text_content() or "")
        screenshot(page, "remote-dashboard-disconnected")

        app = App(tmp_path, port, 3)  # the application restarted, on the same port
        app.go.touch()
        page.wait_for_selector('.dx-dash [data-state="live"]', timeout=60_000)
        page.wait_for_function(
            """() => document.querySelector('.dx-dash [data-card="calls"] .value')
                     ?.textContent === '3'""", timeout=60_000)
        screenshot(page, "remote-dashboard-back")
    finally:
        app.kill()
