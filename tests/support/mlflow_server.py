"""Start a real MLflow tracking server on loopback: SQLite backend, artifacts proxied to a local
folder. The server lives in its own environment (.venv-mlflow, `make mlflow-server`); the tests
talk to it with the mlflow-skinny client that dspex_nb's `mlflow` extra installs."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.support import processes
from tests.support.processes import free_port

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
        self._proc = processes.start(cmd, log=self.log, ready_url=f"{self.url}/health",
                                          what="mlflow server", timeout=timeout, env=env,
                                          cwd=self.root)
        return self

    def stop(self) -> None:
        processes.stop(self._proc)
