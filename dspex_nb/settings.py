"""Configuration: `configure()` sets process-wide defaults, `context()` overrides them locally.

Overrides live in a contextvar, so a `with dx.context(lm=...)` block affects only the thread or
asyncio task that entered it (and tasks it starts), never a neighbour running concurrently.
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
from collections.abc import Iterator
from typing import Any

from dspex_nb._checks import known_keywords, lm_object, whole_number
from dspex_nb.errors import ArgumentError

_KNOWN = frozenset({"lm", "adapter", "cache", "max_parse_retries", "retriever"})

_global: dict[str, Any] = {}
_global_lock = threading.Lock()
_overrides: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "dspex_nb_settings", default=None
)


_HINTS = {
    "track_usage": "usage is always counted: see report.prompt_tokens, or `with dx.trace()`",
    "experimental": "there is no experimental switch; every feature is on",
    "rm": "it is retriever= here (a dx.retrieve.ChromaRetriever, for instance)",
    "num_threads": "concurrency is an option of dx.evaluate / dx.Harness / dx.SIMBA",
}


def _check(options: dict[str, Any]) -> None:
    known_keywords("configure", options, sorted(_KNOWN), _HINTS)
    lm_object("lm", options.get("lm"))
    adapter = options.get("adapter")
    if adapter is not None and not callable(getattr(adapter, "request", None)):
        raise ArgumentError(f"adapter must be dx.JSONAdapter() or dx.ChatAdapter(), not "
                            f"{type(adapter).__name__} {adapter!r:.60}")
    cache = options.get("cache")
    if cache not in (None, False) and not (
            callable(getattr(cache, "get_from_memory", None))  # a Cache
            or all(callable(getattr(cache, op, None)) for op in ("get", "put", "clear"))):
        raise ArgumentError(f"cache must be a dx.Cache(...), a layer such as "
                            f"dx.RedisCache(...), or False, not {type(cache).__name__} "
                            f"{cache!r:.60}")
    retriever = options.get("retriever")
    if retriever is not None and not callable(getattr(retriever, "retrieve_many", None)):
        raise ArgumentError(f"retriever must be a dx.retrieve.Retriever, not "
                            f"{type(retriever).__name__} {retriever!r:.60}")
    if "max_parse_retries" in options:
        whole_number("max_parse_retries", options["max_parse_retries"], minimum=0)


def configure(**options: Any) -> None:
    """Set process-wide defaults: `lm`, `adapter`, `cache` (a Cache, one layer such as
    `dx.RedisCache(...)`, or False for none),
    `retriever` (what `dx.Retrieve` uses when given none)."""
    _check(options)
    with _global_lock:
        _global.update(options)


@contextlib.contextmanager
def context(**options: Any) -> Iterator[None]:
    """Override settings inside a `with` block, for this thread or task only."""
    _check(options)
    current = _overrides.get()
    token = _overrides.set({**(current or {}), **options})
    try:
        yield
    finally:
        _overrides.reset(token)


def get(name: str, default: Any = None) -> Any:
    """The setting in force here: the innermost `context()`, else `configure()`, else default."""
    local = _overrides.get()
    if local is not None and name in local:
        return local[name]
    return _global.get(name, default)


def reset() -> None:
    """Forget every `configure()` call (for tests)."""
    with _global_lock:
        _global.clear()
