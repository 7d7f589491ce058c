"""A real Redis (Debian's `redis-server`) on a free loopback port with its own folder, no
persistence: started by the tests, stopped after. `kill()` is what a crashed Redis looks like
to a client; `start()` again brings it back (empty) on the same port."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Self

import pytest
import redis

from tests.support.processes import free_port, stop

REDIS = shutil.which("redis-server") or "/usr/bin/redis-server"


def require_redis() -> None:
    """Skip where redis-server is missing; in CI that is a failure (make system installs it)."""
    if not Path(REDIS).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{REDIS} is missing in CI (make system installs redis-server)")
        pytest.skip("redis-server is not installed (make system)")


class RedisServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="dspex-redis-"))
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> Self:
        log = (self.root / "redis.log").open("ab")
        self._proc = subprocess.Popen(
            [REDIS, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.root),
             "--save", "", "--appendonly", "no", "--daemonize", "no"],
            stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"redis-server exited:\n{self.log_tail()}")
            if self.ping():
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"redis-server did not answer PING in {timeout:.0f} s")

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def client(self) -> redis.Redis:
        """redis-py's sync client, to look at what is stored (not the code under test)."""
        return redis.Redis(host="127.0.0.1", port=self.port)

    def kill(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()

    def stop(self) -> None:
        stop(self._proc, 10)

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def log_tail(self) -> str:
        path = self.root / "redis.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""
