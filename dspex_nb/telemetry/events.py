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
    `at` sets the time (default: now), for events replayed from elsewhere.
    """

    __slots__ = ("attrs", "duration", "name", "span", "time")

    def __init__(self, name: str, attrs: dict[str, Any], *, span: Span | None = None,
                 duration: float | None = None, at: float | None = None):
        self.name = name
        self.time = time.time() if at is None else at
        self.attrs = attrs
        self.span = span
        self.duration = duration

    @property
    def trace_id(self) -> str | None:
        return self.span.trace_id if self.span is not None else None

    @property
    def span_id(self) -> str | None:
        return self.span.span_id if self.span is not None else None

    @property
    def parent_id(self) -> str | None:
        return self.span.parent_id if self.span is not None else None

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
    """Subscriptions, with the handlers for each event name cached (rebuilt on attach/detach):
    emitting is a dict lookup and takes no lock."""

    def __init__(self) -> None:
        self._subs: tuple[_Subscription, ...] = ()
        self._routes: dict[str, tuple[Handler, ...]] = {}
        self._lock = threading.Lock()
        self.enabled = True

    def attach(self, handler: Handler, events: Iterable[str] | None = None) -> Handler:
        """Call `handler(event)` for every event, or only those named in `events`
        (exact names, or prefixes ending in `*` such as "lm.*")."""
        with self._lock:
            self._subs = (*self._subs, _Subscription(handler, events))
            self._routes = {}
        return handler

    def detach(self, handler: Handler) -> None:
        with self._lock:
            self._subs = tuple(s for s in self._subs if s.handler is not handler)
            self._routes = {}

    def route(self, name: str) -> tuple[Handler, ...]:
        """The handlers that want events of this name (empty when disabled)."""
        if not self.enabled:
            return ()
        handlers = self._routes.get(name)
        if handlers is None:
            handlers = tuple(s.handler for s in self._subs if s.wants(name))
            self._routes[name] = handlers
        return handlers

    def deliver(self, handlers: tuple[Handler, ...], event: Event) -> None:
        for handler in handlers:
            try:
                handler(event)
            except Exception as exc:
                self.detach(handler)
                warnings.warn(
                    f"telemetry handler {handler!r} raised {type(exc).__name__}: {exc}; "
                    f"it has been detached",
                    RuntimeWarning,
                    stacklevel=2,
                )

    def emit(self, event: Event) -> None:
        handlers = self.route(event.name)
        if handlers:
            self.deliver(handlers, event)


bus = EventBus()


def attach(handler: Handler, events: Iterable[str] | None = None) -> Handler:
    """Call `handler(event)` for every event, or only those named in `events` (exact names,
    or prefixes ending in `*` such as "lm.*"); returns the handler, for `detach`."""
    return bus.attach(handler, events)


def detach(handler: Handler) -> None:
    """Stop calling `handler` (attached with `attach`)."""
    bus.detach(handler)
