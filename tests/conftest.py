from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator

import pytest

# Before dspex_nb is imported anywhere: no test may touch the user's real cache folder.
os.environ["DSPEX_CACHE_DIR"] = tempfile.mkdtemp(prefix="dspex-test-cache-")
os.environ.pop("OPENAI_API_KEY", None)
os.environ.pop("OPENAI_BASE_URL", None)

from dspex_nb import settings
from dspex_nb.caching import cache as cache_module
from dspex_nb.lm import LocalLM, bundled_model_path
from dspex_nb.lm import openai as openai_lm
from tests.fault_server import FaultServer
from tests.llama_server import LlamaServer


@pytest.fixture(autouse=True)
def clean_settings() -> Iterator[None]:
    settings.reset()
    cache_module._default = None
    openai_lm._mode_by_server.clear()  # what a server accepted is remembered per process
    yield
    settings.reset()


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
def local_lm() -> LocalLM:
    return LocalLM(cache=False)
