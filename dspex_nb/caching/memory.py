"""The in-memory layer: a bounded, thread-safe LRU."""

from __future__ import annotations

import threading
from typing import Any

import cachetools


class MemoryStore:
    def __init__(self, maxsize: int = 10_000):
        self._lru: cachetools.LRUCache[str, dict[str, Any]] = cachetools.LRUCache(maxsize)
        self._lock = threading.Lock()

    def get(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            return self._lru.get(key)

    def put(self, key: str, entry: dict[str, Any]) -> None:
        with self._lock:
            self._lru[key] = entry

    def clear(self) -> None:
        with self._lock:
            self._lru.clear()

    def __len__(self) -> int:
        return len(self._lru)
