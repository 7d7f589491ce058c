"""Spans: timed, nested operations. One `program(...)` call becomes a tree:
module -> predict -> lm -> (cache, http attempts).

The current span lives in a contextvar, so parent links stay right across threads and asyncio
tasks (the engine copies the caller's context on every hop). Each span emits `<kind>.start`
and then `<kind>.stop` or `<kind>.exception` on the event bus.
"""

from __future__ import annotations

import contextvars
import random
import time
from collections.abc import Iterator
from typing import Any

from dspex_nb.telemetry.events import Event, bus

_current: contextvars.ContextVar[Span | None] = contextvars.ContextVar(
    "dspex_nb_span", default=None)
_last_root: Span | None = None


class Span:
    __slots__ = ("_perf", "attrs", "children", "duration", "error", "kind", "name", "parent",
                 "span_id", "start_time", "trace_id")

    def __init__(self, kind: str, name: str, parent: Span | None, attrs: dict[str, Any]):
        self.kind = kind
        self.name = name
        self.parent = parent
        self.trace_id: str = (parent.trace_id if parent is not None
                              else f"{random.getrandbits(128):032x}")
        self.span_id = f"{random.getrandbits(64):016x}"
        self.attrs = attrs
        self.children: list[Span] = []
        self.start_time = time.time()
        self._perf = time.perf_counter()
        self.duration: float | None = None
        self.error: str | None = None

    @property
    def parent_id(self) -> str | None:
        return self.parent.span_id if self.parent is not None else None

    @property
    def end_time(self) -> float | None:
        return None if self.duration is None else self.start_time + self.duration

    def set(self, **attrs: Any) -> None:
        self.attrs.update(attrs)

    def walk(self) -> Iterator[Span]:
        """This span and all below it, depth first, in start order."""
        yield self
        for child in list(self.children):
            yield from child.walk()

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind, "name": self.name, "trace_id": self.trace_id,
            "span_id": self.span_id, "parent_id": self.parent_id,
            "start_time": self.start_time, "duration": self.duration, "error": self.error,
            "attrs": dict(self.attrs), "children": [c.to_dict() for c in self.children],
        }

    def __repr__(self) -> str:
        ms = "running" if self.duration is None else f"{self.duration * 1000:.1f} ms"
        return f"Span({self.kind}:{self.name}, {ms}, children={len(self.children)})"


class SpanScope:
    """`with span(kind, name, **attrs) as s:`, written as a class: it is on every call's path."""

    __slots__ = ("_attrs", "_kind", "_name", "_span", "_token")

    def __init__(self, kind: str, name: str, attrs: dict[str, Any]):
        self._kind = kind
        self._name = name
        self._attrs = attrs
        self._span: Span | None = None
        self._token: contextvars.Token[Span | None] | None = None

    def __enter__(self) -> Span | None:
        if not bus.enabled:
            return None
        parent = _current.get()
        span = Span(self._kind, self._name, parent, self._attrs)
        if parent is not None:
            parent.children.append(span)
        self._span = span
        self._token = _current.set(span)
        if bus.active:
            bus.emit(Event(f"{self._kind}.start", span.attrs, span=span, at=span.start_time))
        return span

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: object) -> None:
        span = self._span
        if span is None:
            return
        span.duration = time.perf_counter() - span._perf
        if self._token is not None:
            _current.reset(self._token)
        if exc is not None:
            span.error = f"{type(exc).__name__}: {exc}"
            span.attrs["error_type"] = type(exc).__name__
        if span.parent is None:
            global _last_root
            _last_root = span
        if bus.active:
            name = f"{self._kind}.exception" if exc is not None else f"{self._kind}.stop"
            bus.emit(Event(name, span.attrs, span=span, duration=span.duration))


def span(kind: str, name: str, **attrs: Any) -> SpanScope:
    """Time an operation as a span under the current one (a tool call, a retrieval, ...)."""
    return SpanScope(kind, name, attrs)


def current_span() -> Span | None:
    return _current.get()


def last_root() -> Span | None:
    return _last_root
