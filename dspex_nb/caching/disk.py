"""The disk layer: entries as JSON bytes in a diskcache (SQLite) folder, shared by processes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import diskcache
import orjson


class DiskStore:
    def __init__(self, directory: str | Path, size_limit: int = 2**30):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        # JSON bytes, not pickles: entries stay readable and cannot run code when loaded.
        self._db = diskcache.Cache(str(self.directory), size_limit=size_limit)

    def get(self, key: str) -> dict[str, Any] | None:
        blob = self._db.get(key)
        if blob is None:
            return None
        try:
            entry: dict[str, Any] = orjson.loads(blob)
        except orjson.JSONDecodeError:
            return None  # a damaged entry is a miss, never an error
        return entry

    def put(self, key: str, entry: dict[str, Any]) -> None:
        self._db.set(key, orjson.dumps(entry))

    def clear(self) -> None:
        self._db.clear()

    def close(self) -> None:
        self._db.close()

    def __len__(self) -> int:
        return len(self._db)
