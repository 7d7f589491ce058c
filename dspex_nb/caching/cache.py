"""`Cache`: layers tried in order (memory, then disk or Redis), a hit filling the faster layers
in front of it, and every layer failing open.

Failing open: a layer that raises (Redis down, slow past its timeout, a value that is not an
entry) is a miss for that call, one `CacheWarning` per outage and a `cache.error` event each
time; the layer is left alone for `retry_after` seconds, then tried again, so a Redis that
comes back is used again without a restart. A call never fails because of its cache.
"""

from __future__ import annotations

import os
import threading
import time
import warnings
import weakref
from collections import Counter
from typing import Any

from dspex_nb import _checks as checks
from dspex_nb import settings
from dspex_nb._engine import run_sync
from dspex_nb.caching.backend import CacheLayer, is_entry
from dspex_nb.caching.disk import DiskCache
from dspex_nb.caching.memory import MemoryCache
from dspex_nb.caching.redis_layer import RedisCache
from dspex_nb.errors import ArgumentError, CacheWarning
from dspex_nb.telemetry.spans import emit

_DEFAULT = object()


class _Health:
    """A layer's state: since when it is failing (None: it is not), and until when it is
    left alone."""

    __slots__ = ("down_until", "errors", "failed_at")

    def __init__(self) -> None:
        self.down_until = 0.0
        self.errors = 0
        self.failed_at: float | None = None

    @property
    def failing(self) -> bool:
        return self.failed_at is not None


class Cache:
    """The LM response cache: `dx.Cache()` is memory in front of disk; `dx.Cache(layers=[
    dx.MemoryCache(), dx.RedisCache(url=...)])` any layers, fastest first.

    `memory=False` / `disk=False` turn off a default layer; `directory`, `memory_size` and
    `disk_size_limit` configure them (or pass `layers=` instead, not both). A failing layer
    is left alone for `retry_after` seconds, then tried again.
    """

    def __init__(self, *, layers: list[Any] | None = None, memory: Any = _DEFAULT,
                 disk: Any = _DEFAULT, directory: Any = _DEFAULT, memory_size: Any = _DEFAULT,
                 disk_size_limit: Any = _DEFAULT, retry_after: float = 2.0):
        shortcuts = {"memory": memory, "disk": disk, "directory": directory,
                     "memory_size": memory_size, "disk_size_limit": disk_size_limit}
        given = [name for name, value in shortcuts.items() if value is not _DEFAULT]
        if layers is not None:
            if given:
                raise ArgumentError(f"give layers=[...] or {', '.join(given)}=, not both (the "
                                    f"keywords configure the default memory and disk layers)")
            self.layers: list[CacheLayer] = _checked_layers(layers)
        else:
            self.layers = _default_layers(
                memory=True if memory is _DEFAULT else memory,
                disk=True if disk is _DEFAULT else disk,
                directory=None if directory is _DEFAULT else directory,
                memory_size=10_000 if memory_size is _DEFAULT else memory_size,
                disk_size_limit=2**30 if disk_size_limit is _DEFAULT else disk_size_limit)
        self.retry_after = checks.finite_number("retry_after", retry_after)
        self._memory = self.layers[0] if self.layers and isinstance(
            self.layers[0], MemoryCache) else None
        self._networked = any(layer.networked for layer in self.layers)
        self._health = [_Health() for _ in self.layers]
        self.hits = 0
        self.misses = 0
        self.layer_hits: Counter[str] = Counter()

    # -- layers by kind, for callers that want one -------------------------------------------
    @property
    def memory(self) -> MemoryCache | None:
        return next((x for x in self.layers if isinstance(x, MemoryCache)), None)

    @property
    def disk(self) -> DiskCache | None:
        return next((x for x in self.layers if isinstance(x, DiskCache)), None)

    @property
    def errors(self) -> int:
        """Layer failures since this cache was made (each also a `cache.error` event)."""
        return sum(h.errors for h in self._health)

    # -- reads -------------------------------------------------------------------------------
    def get_from_memory(self, key: str) -> dict[str, Any] | None:
        """The in-process front layer alone: a hit is counted, a miss is not, as the caller
        goes on to a full `aget`. What lets a synchronous hit skip the engine."""
        if self._memory is None:
            return None
        entry = self._memory.get(key)
        if entry is not None:
            self.hits += 1
            self.layer_hits["memory"] += 1
        return entry

    async def aget(self, key: str) -> dict[str, Any] | None:
        for index, layer in enumerate(self.layers):
            if not self._usable(index):
                continue
            started = time.monotonic()
            try:
                entry = await layer.aget(key) if layer.networked else (  # type: ignore[attr-defined]
                    layer.get(key))
            except Exception as exc:  # any failure of a cache is a miss
                self._failed(index, "get", exc)
                continue
            if entry is None:
                self._ok(index, started)
                continue
            if not is_entry(entry):
                self._failed(index, "get", ValueError("the stored value is not a cache entry"))
                continue
            self._ok(index, started)
            self.hits += 1
            self.layer_hits[layer.name] += 1
            for front in range(index):  # fill the faster layers
                await self._write(front, "put", key, entry)
            return entry
        self.misses += 1
        return None

    def get(self, key: str) -> dict[str, Any] | None:
        found: dict[str, Any] | None = self._wait(self.aget(key))
        return found

    # -- writes ------------------------------------------------------------------------------
    async def aput(self, key: str, entry: dict[str, Any]) -> None:
        for index in range(len(self.layers)):
            await self._write(index, "put", key, entry)

    def put(self, key: str, entry: dict[str, Any]) -> None:
        self._wait(self.aput(key, entry))

    async def adelete(self, key: str) -> None:
        for index in range(len(self.layers)):
            await self._write(index, "delete", key)

    def delete(self, key: str) -> None:
        self._wait(self.adelete(key))

    def _wait(self, coro: Any) -> Any:
        """The sync forms: a networked layer's I/O runs on the engine loop; in-process layers
        never await anything pending, so their coroutine runs to its end right here."""
        return run_sync(coro) if self._networked else _run_now(coro)

    def clear(self) -> None:
        """Empty every layer (a Redis layer: only its namespace) and reset the counts. Unlike
        a call, this reports a layer that cannot be cleared: it raises."""
        for layer in self.layers:
            layer.clear()
        self.hits = self.misses = 0
        self.layer_hits.clear()

    async def _write(self, index: int, op: str, key: str,
                     entry: dict[str, Any] | None = None) -> None:
        if not self._usable(index):
            return
        layer = self.layers[index]
        args = (key,) if entry is None else (key, entry)
        started = time.monotonic()
        try:
            if layer.networked:
                await getattr(layer, f"a{op}")(*args)
            else:
                getattr(layer, op)(*args)
        except Exception as exc:  # a cache that cannot store is not an error
            self._failed(index, op, exc)
        else:
            self._ok(index, started)

    # -- failing open ------------------------------------------------------------------------
    def _usable(self, index: int) -> bool:
        health = self._health[index]
        return not health.failing or time.monotonic() >= health.down_until

    def _ok(self, index: int, started: float) -> None:
        """A success ends an outage only if it started after the outage was seen: a call in
        flight when the server died may still succeed, and must not make the next failure
        look like a new outage (a second warning)."""
        health = self._health[index]
        if health.failed_at is not None and started > health.failed_at:
            health.failed_at = None

    def _failed(self, index: int, op: str, exc: Exception) -> None:
        layer, health = self.layers[index], self._health[index]
        health.errors += 1
        reason = f"{type(exc).__name__}: {str(exc)[:200]}"
        emit("cache.error", layer=layer.name, op=op, error_type=type(exc).__name__)
        if health.failed_at is None:
            health.failed_at = time.monotonic()
            warnings.warn(
                f"the {layer.name} cache failed ({reason}); calls go on without it, and it "
                f"is tried again every {self.retry_after:g} s (errors are counted as "
                f"cache.error on the dashboard)", CacheWarning, stacklevel=2)
        health.down_until = time.monotonic() + self.retry_after

    def __repr__(self) -> str:
        names = "+".join(layer.name for layer in self.layers) or "off"
        return (f"Cache({names}, hits={self.hits}, misses={self.misses}"
                + (f", errors={self.errors}" if self.errors else "") + ")")


