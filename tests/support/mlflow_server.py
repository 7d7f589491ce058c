"""Start a real MLflow tracking server on loopback: SQLite backend, artifacts proxied to a local
folder. The server lives in its own environment (.venv-mlflow, `make mlflow-server`); the tests
talk to it with the mlflow-skinny client that dspex_nb's `mlflow` extra installs."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from tests.support.processes import ServerProcess

ROOT = Path(__file__).resolve().parent.parent.parent
MLFLOW = Path(os.environ.get("DSPEX_MLFLOW_SERVER", ROOT / ".venv-mlflow" / "bin" / "mlflow"))


class MlflowServer(ServerProcess):
    what = "mlflow server"
    ready_path = "/health"

    def __init__(self, root: Path):
        super().__init__(root / "mlflow.log")
        self.root = root
        self.url = self.base_url

    def command(self) -> list[str]:
        return [str(MLFLOW), "server", "--host", "127.0.0.1", "--port", str(self.port),
                "--backend-store-uri", f"sqlite:///{self.root / 'mlflow.db'}",
                "--artifacts-destination", str(self.root / "artifacts"), "--workers", "1"]

    def env(self) -> Mapping[str, str]:
        return {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true"}

    def cwd(self) -> Path:
        return self.root
