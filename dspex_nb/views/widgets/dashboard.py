"""`dx.dashboard()`: live telemetry in a notebook cell, updating while other cells run.

A daemon thread reads the metrics aggregator at most 4 times a second and sets the widget's
traits (only when something changed); the front end streams new latency points into the
existing chart. Closing the widget stops the thread.
"""

from __future__ import annotations

import itertools
import threading
import weakref
from typing import Any

import anywidget
import traitlets

from dspex_nb.errors import ArgumentError
from dspex_nb.telemetry import MetricsAggregator
from dspex_nb.telemetry import metrics as default_metrics
from dspex_nb.telemetry.remote import RemoteMetrics, combined
from dspex_nb.views.widgets._static import bundle

MIN_INTERVAL = 0.25  # at most 4 updates per second


class Dashboard(anywidget.AnyWidget):
    """The live telemetry dashboard (`dx.dashboard()` makes one): counters, a latency
    chart, a table per model. It refreshes every `interval` seconds and charts the last
    `window` calls, from `aggregator` (default: this process's), or from the metrics endpoint
    URL(s) `source` of other processes (a running app)."""

    _esm = bundle("charts")  # one bundle for the Vega widgets: Vega ships once
    _widget = traitlets.Unicode("dashboard").tag(sync=True)
    stats = traitlets.Dict().tag(sync=True)
    latency_points: traitlets.List[dict[str, Any]] = traitlets.List().tag(sync=True)
    # Remote processes watched (url, state "connecting"/"live"/"disconnected", error,
    # retry_in_s); empty for this kernel's own calls.
    sources: traitlets.List[dict[str, Any]] = traitlets.List().tag(sync=True)

    def __init__(self, *, interval: float = 0.5, window: int = 300,
                 aggregator: MetricsAggregator | None = None,
                 source: str | list[str] | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.interval = max(MIN_INTERVAL, interval)
        self.window = window
        self._metrics = aggregator or default_metrics
        urls = [source] if isinstance(source, str) else source
        if urls is not None and (not isinstance(urls, list) or not urls):
            raise ArgumentError("source is a metrics endpoint URL or a non-empty list of them")
        numbering = itertools.count()
        self._remote = [RemoteMetrics(u, window=window, numbering=numbering)
                        for u in urls or []]
        self._stop = threading.Event()
        self._last_seq = -1
        self._last_stats: dict[str, Any] | None = None
        self.refresh()
        threading.Thread(target=_updater, args=(weakref.ref(self), self._stop, self.interval),
                         name="dspex_nb-dashboard", daemon=True).start()

    def refresh(self) -> bool:
        """Pull the latest figures into the traits; True if anything changed."""
        if self._remote:
            return self._refresh_remote()
        stats = self._metrics.summary()
        newest = self._metrics.seq - 1
        changed = stats != self._last_stats or newest != self._last_seq
        if not changed:
            return False
        with self.hold_sync():
            self.stats = stats
            if newest != self._last_seq:
                self.latency_points = self._metrics.latency_points(0, self.window)
        self._last_stats, self._last_seq = stats, newest
        return True

    def _refresh_remote(self) -> bool:
        changed = [source.poll() for source in self._remote]
        if not any(changed):
            return False
        several = len(self._remote) > 1  # then each point's model names its process
        points = sorted(({**p, "model": f"{p['model']} ({s.where})"} if several else p
                         for s in self._remote for p in s.points), key=lambda p: p["seq"])
        with self.hold_sync():
            self.sources = [source.status() for source in self._remote]
            self.stats = combined(self._remote)
            self.latency_points = points[-self.window:]
        return True

    def close(self) -> None:
        self._stop.set()
        for source in self._remote:
            source.close()
        super().close()

    def __repr__(self) -> str:
        if self._remote:
            return f"Dashboard(sources={[s.status()['state'] for s in self._remote]})"
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


def dashboard(*, interval: float = 0.5, source: str | list[str] | None = None) -> Dashboard:
    """A live dashboard of every LM call and retrieval search in this process, or of the
    processes serving metrics at `source` (`dx.telemetry.serve`): one URL, or a list shown
    summed with a row per process; show it as a cell's value."""
    return Dashboard(interval=interval, source=source)
