"""JupyterLab on loopback and headless Debian Chromium, for widget tests in a real browser.

Follows ../shared/design/BROWSER_TESTS.md: Debian's chromium through Playwright's
executable_path (never a browser download), no token, `window.jupyterapp` exposed, notebooks
written with a kernelspec (else the kernel chooser blocks everything), run-all started without
awaiting it, and the server stopped also when a test fails.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import httpx

from tests.support.processes import ServerProcess

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
OUTPUT = Path(__file__).resolve().parent.parent / "test-output"


class JupyterLab(ServerProcess):
    what = "jupyter lab"
    ready_path = "/api/status"

    def __init__(self, root: Path, *, extra_env: Mapping[str, str] | None = None):
        super().__init__(root / "jupyter.log")
        self.root = root
        self.extra_env = dict(extra_env or {})
        self.url = self.base_url

    def command(self) -> list[str]:
        return [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1",
                f"--port={self.port}", "--IdentityProvider.token=", "--ServerApp.password=",
                "--ServerApp.disable_check_xsrf=True", "--LabApp.expose_app_in_browser=True",
                f"--ServerApp.root_dir={self.root}", "--allow-root"]

    def env(self) -> Mapping[str, str]:
        settings = self.root / ".settings" / "@jupyterlab" / "apputils-extension"
        settings.mkdir(parents=True, exist_ok=True)
        (settings / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
        bin_dir = str(Path(sys.executable).parent)
        return {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""),
                "JUPYTERLAB_SETTINGS_DIR": str(self.root / ".settings"),
                "DSPEX_CACHE_DIR": str(self.root / ".cache"), **self.extra_env}

    def run_notebook(self, page: Any, name: str, cells: list[str], *, ready: str,
                     timeout_ms: int = 90_000) -> Any:
        """Write the notebook, open it, run all its cells, and wait for `ready` to appear."""
        self.open_and_run(page, self.write_notebook(name, cells))
        return page.wait_for_selector(ready, timeout=timeout_ms)

    def write_notebook(self, name: str, cells: list[str]) -> str:
        notebook = {
            "cells": [{"cell_type": "code", "id": f"c{i}", "metadata": {}, "source": src,
                       "outputs": [], "execution_count": None} for i, src in enumerate(cells)],
            "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                        "language": "python"}},
            "nbformat": 4, "nbformat_minor": 5,
        }
        (self.root / name).write_text(json.dumps(notebook))
        return name

    def start_kernel(self, name: str) -> None:
        """Start the notebook's kernel session through the REST API before the page opens it.

        Seen here (JupyterLab 4.6): even with a kernelspec in the notebook, the kernel chooser
        can appear when the page asks before the kernelspecs are loaded; an existing session
        is simply joined.
        """
        response = httpx.post(f"{self.url}/api/sessions", timeout=30, json={
            "path": name, "name": name, "type": "notebook", "kernel": {"name": "python3"}})
        response.raise_for_status()

    def open_and_run(self, page: Any, name: str) -> None:
        """Open the notebook, wait for an idle kernel, start run-all (not awaited)."""
        self.start_kernel(name)
        # A workspace of its own, reset: else JupyterLab reopens the notebooks of earlier
        # tests in this server, and selectors find their (hidden) widgets first.
        workspace = name.replace(".", "-")
        page.goto(f"{self.url}/lab/workspaces/{workspace}/tree/{name}?reset")
        page.wait_for_function("() => window.jupyterapp !== undefined", timeout=60_000)
        page.evaluate("() => window.jupyterapp.restored")
        page.wait_for_selector(".jp-Notebook", timeout=60_000)
        # Ready = an idle kernel and no dialog, for 2 s in a row. The kernel chooser can still
        # appear a moment after "idle" (seen here); accept its preselected kernel.
        deadline = time.monotonic() + 60
        calm_since: float | None = None
        while time.monotonic() < deadline:
            accept = page.query_selector(".jp-Dialog .jp-mod-accept")
            if accept is not None:
                accept.click()
                calm_since = None
            elif page.query_selector('.jp-Notebook-ExecutionIndicator[data-status="idle"]'):
                calm_since = calm_since or time.monotonic()
                if time.monotonic() - calm_since > 2.0:
                    break
            else:
                calm_since = None
            time.sleep(0.2)
        page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")


def jupyter_cli(env: Mapping[str, str], *args: str) -> str:
    """Run `python -m dspex_nb jupyter ARGS` with `env`; its output."""
    return subprocess.run([sys.executable, "-m", "dspex_nb", "jupyter", *args], check=True,
                          env=dict(env), capture_output=True, text=True).stdout


def count_attribute(page: Any, selector: str, attribute: str) -> int:
    """The integer a widget publishes in `attribute` (`data-rows`, `data-points`) on the first
    element matching `selector`; 0 while that element is not drawn yet."""
    element = page.query_selector(selector)
    return int(element.get_attribute(attribute) or 0) if element else 0


def watch(read: Callable[[], int], done: Callable[[], bool], *, timeout: float = 90,
          every: float = 0.1) -> list[int]:
    """The distinct values `read()` took, in order, until `done()` (or the timeout): how a
    browser test sees a live widget grow while the kernel works.

    The value is read once more after `done()` holds: the page keeps drawing between the two
    calls, and `done()` may have seen a later value than the last one read (this race was the
    eval table's "stall at 28 of 40")."""
    seen: list[int] = []

    def record() -> None:
        value = read()
        if not seen or seen[-1] != value:
            seen.append(value)

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        record()
        if done():
            record()
            break
        time.sleep(every)
    return seen


def screenshot(page: Any, name: str) -> Path:
    OUTPUT.mkdir(exist_ok=True)
    path = OUTPUT / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