def _run_now(coro: Any) -> Any:
    """Run a coroutine that never awaits anything pending (in-process layers only) here."""
    try:
        coro.send(None)
    except StopIteration as done:
        return done.value
    coro.close()
    raise RuntimeError("an in-process cache layer awaited I/O")


def _checked_layers(layers: Any) -> list[CacheLayer]:
    if not isinstance(layers, list | tuple) or not layers:
        raise ArgumentError("layers is a non-empty list, fastest first: "
                            "[dx.MemoryCache(), dx.RedisCache(url=...)]")
    for layer in layers:
        if not isinstance(layer, CacheLayer):
            raise ArgumentError(f"a cache layer has name, networked, get, put, delete and "
                                f"clear (dx.MemoryCache, dx.DiskCache, dx.RedisCache); "
                                f"{type(layer).__name__} does not")
        if layer.networked and not callable(getattr(layer, "aget", None)):
            raise ArgumentError(f"{type(layer).__name__} is networked, so it needs aget, aput "
                                f"and adelete as well")
    if len({id(layer) for layer in layers}) != len(layers):
        raise ArgumentError("the same layer object appears twice in layers")
    return list(layers)


def _default_layers(*, memory: Any, disk: Any, directory: Any, memory_size: Any,
                    disk_size_limit: Any) -> list[CacheLayer]:
    for name, value in (("memory", memory), ("disk", disk)):
        if not isinstance(value, bool):
            raise ArgumentError(f"{name} must be True or False, not {value!r:.60}")
    checks.whole_number("memory_size", memory_size)
    checks.whole_number("disk_size_limit", disk_size_limit)
    found: list[CacheLayer] = []
    if memory:
        found.append(MemoryCache(maxsize=memory_size))
    if disk:
        found.append(DiskCache(directory=directory, size_limit=disk_size_limit))
    return found


def from_environment() -> Cache:
    """The default cache: memory + Redis when `$DSPEX_CACHE_URL` names one (namespace from
    `$DSPEX_CACHE_NAMESPACE`), else memory + disk."""
    url = os.environ.get("DSPEX_CACHE_URL")
    if url:
        namespace = os.environ.get("DSPEX_CACHE_NAMESPACE") or "dspex_nb"
        return Cache(layers=[MemoryCache(), RedisCache(url, namespace=namespace)])
    return Cache()


_default: Cache | None = None
_default_lock = threading.Lock()
_wrapped: weakref.WeakKeyDictionary[Any, Cache] = weakref.WeakKeyDictionary()


def default_cache() -> Cache:
    """The process-wide cache used when `configure(cache=...)` was not called."""
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = from_environment()
    return _default


def current_cache() -> Cache | None:
    """The cache in force here: `configure(cache=...)`'s, the default, or None when off. A lone
    layer configured (`configure(cache=dx.RedisCache(...))`) is a Cache of that layer alone,
    the same one each time."""
    configured = settings.get("cache", None)
    if configured is None:
        return default_cache()
    if configured is False:
        return None
    if isinstance(configured, Cache):
        return configured
    found = _wrapped.get(configured)
    if found is None:
        with _default_lock:
            found = _wrapped.setdefault(configured, Cache(layers=[configured]))
    return found
