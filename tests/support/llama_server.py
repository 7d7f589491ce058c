"""Start llama.cpp's real OpenAI-compatible server (llama-cpp-python[server]) on loopback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.support import processes
from tests.support.processes import free_port


class LlamaServer:
    def __init__(self, model_path: Path, *, n_ctx: int = 4096, n_threads: int | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self.log = Path(f"/tmp/llama-server-{self.port}.log")
        self._cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(model_path),
                     "--host", "127.0.0.1", "--port", str(self.port), "--n_ctx", str(n_ctx),
                     "--verbose", "False"]
        if n_threads is not None:  # the server's default is cpu_count // 2
            self._cmd += ["--n_threads", str(n_threads)]
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 120.0) -> LlamaServer:
        self._proc = processes.start(self._cmd, log=self.log, ready_url=f"{self.url}/models",
                                          what="llama_cpp.server", timeout=timeout, poll=0.2)
        return self

    def stop(self) -> None:
        processes.stop(self._proc, grace=10)
