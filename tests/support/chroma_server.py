"""A real Chroma server (`chroma run`, the CLI chromadb installs) on loopback, storing under a
test folder: what a team's shared Chroma is, for the tests of `ChromaRetriever(client=...)`."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.support.processes import ServerProcess

CHROMA = Path(sys.executable).parent / "chroma"


class ChromaServer(ServerProcess):
    what = "chroma server"
    ready_path = "/api/v2/heartbeat"

    def __init__(self, root: Path):
        super().__init__(root / "chroma.log")
        self.root = root

    def command(self) -> list[str]:
        return [str(CHROMA), "run", "--path", str(self.root / "data"), "--host", "127.0.0.1",
                "--port", str(self.port)]

    def client(self) -> object:
        import chromadb

        return chromadb.HttpClient(host="127.0.0.1", port=self.port)
