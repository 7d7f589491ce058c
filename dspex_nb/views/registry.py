"""The seam between lifecycle and presentation: live views of long operations (evaluation,
optimization, experiment) without upward imports.

Lifecycle code asks `open_view(kind, run, display)` for a view; presentation code (the
terminal views, notebook widgets) registers factories here when it loads. A view is a context
manager around the run; it feeds itself from telemetry events and may read `run` only as
`_protocols.py` declares. It imports nothing but the standard library and the error tree:
it is the one module of `views/` that lower layers import.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from dspex_nb.errors import ArgumentError

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


def check_display(display: str | bool) -> str:
    """The display mode, with DSPy's True/False meaning "auto"/"none"; an ArgumentError for
    anything else."""
    if display is True or display is False:
        return "auto" if display else "none"
    if display not in DISPLAYS:
        raise ArgumentError(f"display must be one of {DISPLAYS} (or True/False), "
                            f"not {display!r}")
    return display


def medium(kind: str, display: str | bool) -> str:
    """What `display` means for a view of `kind` here: "widget", "text" or "none"."""
    display = check_display(display)
    if display == "auto":
        return "widget" if _notebook and (kind, "widget") in _factories else "text"
    return display


def open_view(kind: str, run: Any, display: str | bool) -> contextlib.AbstractContextManager[Any]:
    display = medium(kind, display)
    factory = _factories.get((kind, display))
    if display == "none" or factory is None:
        return contextlib.nullcontext()
    return factory(run)
