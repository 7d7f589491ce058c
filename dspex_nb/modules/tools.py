"""Tools: functions a program calls, registered by name with `@dx.tool`, so that a saved
program refers to them by name and `dx.load` re-attaches them (code is not state: a snapshot
never carries a tool's body).

A tool defined in an importable module is found again by its import path; one defined in a
notebook must be defined (decorated) again before the program is loaded, and a load that
misses any says which.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, overload

from dspex_nb._imports import import_object
from dspex_nb.errors import ArgumentError, MissingToolError

F = TypeVar("F", bound=Callable[..., Any])

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,127}$")
_registry: dict[str, Callable[..., Any]] = {}
_lock = threading.Lock()
MAIN_MODULES = frozenset({"__main__", "__mp_main__"})


@overload
def tool(fn: F, /) -> F: ...


@overload
def tool(*, name: str | None = None) -> Callable[[F], F]: ...


def tool(fn: Any = None, /, *, name: str | None = None) -> Any:
    """Register a function `fn` as a tool: `@dx.tool` (under its own name) or
    `@dx.tool(name="search")`. Registering a name again (a notebook cell run twice) replaces
    the earlier function."""

    def register(func: F) -> F:
        if not callable(func):
            raise ArgumentError(f"@dx.tool decorates a function, not {type(func).__name__}")
        found = name if name is not None else getattr(func, "__name__", None)
        if not isinstance(found, str) or not _NAME.match(found):
            raise ArgumentError(f"a tool's name is letters, digits, '_', '.' and '-', starting "
                                f"with a letter or '_', not {found!r:.60}")
        with _lock:
            _registry[found] = func
        try:
            func.__dspex_tool__ = found  # type: ignore[attr-defined]
        except (AttributeError, TypeError):
            raise ArgumentError(f"{found}: a tool must accept attributes (a plain function "
                                f"or a callable object)") from None
        return func

    if fn is not None:
        return register(fn)
    return register


def tool_name(obj: Any) -> str | None:
    """The name `obj` is registered under, or None if it is not a tool."""
    found = getattr(obj, "__dspex_tool__", None) if callable(obj) else None
    return found if isinstance(found, str) else None


def tool_origin(obj: Any) -> str | None:
    """`module:qualname` to import the tool from, or None if it lives in a notebook/script."""
    module, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", "")
    if not isinstance(module, str) or module in MAIN_MODULES or "<" in qualname:
        return None
    return f"{module}:{qualname}"


def registered_tools() -> dict[str, Callable[..., Any]]:
    with _lock:
        return dict(_registry)


def find_tools(wanted: Mapping[str, str | None]) -> dict[str, Callable[..., Any]]:
    """The tools by name (`wanted` maps each name to its import path, or None). A tool not
    registered yet is imported from its path; any still missing is one MissingToolError
    naming them all."""
    found: dict[str, Callable[..., Any]] = {}
    missing: list[str] = []
    for name, origin in sorted(wanted.items()):
        fn = registered_tools().get(name)
        if fn is None and origin is not None:
            try:
                fn = import_object(origin)
            except (ImportError, AttributeError):
                fn = None
        if fn is None or not callable(fn):
            missing.append(name if origin is None else f"{name} (from {origin})")
        else:
            found[name] = fn
    if missing:
        raise MissingToolError(
            f"the program calls tools that are not registered here: {', '.join(missing)}. "
            f"Define each with @dx.tool (same name) before loading", missing=missing)
    return found
