"""An in-process aggregator of LM calls over rolling windows, retrieval searches, and the
programs in flight.

Attached to the bus when telemetry is imported, so the dashboard and `snapshot()` see everything
from the start. Keeps at most `max_samples` recent LM calls (a bounded deque) and running totals;
per retriever, running totals and the latencies of its last `RECENT_SEARCHES` searches.
"""

from __future__ import annotations

import bisect
import copy
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dspex_nb.telemetry import spans
from dspex_nb.telemetry.events import Event, Handler, bus

if TYPE_CHECKING:
    import pandas as pd


# Latency histogram bounds in seconds (Prometheus' defaults, widened for LM calls that take
# minutes): a call is counted in the first bucket whose bound it does not exceed.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
                   120.0)


@dataclass(slots=True)
class Histogram:
    """Counts per latency bucket (the last one is +Inf), their sum and count: O(log b) to add."""

    counts: list[int] = field(default_factory=lambda: [0] * (len(LATENCY_BUCKETS) + 1))
    total: float = 0.0
    count: int = 0

    def add(self, seconds: float) -> None:
        self.counts[bisect.bisect_left(LATENCY_BUCKETS, seconds)] += 1
        self.total += seconds
        self.count += 1


@dataclass(slots=True)
class ModelTotals:
    """Running totals for one model since the aggregator started (O(1) per event)."""

    server: str = ""
    provider: str = ""
    calls: int = 0
    cached: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    retries: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    latency: Histogram = field(default_factory=Histogram)  # answered calls, not cache hits

    def add(self, s: LMSample) -> None:
        self.server = s.server
        self.provider = s.provider
        self.calls += 1
        self.cached += s.cached
        if s.error_type:
            self.errors[s.error_type] += 1
        self.retries += s.retries
        self.prompt_tokens += s.prompt_tokens
        self.completion_tokens += s.completion_tokens
        self.cost_usd += s.cost_usd
        if not s.cached and s.error_type is None:
            self.latency.add(s.latency_s)


RECENT_SEARCHES = 500  # latency percentiles of retrieval are over this many searches


@dataclass(slots=True)
class RetrievalTotals:
    """Running totals for one retriever: searches (one `retrieve` span each, batched or not),
    the queries in them, documents found, errors by type, and recent latencies."""

    searches: int = 0
    queries: int = 0
    documents: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    latencies_s: deque[float] = field(default_factory=lambda: deque(maxlen=RECENT_SEARCHES))
    latency: Histogram = field(default_factory=Histogram)

    def add(self, event: Event) -> None:
        a = event.attrs
        self.searches += 1
        self.queries += int(a.get("queries", 1))
        if event.name == "retrieve.exception":
            self.errors[str(a.get("error_type", "Exception"))] += 1
            return
        self.documents += int(a.get("count", 0))
        self.latencies_s.append(event.duration or 0.0)
        self.latency.add(event.duration or 0.0)


@dataclass(slots=True)
class ProgramTotals:
    """Running totals for one program (top-level module or predictor calls)."""

    calls: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    latency: Histogram = field(default_factory=Histogram)


@dataclass(slots=True)
class LMSample:
    seq: int
    time: float
    model: str
    server: str
    provider: str
    latency_s: float
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    cached: bool
    retries: int
    error_type: str | None


