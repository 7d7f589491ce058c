"""The metrics endpoint: Prometheus text read back by prometheus_client's own parser, the
JSON snapshot, counters that move by exactly the calls made, and labels that never carry a
prompt."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

import dspex_nb as dx
from dspex_nb.telemetry import MetricsAggregator, bus
from dspex_nb.telemetry.endpoint import MetricsServer, metrics_asgi_app

MARKER = "prompt-text-7f3a9c"


@pytest.fixture
def aggregator() -> Iterator[MetricsAggregator]:
    """A fresh aggregator on the bus, so counts are this test's alone."""
    found = MetricsAggregator()
    bus.attach(found, MetricsAggregator.EVENTS)
    yield found
    bus.detach(found)
    found.stop_tracking_programs()


@pytest.fixture
def server(aggregator: MetricsAggregator) -> Iterator[MetricsServer]:
    with MetricsServer(aggregator=aggregator) as running:
        yield running


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def _value(samples: dict[Any, float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


class TwoSteps(dx.Module):
    def __init__(self, lm: dx.BaseLM) -> None:
        self.first = dx.Predict("question -> draft", lm=lm)
        self.second = dx.Predict("question, draft -> answer", lm=lm)

    def forward(self, question: str) -> dx.Prediction:
        return self.second(question=question, draft=self.first(question=question).draft)


def _lm() -> dx.ScriptedLM:
    def answer(request: Any) -> dict[str, str]:
        if "boom" in request.messages[-1]["content"]:
            raise dx.ServerError("scripted failure", status=500)
        return {"draft": "d", "answer": "a"}

    return dx.ScriptedLM(answer, cache=True, tokens=(30, 10))


def test_counters_move_by_exactly_the_calls_made(server: MetricsServer) -> None:
    dx.configure(cache=dx.Cache(layers=[dx.MemoryCache()]))
    program = TwoSteps(_lm())
    for i in range(3):
        program(question=f"q{i} {MARKER}")
    program(question=f"q0 {MARKER}")  # both calls answered from the cache
    with pytest.raises(dx.ServerError):
        program(question="boom")
    samples = _samples(httpx.get(f"{server.url}/metrics").text)
    lm = {"model": "scripted", "provider": "scripted"}
    assert _value(samples, "dspex_lm_calls_total", **lm) == 9  # 3x2 + 2 hits + 1 failure
    assert _value(samples, "dspex_lm_cache_hits_total", **lm) == 2
    assert _value(samples, "dspex_lm_cache_misses_total", model="scripted") == 7
    assert _value(samples, "dspex_lm_errors_total", error_type="ServerError", **lm) == 1
    assert _value(samples, "dspex_lm_prompt_tokens_total", **lm) == 6 * 30
    assert _value(samples, "dspex_lm_completion_tokens_total", **lm) == 6 * 10
    assert _value(samples, "dspex_lm_latency_seconds_count", **lm) == 6
    assert _value(samples, "dspex_lm_latency_seconds_bucket", le="+Inf", **lm) == 6
    assert _value(samples, "dspex_program_calls_total", program="TwoSteps") == 5
    assert _value(samples, "dspex_program_errors_total", program="TwoSteps",
                  error_type="ServerError") == 1
    assert _value(samples, "dspex_program_latency_seconds_count", program="TwoSteps") == 4
    assert _value(samples, "dspex_programs_in_flight") == 0


def test_no_prompt_or_output_text_reaches_a_label(server: MetricsServer) -> None:
    TwoSteps(_lm())(question=f"what about {MARKER}?")
    assert MARKER not in httpx.get(f"{server.url}/metrics").text
    assert MARKER not in httpx.get(f"{server.url}/snapshot").text


def test_the_snapshot_carries_the_summary_and_new_latency_points(
        server: MetricsServer) -> None:
    dx.configure(cache=False)
    program = TwoSteps(_lm())
    program(question="a")
    first = httpx.get(f"{server.url}/snapshot").json()
    assert first["summary"]["totals"]["calls"] == 2 and len(first["points"]) == 2
    program(question="b")
    later = httpx.get(f"{server.url}/snapshot", params={"since": first["seq"]}).json()
    assert [p["seq"] for p in later["points"]] == [first["seq"], first["seq"] + 1]
    assert later["pid"] == first["pid"] and later["started"] == first["started"]


def test_unknown_paths_methods_and_arguments_are_refused(server: MetricsServer) -> None:
    assert httpx.get(f"{server.url}/nothing").status_code == 404
    assert httpx.post(f"{server.url}/metrics").status_code == 405
    bad = httpx.get(f"{server.url}/snapshot", params={"since": "x"})
    assert bad.status_code == 400 and "whole number" in bad.json()["error"]


def test_the_asgi_app_serves_the_same(aggregator: MetricsAggregator) -> None:
    import asyncio

    TwoSteps(_lm())(question="x")

    async def scrape() -> httpx.Response:
        transport = httpx.ASGITransport(app=metrics_asgi_app(aggregator))
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
            return await client.get("/dspex/metrics")

    response = asyncio.run(scrape())
    assert response.status_code == 200
    assert _value(_samples(response.text), "dspex_lm_calls_total", model="scripted",
                  provider="scripted") >= 2


def test_serve_checks_its_arguments() -> None:
    with pytest.raises(dx.ArgumentError, match="port"):
        dx.telemetry.serve(port=70000)
    with pytest.raises(TypeError):
        dx.telemetry.serve(prot=1)  # type: ignore[call-arg]
