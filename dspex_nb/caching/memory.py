"""`MemoryCache`: the in-process layer, a bounded, thread-safe LRU."""

from __future__ import annotations

import threading
from typing import Any

import cachetools

from dspex_nb._checks import whole_number


class MemoryCache:
    """Entries in this process only, the least recently used dropped past `maxsize`."""

    name = "memory"
    networked = False

    def __init__(self, *, maxsize: int = 10_000):
        self.maxsize = whole_number("maxsize", maxsize)
        self._lru: cachetools.LRUCache[str, dict[str, Any]] = cachetools.LRUCache(self.maxsize)
        self._lock = threading.Lock()

    def get(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            return self._lru.get(key)

    def put(self, key: str, entry: dict[str, Any]) -> None:
        with self._lock:
            self._lru[key] = entry

    def delete(self, key: str) -> None:
        with self._lock:
            self._lru.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._lru.clear()

    def __len__(self) -> int:
        return len(self._lru)

    def __repr__(self) -> str:
        return f"MemoryCache(maxsize={self.maxsize}, entries={len(self)})"