class MetricsAggregator:
    """Rolling windows and running totals of LM calls, retrieval searches and cache errors,
    per model: what `dx.telemetry.snapshot()`, the dashboard and `/metrics` read. It is an
    event handler: called with each telemetry `event`. It keeps the `max_samples` most recent
    LM calls for its windows."""

    # Retries and cache hits arrive as attributes of lm.stop: no events of their own needed;
    # programs in flight are counted by the spans themselves (spans.running_programs).
    EVENTS = ("lm.stop", "lm.exception", "retrieve.stop", "retrieve.exception", "cache.error",
              "cache.miss")

    def __init__(self, max_samples: int = 100_000):
        self._lock = threading.Lock()
        self.samples: deque[LMSample] = deque(maxlen=max_samples)
        self.totals: dict[str, ModelTotals] = {}
        self.retrievers: dict[str, RetrievalTotals] = {}
        self.cache_errors: Counter[str] = Counter()  # by layer: calls went on without it
        self.cache_misses: Counter[str] = Counter()  # by model
        self.programs: dict[str, ProgramTotals] = {}  # once track_programs() is called
        self._tracking_programs = False
        self._program_handler: Handler = self._program_event
        self.seq = 0
        self.started = time.time()

    def __call__(self, event: Event) -> None:
        a = event.attrs
        if event.name == "cache.error":
            with self._lock:
                self.cache_errors[str(a.get("layer", "?"))] += 1
            return
        if event.name == "cache.miss":
            with self._lock:
                self.cache_misses[str(a.get("model", "?"))] += 1
            return
        if event.name.startswith("retrieve."):
            name = str(a.get("retriever", "?"))
            with self._lock:
                found = self.retrievers.get(name)
                if found is None:
                    found = self.retrievers[name] = RetrievalTotals()
                found.add(event)
            return
        sample = LMSample(
            seq=0, time=event.time, model=str(a.get("model", "?")),
            server=str(a.get("server", "")), provider=str(a.get("provider", "")),
            latency_s=event.duration or 0.0,
            prompt_tokens=int(a.get("prompt_tokens", 0)),
            completion_tokens=int(a.get("completion_tokens", 0)),
            cost_usd=float(a.get("cost_usd", 0.0)), cached=bool(a.get("cached", False)),
            retries=int(a.get("retries", 0)),
            error_type=a.get("error_type") if event.name == "lm.exception" else None,
        )
        with self._lock:
            sample.seq = self.seq
            self.seq += 1
            self.samples.append(sample)
            totals = self.totals.get(sample.model)
            if totals is None:  # not setdefault: that would build a ModelTotals every call
                totals = self.totals[sample.model] = ModelTotals()
            totals.add(sample)

    @property
    def running_programs(self) -> int:
        """Program calls in flight now (module and predictor calls not nested in another)."""
        return len(spans.running_programs)


    def recent(self, window_s: float | None = None) -> list[LMSample]:
        with self._lock:
            samples = list(self.samples)
        if window_s is None:
            return samples
        since = time.time() - window_s
        return [s for s in samples if s.time >= since]

    def snapshot(self, window_s: float | None = 60.0) -> pd.DataFrame:
        """Per model (and "all"): calls, calls/s, latency p50/p95, errors by type, retries,
        tokens, cost and cache hit rate over the last `window_s` seconds (None: since start)."""
        import pandas as pd

        samples = self.recent(window_s)
        span = window_s if window_s is not None else max(time.time() - self.started, 1e-9)
        groups: dict[str, list[LMSample]] = {}
        for s in samples:
            groups.setdefault(s.model, []).append(s)
        rows = [self._row(model, group, span) for model, group in sorted(groups.items())]
        if len(groups) != 1:
            rows.append(self._row("all", samples, span))
        frame = pd.DataFrame(rows).set_index("model") if rows else pd.DataFrame(
            columns=list(self._row("all", [], span))).set_index("model")
        frame.attrs["running_programs"] = self.running_programs
        frame.attrs["cache_errors"] = sum(self.cache_errors.values())
        frame.attrs["window_s"] = window_s
        return frame

    @staticmethod
    def _row(model: str, group: list[LMSample], span: float) -> dict[str, Any]:
        real = [s for s in group if not s.cached and s.error_type is None]
        latencies = sorted(s.latency_s for s in real)
        errors = Counter(s.error_type for s in group if s.error_type)
        cached = sum(s.cached for s in group)
        return {
            "model": model,
            "calls": len(group),
            "calls_per_s": len(group) / span if span else 0.0,
            "p50_ms": _quantile(latencies, 0.5) * 1000 if latencies else None,
            "p95_ms": _quantile(latencies, 0.95) * 1000 if latencies else None,
            "errors": sum(errors.values()),
            "error_rate": sum(errors.values()) / len(group) if group else 0.0,
            "errors_by_type": dict(errors),
            "retries": sum(s.retries for s in group),
            "prompt_tokens": sum(s.prompt_tokens for s in group),
            "completion_tokens": sum(s.completion_tokens for s in group),
            "cost_usd": sum(s.cost_usd for s in group),
            "cache_hit_rate": cached / len(group) if group else 0.0,
        }

    def summary(self, latency_window: int = 500) -> dict[str, Any]:
        """Totals since start (all models, and per model with recent latency percentiles):
        what the dashboard shows. Cheap: running totals plus the last `latency_window` calls."""
        with self._lock:
            totals = {m: (t.server, t.calls, t.cached, dict(t.errors), t.retries,
                          t.prompt_tokens, t.completion_tokens, t.cost_usd)
                      for m, t in self.totals.items()}
            recent = list(self.samples)[-latency_window:]
            cache_errors = dict(self.cache_errors)
        running = len(spans.running_programs)
        models: list[dict[str, Any]] = []
        all_calls = all_cached = all_errors = all_retries = all_pt = all_ct = 0
        all_cost = 0.0
        for model, (server, calls, cached, errors, retries, pt, ct, cost) in sorted(totals.items()):
            lat = sorted(s.latency_s for s in recent
                         if s.model == model and not s.cached and s.error_type is None)
            n_errors = sum(errors.values())
            models.append({
                "model": model, "server": server, "calls": calls, "errors": n_errors,
                "errors_by_type": errors, "retries": retries, "prompt_tokens": pt,
                "completion_tokens": ct, "cost_usd": cost,
                "cache_hit_rate": cached / calls if calls else 0.0,
                "p50_ms": _quantile(lat, 0.5) * 1000 if lat else None,
                "p95_ms": _quantile(lat, 0.95) * 1000 if lat else None,
            })
            all_calls += calls
            all_cached += cached
            all_errors += n_errors
            all_retries += retries
            all_pt += pt
            all_ct += ct
            all_cost += cost
        return {
            "retrieval": self.retrieval_summary(),
            "totals": {
                "running_programs": running, "calls": all_calls, "errors": all_errors,
                "error_rate": all_errors / all_calls if all_calls else 0.0,
                "retries": all_retries, "prompt_tokens": all_pt, "completion_tokens": all_ct,
                "cost_usd": all_cost,
                "cache_hit_rate": all_cached / all_calls if all_calls else 0.0,
                "cache_errors": sum(cache_errors.values()),
                "cache_errors_by_layer": cache_errors,
            },
            "models": models,
        }

    def retrieval_summary(self) -> dict[str, Any]:
        """Searches since start, all retrievers and per retriever, with latency p50/p95 over
        each retriever's recent searches (and over all of them together)."""
        with self._lock:
            rows = [(name, t.searches, t.queries, t.documents, dict(t.errors),
                     sorted(t.latencies_s)) for name, t in sorted(self.retrievers.items())]
        retrievers = [{
            "retriever": name, "searches": searches, "queries": queries, "documents": documents,
            "errors": sum(errors.values()), "errors_by_type": errors,
            "p50_ms": _quantile(lat, 0.5) * 1000 if lat else None,
            "p95_ms": _quantile(lat, 0.95) * 1000 if lat else None,
        } for name, searches, queries, documents, errors, lat in rows]
        every = sorted(x for *_, lat in rows for x in lat)
        return {
            "searches": sum(r["searches"] for r in retrievers),
            "queries": sum(r["queries"] for r in retrievers),
            "errors": sum(r["errors"] for r in retrievers),
            "p50_ms": _quantile(every, 0.5) * 1000 if every else None,
            "p95_ms": _quantile(every, 0.95) * 1000 if every else None,
            "retrievers": retrievers,
        }

    PROGRAM_EVENTS = ("module.stop", "module.exception", "predict.stop", "predict.exception")

    def track_programs(self) -> None:
        """Also count program calls and their latency, per program (what a metrics endpoint
        exposes). Off until asked: it is an event per predictor call, the hottest path."""
        with self._lock:
            if self._tracking_programs:
                return
            self._tracking_programs = True
        self._program_handler = bus.attach(self._program_event, self.PROGRAM_EVENTS)

    def stop_tracking_programs(self) -> None:
        with self._lock:
            self._tracking_programs = False
        bus.detach(self._program_handler)

    def _program_event(self, event: Event) -> None:
        span = event.span
        if span is None or (span.parent is not None
                            and span.parent.kind in spans.PROGRAM_KINDS):
            return  # a call inside a program: the program's own call counts
        with self._lock:
            found = self.programs.get(span.name)
            if found is None:
                found = self.programs[span.name] = ProgramTotals()
            found.calls += 1
            if event.name.endswith(".exception"):
                found.errors[str(event.attrs.get("error_type", "Exception"))] += 1
            else:
                found.latency.add(event.duration or 0.0)

    def counters(self) -> dict[str, Any]:
        """A consistent copy of every running total (what a metrics endpoint exposes):
        `models` (model -> ModelTotals), `retrievers` (name -> RetrievalTotals),
        `cache_errors` (layer -> n), `cache_misses` (model -> n), `running_programs`."""
        with self._lock:  # read at scrape time, a few times a minute: a deep copy is cheap
            models, retrievers, programs, cache_errors, cache_misses = copy.deepcopy((
                self.totals, self.retrievers, self.programs, self.cache_errors,
                self.cache_misses))
        return {"models": models, "retrievers": retrievers, "programs": programs,
                "cache_errors": dict(cache_errors), "cache_misses": dict(cache_misses),
                "running_programs": len(spans.running_programs)}

    def latency_points(self, since: int, limit: int) -> list[dict[str, Any]]:
        """The answered calls (not cache hits or failures) among the newest with sequence
        number >= `since`, as the dashboard's chart reads them."""
        return [{"seq": s.seq, "t": s.time * 1000, "model": s.model,
                 "latency_ms": s.latency_s * 1000}
                for s in self.samples_since(since, limit) if not s.cached and s.error_type is None]

    def samples_since(self, seq: int, limit: int) -> list[LMSample]:
        """The newest calls with sequence number >= seq, at most `limit`."""
        with self._lock:
            fresh = [s for s in reversed(self.samples) if s.seq >= seq][:limit]
        return fresh[::-1]

    def reset(self) -> None:
        with self._lock:
            self.totals.clear()
            self.retrievers.clear()
            self.cache_errors.clear()
            self.cache_misses.clear()
            self.programs.clear()
            self.samples.clear()
            self.started = time.time()


def _quantile(sorted_values: list[float], q: float) -> float:
    """Linear-interpolation quantile of already sorted values."""
    if len(sorted_values) == 1:
        return sorted_values[0]
    pos = q * (len(sorted_values) - 1)
    low = int(pos)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (pos - low)
