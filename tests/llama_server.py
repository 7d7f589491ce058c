"""Start llama.cpp's real OpenAI-compatible server (llama-cpp-python[server]) on loopback."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.fault_server import free_port


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
        self._proc = subprocess.Popen(self._cmd, stdout=self.log.open("wb"),
                                      stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"llama_cpp.server exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/models", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("llama_cpp.server did not start in time")

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
