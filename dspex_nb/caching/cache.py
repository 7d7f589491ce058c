"""`Cache`: memory in front of disk, with hit/miss counts. Entries are plain JSON dicts."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from dspex_nb import settings
from dspex_nb._checks import whole_number
from dspex_nb.caching.disk import DiskStore
from dspex_nb.caching.memory import MemoryStore
from dspex_nb.errors import ArgumentError


def default_directory() -> Path:
    env = os.environ.get("DSPEX_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "dspex_nb"


class Cache:
    """LM response cache. `memory` and `disk` layers can each be turned off.

    A disk hit is copied into memory, so the second hit on the same key costs a dict lookup.
    """

    def __init__(
        self,
        *,
        memory: bool = True,
        disk: bool = True,
        directory: str | Path | None = None,
        memory_size: int = 10_000,
        disk_size_limit: int = 2**30,
    ):
        whole_number("memory_size", memory_size)
        whole_number("disk_size_limit", disk_size_limit)
        if directory is not None and not isinstance(directory, str | os.PathLike):
            raise ArgumentError(f"directory must be a path, not {type(directory).__name__}")
        self.memory = MemoryStore(memory_size) if memory else None
        self._disk_dir = Path(directory) if directory else None
        self._disk_on = disk
        self._disk_limit = disk_size_limit
        self._disk: DiskStore | None = None
        self._disk_lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @property
    def disk(self) -> DiskStore | None:
        """Opened on first use, so that importing and configuring touch no files."""
        if not self._disk_on:
            return None
        if self._disk is None:
            with self._disk_lock:
                if self._disk is None:
                    self._disk = DiskStore(self._disk_dir or default_directory(), self._disk_limit)
        return self._disk

    def get(self, key: str) -> dict[str, Any] | None:
        entry = self.memory.get(key) if self.memory is not None else None
        if entry is None and (disk := self.disk) is not None:
            entry = disk.get(key)
            if entry is not None and self.memory is not None:
                self.memory.put(key, entry)
        if entry is None:
            self.misses += 1
        else:
            self.hits += 1
        return entry

    def get_from_memory(self, key: str) -> dict[str, Any] | None:
        """The memory layer alone (no disk read): a hit is counted, a miss is not, as the
        caller goes on to a full `get`."""
        entry = self.memory.get(key) if self.memory is not None else None
        if entry is not None:
            self.hits += 1
        return entry

    def put(self, key: str, entry: dict[str, Any]) -> None:
        if self.memory is not None:
            self.memory.put(key, entry)
        if (disk := self.disk) is not None:
            disk.put(key, entry)

    def clear(self) -> None:
        if self.memory is not None:
            self.memory.clear()
        if (disk := self.disk) is not None:
            disk.clear()
        self.hits = self.misses = 0

    def __repr__(self) -> str:
        on = {"memory": self.memory is not None, "disk": self._disk_on}
        layers = [name for name, enabled in on.items() if enabled]
        return f"Cache({'+'.join(layers) or 'off'}, hits={self.hits}, misses={self.misses})"


_default: Cache | None = None
_default_lock = threading.Lock()


def default_cache() -> Cache:
    """The process-wide cache used when `configure(cache=...)` was not called."""
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = Cache()
    return _default


def current_cache() -> Cache | None:
    """The cache in force here: `configure(cache=...)`'s, the default, or None when off."""
    configured = settings.get("cache", None)
    if configured is False:
        return None
    return configured if isinstance(configured, Cache) else default_cache()
