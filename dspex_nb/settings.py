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

_KNOWN = frozenset({"lm", "adapter", "cache", "max_parse_retries"})

_global: dict[str, Any] = {}
_global_lock = threading.Lock()
_overrides: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "dspex_nb_settings", default=None
)


def _check(options: dict[str, Any]) -> None:
    unknown = set(options) - _KNOWN
    if unknown:
        raise TypeError(f"unknown setting(s) {sorted(unknown)}; known: {sorted(_KNOWN)}")


def configure(**options: Any) -> None:
    """Set process-wide defaults: `lm`, `adapter`, `cache` (a Cache, or False for none)."""
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
