"""Spans: timed, nested operations. One `program(...)` call becomes a tree:
module -> predict -> lm -> (cache, http attempts).

The current span lives in a contextvar, so parent links stay right across threads and asyncio
tasks (the engine copies the caller's context on every hop). Each span emits `<kind>.start`
and then `<kind>.stop` or `<kind>.exception` on the event bus.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import random
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from dspex_nb.telemetry.events import Event, bus

_current: contextvars.ContextVar[Span | None] = contextvars.ContextVar(
    "dspex_nb_span", default=None)
_last_root: Span | None = None
# Program calls in flight: module/predictor spans not nested in another one. Kept here, one
# dict operation per span (atomic under the GIL), rather than by events: two fewer events per
# predictor call on the hottest path (a cache hit).
PROGRAM_KINDS = frozenset(("module", "predict"))
running_programs: dict[Span, str] = {}


class Span:
    """A timed operation of a `kind` ("lm", "module", "tool"...) called `name`, with `attrs`;
    also its own context manager (one object per span on a hot path)."""

    __slots__ = ("_perf", "_span_id", "_token", "_trace_id", "attrs", "children", "duration",
                 "error", "kind", "name", "parent", "start_time")

    def __init__(self, kind: str, name: str, attrs: dict[str, Any]):
        self.kind = kind
        self.name = name
        self.attrs = attrs
        self.parent: Span | None = None
        self.children: list[Span] = []
        self.duration: float | None = None
        self.error: str | None = None
        self._span_id: str | None = None
        self._trace_id: str | None = None

    def __enter__(self) -> Span:
        self.parent = parent = _current.get()
        if parent is not None:
            parent.children.append(self)
        if self.kind in PROGRAM_KINDS and (parent is None or parent.kind not in PROGRAM_KINDS):
            running_programs[self] = self.name
        self.start_time = time.time()
        self._perf = time.perf_counter()
        self._token = _current.set(self)
        name = self.kind + ".start"
        handlers = bus.route(name)
        if handlers:
            bus.deliver(handlers, Event(name, self.attrs, span=self, at=self.start_time))
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: object) -> None:
        self.duration = time.perf_counter() - self._perf
        _current.reset(self._token)
        if self.kind in PROGRAM_KINDS:
            running_programs.pop(self, None)
        if exc is not None:
            self.error = f"{type(exc).__name__}: {exc}"
            self.attrs["error_type"] = type(exc).__name__
        if self.parent is None:
            global _last_root
            _last_root = self
        name = self.kind + (".exception" if exc is not None else ".stop")
        handlers = bus.route(name)
        if handlers:
            bus.deliver(handlers, Event(name, self.attrs, span=self, duration=self.duration))

    # Ids are made on first read: most spans of a hot loop are never exported or shown.
    @property
    def span_id(self) -> str:
        if self._span_id is None:
            self._span_id = f"{random.getrandbits(64):016x}"
        return self._span_id

    @property
    def trace_id(self) -> str:
        if self._trace_id is None:
            self._trace_id = (self.parent.trace_id if self.parent is not None
                              else f"{random.getrandbits(128):032x}")
        return self._trace_id

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


class _Disabled:
    """What `span()` gives while telemetry is off: enters as None, records nothing."""

    __slots__ = ()

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


_DISABLED = _Disabled()


def span(kind: str, name: str, **attrs: Any) -> Span | _Disabled:
    """Time an operation as a span of `kind`, called `name`, under the current one (a tool
    call, a retrieval, ...):
    `with span("tool", "search") as s:`; `s` is None while telemetry is disabled."""
    if not bus.enabled:
        return _DISABLED
    return Span(kind, name, attrs)


F = TypeVar("F", bound=Callable[..., Any])


def traced(kind: str = "tool", name: str | None = None) -> Callable[[F], F]:
    """Decorate a function (sync or async) so each call is a span: `@dx.telemetry.traced()`
    makes a tool call emit tool.start / tool.stop / tool.exception under the current span.
    `kind` is the span kind; `name` defaults to the function's name."""

    def wrap(fn: F) -> F:
        label = name or str(getattr(fn, "__qualname__", repr(fn)))
        if inspect.iscoroutinefunction(fn):
            @functools.wraps(fn)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                with span(kind, label) as s:
                    result = await fn(*args, **kwargs)
                    if s is not None:
                        s.set(result=result)
                    return result

            return run_async  # type: ignore[return-value]

        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:
            with span(kind, label) as s:
                result = fn(*args, **kwargs)
                if s is not None:
                    s.set(result=result)
                return result

        return run  # type: ignore[return-value]

    return wrap


def current_span() -> Span | None:
    """The span open in this task or thread (None outside any program call)."""
    return _current.get()


def emit(name: str, **attrs: Any) -> None:
    """Emit a standalone event `name` (not a span) in the current span, if anyone listens
    for it."""
    handlers = bus.route(name)
    if handlers:
        bus.deliver(handlers, Event(name, attrs, span=_current.get()))


def last_root() -> Span | None:
    return _last_root
