"""Named telemetry events and the bus that delivers them to attached handlers.

Handlers run in the thread that emits (the engine loop, a worker, the caller): they must be
quick. One that raises is reported once (a RuntimeWarning) and detached; it never breaks the
program it observes.
"""

from __future__ import annotations

import threading
import time
import warnings
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dspex_nb.telemetry.spans import Span


class Event:
    """One thing that happened: `name` (e.g. "lm.stop"), wall `time`, and `attrs`.

    Events of a span carry its ids and its duration (on stop/exception); `span` is the span.
    """

    __slots__ = ("attrs", "duration", "name", "parent_id", "span", "span_id", "time", "trace_id")

    def __init__(self, name: str, attrs: dict[str, Any], *, span: Span | None = None,
                 duration: float | None = None, at: float | None = None):
        self.name = name
        self.time = time.time() if at is None else at
        self.attrs = attrs
        self.span = span
        self.duration = duration
        if span is not None:
            self.trace_id: str | None = span.trace_id
            self.span_id: str | None = span.span_id
            self.parent_id: str | None = span.parent_id
        else:
            self.trace_id = self.span_id = self.parent_id = None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "time": self.time, "duration": self.duration,
                "trace_id": self.trace_id, "span_id": self.span_id,
                "parent_id": self.parent_id, "attrs": dict(self.attrs)}

    def __repr__(self) -> str:
        return f"Event({self.name!r}, span_id={self.span_id!r}, attrs={self.attrs!r})"


Handler = Callable[[Event], object]


class _Subscription:
    __slots__ = ("exact", "handler", "prefixes")

    def __init__(self, handler: Handler, events: Iterable[str] | None):
        self.handler = handler
        names = list(events) if events is not None else None
        self.exact = None if names is None else {n for n in names if not n.endswith("*")}
        self.prefixes = () if names is None else tuple(n[:-1] for n in names if n.endswith("*"))

    def wants(self, name: str) -> bool:
        if self.exact is None or name in self.exact:
            return True
        return bool(self.prefixes) and name.startswith(self.prefixes)


class EventBus:
    """Copy-on-write list of subscriptions: emitting takes no lock."""

    def __init__(self) -> None:
        self._subs: tuple[_Subscription, ...] = ()
        self._lock = threading.Lock()
        self.enabled = True

    @property
    def active(self) -> bool:
        return self.enabled and bool(self._subs)

    def attach(self, handler: Handler, events: Iterable[str] | None = None) -> Handler:
        """Call `handler(event)` for every event, or only those named in `events`
        (exact names, or prefixes ending in `*` such as "lm.*")."""
        with self._lock:
            self._subs = (*self._subs, _Subscription(handler, events))
        return handler

    def detach(self, handler: Handler) -> None:
        with self._lock:
            self._subs = tuple(s for s in self._subs if s.handler is not handler)

    def emit(self, event: Event) -> None:
        for sub in self._subs:
            if sub.wants(event.name):
                try:
                    sub.handler(event)
                except Exception as exc:
                    self.detach(sub.handler)
                    warnings.warn(
                        f"telemetry handler {sub.handler!r} raised {type(exc).__name__}: {exc}; "
                        f"it has been detached",
                        RuntimeWarning,
                        stacklevel=2,
                    )


bus = EventBus()


def attach(handler: Handler, events: Iterable[str] | None = None) -> Handler:
    return bus.attach(handler, events)


def detach(handler: Handler) -> None:
    bus.detach(handler)


def emit(name: str, **attrs: Any) -> None:
    """Emit a standalone event (not a span), parented to the current span if there is one."""
    if not bus.active:
        return
    from dspex_nb.telemetry.spans import current_span

    bus.emit(Event(name, attrs, span=current_span()))
