"""The metrics aggregator in Prometheus' text format (through `prometheus_client`), read at
scrape time from its running totals: a scrape costs the program nothing between scrapes.

Names follow Prometheus' conventions (`dspex_` prefix, base units, `_total` on counters).
Labels are model and provider names, error types, cache layers, retriever and program names:
never a prompt, an output, a URL or a key.

| metric | type | labels |
|---|---|---|
| `dspex_lm_calls_total` | counter | model, provider |
| `dspex_lm_cache_hits_total` | counter | model, provider |
| `dspex_lm_cache_misses_total` | counter | model |
| `dspex_lm_errors_total` | counter | model, provider, error_type |
| `dspex_lm_retries_total` | counter | model, provider |
| `dspex_lm_prompt_tokens_total` | counter | model, provider |
| `dspex_lm_completion_tokens_total` | counter | model, provider |
| `dspex_lm_cost_usd_total` | counter | model, provider |
| `dspex_lm_latency_seconds` | histogram | model, provider (answered calls, not hits) |
| `dspex_cache_errors_total` | counter | layer |
| `dspex_retrieval_searches_total` | counter | retriever |
| `dspex_retrieval_queries_total` | counter | retriever |
| `dspex_retrieval_errors_total` | counter | retriever, error_type |
| `dspex_retrieval_latency_seconds` | histogram | retriever |
| `dspex_program_calls_total` | counter | program |
| `dspex_program_errors_total` | counter | program, error_type |
| `dspex_program_latency_seconds` | histogram | program |
| `dspex_programs_in_flight` | gauge | |
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from dspex_nb.telemetry.aggregator import LATENCY_BUCKETS, Histogram, MetricsAggregator

CONTENT_TYPE = CONTENT_TYPE_LATEST


def _buckets(h: Histogram) -> list[tuple[str, float]]:
    cumulative, out = 0, list[tuple[str, float]]()
    for bound, count in zip([*map(str, LATENCY_BUCKETS), "+Inf"], h.counts, strict=True):
        cumulative += count
        out.append((bound, cumulative))
    return out


class _Collector:
    def __init__(self, aggregator: MetricsAggregator):
        self.aggregator = aggregator

    def collect(self) -> Iterator[Metric]:
        c: dict[str, Any] = self.aggregator.counters()
        lm = ["model", "provider"]
        families = {
            "calls": CounterMetricFamily("dspex_lm_calls", "LM calls made, cache hits "
                                         "included", labels=lm),
            "cached": CounterMetricFamily("dspex_lm_cache_hits", "LM calls answered from the "
                                          "cache", labels=lm),
            "retries": CounterMetricFamily("dspex_lm_retries", "Retries of LM requests",
                                           labels=lm),
            "prompt": CounterMetricFamily("dspex_lm_prompt_tokens", "Prompt tokens spent",
                                          labels=lm),
            "completion": CounterMetricFamily("dspex_lm_completion_tokens",
                                              "Completion tokens spent", labels=lm),
            "cost": CounterMetricFamily("dspex_lm_cost_usd", "Estimated cost in US dollars",
                                        labels=lm),
        }
        errors = CounterMetricFamily("dspex_lm_errors", "LM calls that failed, by error type",
                                     labels=[*lm, "error_type"])
        latency = HistogramMetricFamily("dspex_lm_latency_seconds", "Latency of answered LM "
                                        "calls (not cache hits)", labels=lm)
        for model, t in sorted(c["models"].items()):
            labels = [model, t.provider]
            for key, value in (("calls", t.calls), ("cached", t.cached),
                               ("retries", t.retries), ("prompt", t.prompt_tokens),
                               ("completion", t.completion_tokens), ("cost", t.cost_usd)):
                families[key].add_metric(labels, value)
            for error_type, n in sorted(t.errors.items()):
                errors.add_metric([*labels, error_type], n)
            latency.add_metric(labels, _buckets(t.latency), t.latency.total)
        yield from families.values()
        yield errors
        yield latency

        misses = CounterMetricFamily("dspex_lm_cache_misses", "LM calls the cache did not "
                                     "answer (with a cache on)", labels=["model"])
        for model, n in sorted(c["cache_misses"].items()):
            misses.add_metric([model], n)
        yield misses
        cache_errors = CounterMetricFamily("dspex_cache_errors", "Cache layer failures; the "
                                           "calls went on without it", labels=["layer"])
        for layer, n in sorted(c["cache_errors"].items()):
            cache_errors.add_metric([layer], n)
        yield cache_errors

        searches = CounterMetricFamily("dspex_retrieval_searches", "Retrieval searches "
                                       "(a batch is one)", labels=["retriever"])
        queries = CounterMetricFamily("dspex_retrieval_queries", "Queries searched",
                                      labels=["retriever"])
        r_errors = CounterMetricFamily("dspex_retrieval_errors", "Searches that failed",
                                       labels=["retriever", "error_type"])
        r_latency = HistogramMetricFamily("dspex_retrieval_latency_seconds",
                                          "Latency of retrieval searches", labels=["retriever"])
        for name, t in sorted(c["retrievers"].items()):
            searches.add_metric([name], t.searches)
            queries.add_metric([name], t.queries)
            for error_type, n in sorted(t.errors.items()):
                r_errors.add_metric([name, error_type], n)
            r_latency.add_metric([name], _buckets(t.latency), t.latency.total)
        yield from (searches, queries, r_errors, r_latency)

        p_calls = CounterMetricFamily("dspex_program_calls", "Program calls (top-level "
                                      "module or predictor calls)", labels=["program"])
        p_errors = CounterMetricFamily("dspex_program_errors", "Program calls that raised",
                                       labels=["program", "error_type"])
        p_latency = HistogramMetricFamily("dspex_program_latency_seconds",
                                          "Latency of program calls that returned",
                                          labels=["program"])
        for name, t in sorted(c["programs"].items()):
            p_calls.add_metric([name], t.calls)
            for error_type, n in sorted(t.errors.items()):
                p_errors.add_metric([name, error_type], n)
            p_latency.add_metric([name], _buckets(t.latency), t.latency.total)
        yield from (p_calls, p_errors, p_latency)
        yield GaugeMetricFamily("dspex_programs_in_flight", "Program calls running now",
                                value=c["running_programs"])


def render(aggregator: MetricsAggregator) -> bytes:
    """The aggregator's totals now, in Prometheus' text exposition format."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Collector(aggregator))
    data: bytes = generate_latest(registry)
    return data
