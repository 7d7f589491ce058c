"""`dx.dashboard()`: live telemetry in a notebook cell, updating while other cells run.

A daemon thread reads the metrics aggregator at most 4 times a second and sets the widget's
traits (only when something changed); the front end streams new latency points into the
existing chart. Closing the widget stops the thread.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

import anywidget
import traitlets

from dspex_nb.telemetry import MetricsAggregator
from dspex_nb.telemetry import metrics as default_metrics
from dspex_nb.views.widgets._static import bundle

MIN_INTERVAL = 0.25  # at most 4 updates per second


class Dashboard(anywidget.AnyWidget):
    _esm = bundle("charts")  # one bundle for the Vega widgets: Vega ships once
    _widget = traitlets.Unicode("dashboard").tag(sync=True)
    stats = traitlets.Dict().tag(sync=True)
    latency_points: traitlets.List[dict[str, Any]] = traitlets.List().tag(sync=True)

    def __init__(self, *, interval: float = 0.5, window: int = 300,
                 aggregator: MetricsAggregator | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.interval = max(MIN_INTERVAL, interval)
        self.window = window
        self._metrics = aggregator or default_metrics
        self._stop = threading.Event()
        self._last_seq = -1
        self._last_stats: dict[str, Any] | None = None
        self.refresh()
        threading.Thread(target=_updater, args=(weakref.ref(self), self._stop, self.interval),
                         name="dspex_nb-dashboard", daemon=True).start()

    def refresh(self) -> bool:
        """Pull the latest figures into the traits; True if anything changed."""
        stats = self._metrics.summary()
        points = self._metrics.samples_since(0, self.window)
        newest = points[-1].seq if points else -1
        changed = stats != self._last_stats or newest != self._last_seq
        if not changed:
            return False
        with self.hold_sync():
            self.stats = stats
            if newest != self._last_seq:
                self.latency_points = [
                    {"seq": s.seq, "t": s.time * 1000, "model": s.model,
                     "latency_ms": s.latency_s * 1000}
                    for s in points if not s.cached and s.error_type is None
                ]
        self._last_stats, self._last_seq = stats, newest
        return True

    def close(self) -> None:
        self._stop.set()
        super().close()

    def __repr__(self) -> str:
        summary = self._metrics.summary()
        t = summary["totals"]
        return (f"Dashboard(running={t['running_programs']}, calls={t['calls']}, "
                f"tokens={t['prompt_tokens'] + t['completion_tokens']}, "
                f"cost=${t['cost_usd']:.4f}, errors={t['errors']}, "
                f"searches={summary['retrieval']['searches']})")


def _updater(ref: weakref.ref[Dashboard], stop: threading.Event, interval: float) -> None:
    while not stop.wait(interval):
        widget = ref()
        if widget is None:
            return
        try:
            widget.refresh()
        except Exception:  # a closed comm or a kernel shutting down: stop quietly
            return
        del widget


def dashboard(*, interval: float = 0.5) -> Dashboard:
    """A live dashboard of every LM call and retrieval search in this process; show it as a
    cell's value."""
    return Dashboard(interval=interval)
