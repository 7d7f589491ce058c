"""`DiskCache`: entries as JSON bytes in a diskcache (SQLite) folder, shared by the processes
of one machine and kept across restarts."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import diskcache
import orjson

from dspex_nb._checks import whole_number
from dspex_nb.errors import ArgumentError


def default_directory() -> Path:
    env = os.environ.get("DSPEX_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "dspex_nb"


class DiskCache:
    """A folder (`directory`, default `$DSPEX_CACHE_DIR`, else `~/.cache/dspex_nb`), opened on
    first use so that configuring touches no files; at most `size_limit` bytes, the oldest
    evicted."""

    name = "disk"
    networked = False

    def __init__(self, *, directory: str | os.PathLike[str] | None = None,
                 size_limit: int = 2**30):
        if directory is not None and not isinstance(directory, str | os.PathLike):
            raise ArgumentError(f"directory must be a path, not {type(directory).__name__}")
        self.size_limit = whole_number("size_limit", size_limit)
        self._directory = Path(directory) if directory is not None else None
        self._db: diskcache.Cache | None = None
        self._lock = threading.Lock()

    @property
    def directory(self) -> Path:
        return self._directory or default_directory()

    def _open(self) -> diskcache.Cache:
        if self._db is None:
            with self._lock:
                if self._db is None:
                    self.directory.mkdir(parents=True, exist_ok=True)
                    # JSON bytes, not pickles: entries stay readable and cannot run code.
                    self._db = diskcache.Cache(str(self.directory), size_limit=self.size_limit)
        return self._db

    def get(self, key: str) -> dict[str, Any] | None:
        blob = self._open().get(key)
        if blob is None:
            return None
        entry: dict[str, Any] = orjson.loads(blob)  # damaged: Cache counts it as an error
        return entry

    def put(self, key: str, entry: dict[str, Any]) -> None:
        self._open().set(key, orjson.dumps(entry))

    def delete(self, key: str) -> None:
        self._open().delete(key)

    def clear(self) -> None:
        self._open().clear()

    def close(self) -> None:
        if self._db is not None:
            self._db.close()

    def __len__(self) -> int:
        return len(self._open())

    def __repr__(self) -> str:
        return f"DiskCache(directory={str(self.directory)!r})"
