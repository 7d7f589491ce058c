"""The seam between lifecycle and presentation: live views of long operations (evaluation,
optimization, experiment) without upward imports.

Lifecycle code asks `open_view(kind, run, display)` for a view; presentation code (the
terminal views, notebook widgets) registers factories here when it loads. A view is a context
manager around the run; it feeds itself from telemetry events and may read `run` only as
`_protocols.py` declares. This module imports nothing but the standard library: it is the one
module of `views/` that lower layers import.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

Factory = Callable[[Any], contextlib.AbstractContextManager[Any]]
DISPLAYS = ("auto", "widget", "text", "none")

_factories: dict[tuple[str, str], Factory] = {}
_notebook = False


def register(kind: str, medium: str, factory: Factory) -> None:
    """`medium` is "widget" or "text"."""
    _factories[(kind, medium)] = factory


def set_notebook(active: bool) -> None:
    global _notebook
    _notebook = active


def open_view(kind: str, run: Any, display: str) -> contextlib.AbstractContextManager[Any]:
    if display not in DISPLAYS:
        raise ValueError(f"display must be one of {DISPLAYS}, not {display!r}")
    if display == "auto":
        display = "widget" if _notebook and (kind, "widget") in _factories else "text"
    factory = _factories.get((kind, display))
    if display == "none" or factory is None:
        return contextlib.nullcontext()
    return factory(run)
