"""Start a real MLflow tracking server on loopback: SQLite backend, artifacts proxied to a local
folder. The server lives in its own environment (.venv-mlflow, `make mlflow-server`); the tests
talk to it with the mlflow-skinny client that dspex_nb's `mlflow` extra installs."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import httpx

from tests.fault_server import free_port

ROOT = Path(__file__).resolve().parent.parent
MLFLOW = Path(os.environ.get("DSPEX_MLFLOW_SERVER", ROOT / ".venv-mlflow" / "bin" / "mlflow"))


class MlflowServer:
    def __init__(self, root: Path):
        self.root = root
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = root / "mlflow.log"
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 120.0) -> MlflowServer:
        cmd = [str(MLFLOW), "server", "--host", "127.0.0.1", "--port", str(self.port),
               "--backend-store-uri", f"sqlite:///{self.root / 'mlflow.db'}",
               "--artifacts-destination", str(self.root / "artifacts"), "--workers", "1"]
        env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true"}
        self._proc = subprocess.Popen(cmd, stdout=self.log.open("wb"), stderr=subprocess.STDOUT,
                                      cwd=self.root, env=env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"mlflow server exited:\n{self.log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        self.stop()
        raise RuntimeError("mlflow server did not start in time")

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(15)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
