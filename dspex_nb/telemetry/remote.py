"""The metrics of another process, read from its endpoint (`dx.telemetry.serve`): what
`dx.dashboard(source=url)` shows. Polled, never pushed: a process that stops answering is
"disconnected" and asked again later, less often the longer it stays down (0.5 s doubling to
10 s); one that comes back, even restarted, is "live" again."""

from __future__ import annotations

import itertools
import time
from collections import deque
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx

from dspex_nb.errors import ArgumentError
from dspex_nb.telemetry.aggregator import MetricsAggregator

MAX_BACKOFF_S = 10.0


def empty_summary() -> dict[str, Any]:
    """The summary of a process that has done nothing yet (the aggregator's own shape)."""
    summary = MetricsAggregator().summary()
    summary["totals"]["running_programs"] = 0  # not this process's programs
    return summary


class RemoteMetrics:
    """One remote process's metrics, as of the last successful poll."""

    def __init__(self, url: str, *, timeout: float = 2.0, window: int = 300,
                 numbering: Iterator[int] | None = None):
        if not isinstance(url, str):
            raise ArgumentError(f"source is a URL such as 'http://127.0.0.1:9464', not "
                                f"{type(url).__name__}")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ArgumentError(f"source is an http(s) URL of a metrics endpoint "
                                f"(dx.telemetry.serve), not {url!r:.80}")
        self.url = url.rstrip("/")
        self.where = parts.netloc  # host:port, naming this process's rows beside others
        self.state = "connecting"
        self.error: str | None = None
        self.retry_in_s: float | None = None
        self.summary: dict[str, Any] = empty_summary()
        self.points: deque[dict[str, Any]] = deque(maxlen=window)
        self._numbering = numbering or itertools.count()  # points' seq, unique per dashboard
        self._client = httpx.Client(timeout=timeout)
        self._since = 0
        self._process: tuple[Any, Any] | None = None
        self._failures = 0
        self._next_try = 0.0

    def poll(self) -> bool:
        """Ask for what is new, unless backing off; True if anything shown changed."""
        now = time.monotonic()
        if now < self._next_try:
            return False
        try:
            data = self._fetch(self._since)
            process = (data.get("pid"), data.get("started"))
            if process != self._process:  # first contact, or the process restarted
                if self._process is not None:
                    self.points.clear()
                self._process = process
                data = self._fetch(0) if self._since else data
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
            return self._down(now, exc)
        self._failures, self.state, self.error, self.retry_in_s = 0, "live", None, None
        for point in data["points"]:
            self.points.append({**point, "seq": next(self._numbering)})
        self._since = int(data["seq"])
        self.summary = data["summary"]
        return True

    def _fetch(self, since: int) -> dict[str, Any]:
        response = self._client.get(f"{self.url}/snapshot", params={"since": since})
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        if not isinstance(data.get("points"), list) or not isinstance(data.get("summary"), dict):
            raise ValueError("not a dspex_nb metrics snapshot")
        return data

    def _down(self, now: float, exc: Exception) -> bool:
        self._failures += 1
        self.retry_in_s = min(0.5 * 2 ** (self._failures - 1), MAX_BACKOFF_S)
        self._next_try = now + self.retry_in_s
        self.state = "disconnected"
        self.error = f"{type(exc).__name__}: {str(exc)[:160]}"
        return True  # the state, or at least the retry countdown, changed

    def status(self) -> dict[str, Any]:
        return {"url": self.url, "state": self.state, "error": self.error,
                "retry_in_s": self.retry_in_s}

    def close(self) -> None:
        self._client.close()

    def __repr__(self) -> str:
        return f"RemoteMetrics({self.url!r}, {self.state})"


def combined(sources: list[RemoteMetrics]) -> dict[str, Any]:
    """The dashboard's summary for several processes: totals summed (rates weighted by
    calls), a row per model and per retriever of each process (named by its host when there
    are several)."""
    if len(sources) == 1:
        return sources[0].summary
    out = empty_summary()
    totals, calls = out["totals"], 0
    hit_calls = error_calls = 0.0
    for source in sources:
        t = source.summary.get("totals", {})
        n = int(t.get("calls", 0))
        calls += n
        hit_calls += float(t.get("cache_hit_rate", 0.0)) * n
        error_calls += float(t.get("error_rate", 0.0)) * n
        for key in ("running_programs", "calls", "errors", "retries", "prompt_tokens",
                    "completion_tokens", "cost_usd", "cache_errors"):
            totals[key] += t.get(key, 0)
        where = source.where
        out["models"] += [{**m, "model": f"{m['model']} ({where})"}
                          for m in source.summary.get("models", [])]
        r = source.summary.get("retrieval", {})
        for key in ("searches", "queries", "errors"):
            out["retrieval"][key] += r.get(key, 0)
        out["retrieval"]["retrievers"] += [{**x, "retriever": f"{x['retriever']} ({where})"}
                                           for x in r.get("retrievers", [])]
    totals["cache_hit_rate"] = hit_calls / calls if calls else 0.0
    totals["error_rate"] = error_calls / calls if calls else 0.0
    return out
