"""Telemetry: one event stream for everything that happens, spans that make each program call
a tree, and metrics over rolling windows. Widgets, the dashboard and exporters all read it.

    dx.telemetry.attach(handler, events=["lm.*"])   # handler(event) for every LM event
    with dx.trace() as t: program(question="...")   # t.root is the span tree
    dx.telemetry.snapshot()                          # DataFrame: latency, tokens, cost per model
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dspex_nb.telemetry.aggregator import MetricsAggregator
from dspex_nb.telemetry.events import Event, EventBus, Handler, attach, bus, detach
from dspex_nb.telemetry.spans import Span, current_span, emit, span, traced
from dspex_nb.telemetry.tracing import Trace, last_trace, trace

if TYPE_CHECKING:
    import pandas as pd

metrics = MetricsAggregator()
bus.attach(metrics, MetricsAggregator.EVENTS)


def snapshot(window_s: float | None = 60.0) -> pd.DataFrame:
    """Metrics per model over the last `window_s` seconds (None: since the process started)."""
    return metrics.snapshot(window_s)


def export_to_opentelemetry(tracer_provider: object = None, *,
                            capture_content: bool = False) -> Handler:
    """Mirror spans into OpenTelemetry (needs the `otel` extra) through `tracer_provider`
    (default: the global one); prompts and replies are exported only with
    `capture_content=True`. See telemetry/otel.py."""
    from dspex_nb.telemetry.otel import export_to_opentelemetry as export

    return export(tracer_provider, capture_content=capture_content)


def serve(*, port: int = 0, host: str = "127.0.0.1") -> Any:
    """Serve this process's metrics over HTTP on `host:port` (loopback by default; 0 picks a
    free port): `/metrics` for Prometheus, `/snapshot` for `dx.dashboard(source=url)`.
    Returns the running server (`.url`, `.stop()`); see telemetry/endpoint.py.
    (prometheus_client loads on first use.)"""
    from dspex_nb.telemetry.endpoint import serve as start

    return start(port=port, host=host)


def enable() -> None:
    """Turn spans and events on again (they are on by default)."""
    bus.enabled = True


def disable() -> None:
    """Turn spans and events off (the program runs the same, unobserved)."""
    bus.enabled = False


def enabled() -> bool:
    """Whether spans and events are on."""
    return bus.enabled


__all__ = [
    "Event",
    "EventBus",
    "MetricsAggregator",
    "Span",
    "Trace",
    "attach",
    "bus",
    "current_span",
    "detach",
    "disable",
    "emit",
    "enable",
    "enabled",
    "export_to_opentelemetry",
    "last_trace",
    "metrics",
    "serve",
    "snapshot",
    "span",
    "trace",
    "traced",
]
