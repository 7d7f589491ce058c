"""Server processes for the tests: a free loopback port, start and wait until a URL answers
200, stop for sure."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Self

import httpx


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now (the server that takes it binds it a moment later)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(cmd: Sequence[str], *, log: Path, ready_url: str, what: str, timeout: float,
          env: Mapping[str, str] | None = None, cwd: Path | None = None,
          poll: float = 0.25) -> subprocess.Popen[bytes]:
    """The running process once `ready_url` answers 200; its log's tail if it exits first."""
    proc = subprocess.Popen(list(cmd), stdout=log.open("wb"), stderr=subprocess.STDOUT,
                            env=dict(env) if env is not None else None, cwd=cwd)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(ready_url, timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(poll)
    stop(proc)
    raise RuntimeError(f"{what} did not start in {timeout:.0f} s")


def stop(proc: subprocess.Popen[bytes] | None, grace: float = 15) -> None:
    """Terminate, then kill if it has not exited after `grace` seconds."""
    if proc is not None and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class ServerProcess:
    """A server the tests start on a free loopback port and always stop. A subclass names its
    command, the path that answers 200 once it is ready, and any environment it needs."""

    what = "server"
    ready_path = "/"
    poll = 0.25
    grace = 15.0

    def __init__(self, log: Path | None = None):
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log = log or Path(f"/tmp/{type(self).__name__.lower()}-{self.port}.log")
        self._proc: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        raise NotImplementedError

    def env(self) -> Mapping[str, str] | None:
        return None

    def cwd(self) -> Path | None:
        return None

    def start(self, timeout: float = 120.0) -> Self:
        self._proc = start(self.command(), log=self.log, what=self.what, timeout=timeout,
                           ready_url=self.base_url + self.ready_path, env=self.env(),
                           cwd=self.cwd(), poll=self.poll)
        return self

    def stop(self) -> None:
        stop(self._proc, self.grace)
