"""Start llama.cpp's real OpenAI-compatible server (llama-cpp-python[server]) on loopback."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.support.processes import ServerProcess


class LlamaServer(ServerProcess):
    what = "llama_cpp.server"
    ready_path = "/v1/models"
    poll = 0.2
    grace = 10.0

    def __init__(self, model_path: Path, *, n_ctx: int = 4096, n_threads: int | None = None,
                 embedding: bool = False):
        super().__init__()
        self.url = f"{self.base_url}/v1"
        self._cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(model_path),
                     "--host", "127.0.0.1", "--port", str(self.port), "--n_ctx", str(n_ctx),
                     "--verbose", "False"]
        if n_threads is not None:  # the server's default is cpu_count // 2
            self._cmd += ["--n_threads", str(n_threads)]
        if embedding:  # serve /v1/embeddings too
            self._cmd += ["--embedding", "True"]

    def command(self) -> list[str]:
        return self._cmd
