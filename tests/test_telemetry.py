from __future__ import annotations

import asyncio
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

import dspex_nb as dx
from dspex_nb.retrieve import Document
from dspex_nb.telemetry import Event, Span
from tests.support.fault_server import FaultServer, ok, status


@pytest.fixture
def events() -> Iterator[list[Event]]:
    seen: list[Event] = []
    handler = dx.telemetry.attach(seen.append)
    yield seen
    dx.telemetry.detach(handler)


class Composed(dx.Module):
    def __init__(self, lm: dx.BaseLM) -> None:
        self.first = dx.Predict("question -> draft", lm=lm)
        self.second = dx.Predict("question, draft -> answer", lm=lm)

    def forward(self, question: str) -> dx.Prediction:
        draft = self.first(question=question).draft
        result: dx.Prediction = self.second(question=question, draft=draft)
        return result


def _shape(span: Span) -> tuple[object, ...]:
    return (span.kind, span.name, tuple(_shape(c) for c in span.children))


def test_composed_call_with_a_retry_gives_the_exact_span_tree(
    fault_server: FaultServer, tmp_path: Path
) -> None:
    dx.configure(cache=dx.Cache(directory=tmp_path))
    fault_server.script(
        ok('{"draft": "d"}', prompt_tokens=20, completion_tokens=5),
        status(429, headers={"Retry-After": "0"}),
        ok('{"answer": "a"}', prompt_tokens=30, completion_tokens=7),
    )
    lm = dx.LM("fault-model", base_url=fault_server.url, cache=True,
               retry=dx.RetryPolicy(base_delay=0.01))
    with dx.trace() as t:
        Composed(lm)(question="q")

    http = ("http", "POST /chat/completions", ())
    assert _shape(t.root) == ("trace", "trace", (
        ("module", "Composed", (
            ("predict", "question -> draft", (("lm", "fault-model", (http,)),)),
            ("predict", "question, draft -> answer", (("lm", "fault-model", (http, http)),)),
        )),
    ))
    for span in t.root.walk():
        for child in span.children:
            assert child.parent_id == span.span_id
            assert child.trace_id == span.trace_id
            assert child.start_time >= span.start_time
            assert child.end_time is not None and span.end_time is not None
            assert child.end_time <= span.end_time + 1e-6
    retried = t.lm_calls[1]
    assert [h.attrs["status"] for h in retried.children if h.kind == "http"] == [429, 200]
    assert retried.attrs["retries"] == 1
    assert retried.attrs["cached"] is False
    assert t.prompt_tokens == 50
    assert t.completion_tokens == 12
    assert t.total_tokens == sum(s.attrs["prompt_tokens"] + s.attrs["completion_tokens"]
                                 for s in t.lm_calls)


def test_events_name_each_step_and_carry_span_ids(events: list[Event]) -> None:
    lm = dx.ScriptedLM([{"answer": "a"}])
    dx.Predict("q -> answer", lm=lm)(q="x")
    names = [e.name for e in events]
    assert names == ["predict.start", "lm.start", "lm.stop", "predict.stop"]
    predict_start, lm_start = events[0], events[1]
    assert lm_start.parent_id == predict_start.span_id
    assert events[2].duration is not None
    assert events[2].attrs["completion_tokens"] == 5


def test_cache_hits_and_misses_are_events(events: list[Event], tmp_path: Path) -> None:
    dx.configure(cache=dx.Cache(directory=tmp_path))
    predict = dx.Predict("q -> answer", lm=dx.ScriptedLM([{"answer": "a"}], cache=True))
    predict(q="x")
    predict(q="x")
    hits = [e.name for e in events if e.name in ("cache.hit", "cache.miss")]
    assert hits == ["cache.miss", "cache.hit"]


def test_failed_call_emits_exception_events_with_the_error_type(events: list[Event]) -> None:
    lm = dx.ScriptedLM([dx.RateLimitError("slow down", status=429)])
    with pytest.raises(dx.RateLimitError):
        dx.Predict("q -> answer", lm=lm)(q="x")
    failed = [e for e in events if e.name == "lm.exception"]
    assert len(failed) == 1
    assert failed[0].attrs["error_type"] == "RateLimitError"
    assert [e.name for e in events][-1] == "predict.exception"


def test_attach_with_filters_gets_only_those_events() -> None:
    exact: list[str] = []
    prefixed: list[str] = []
    h1 = dx.telemetry.attach(lambda e: exact.append(e.name), events=["lm.stop"])
    h2 = dx.telemetry.attach(lambda e: prefixed.append(e.name), events=["predict.*"])
    try:
        dx.Predict("q -> answer", lm=dx.ScriptedLM([{"answer": "a"}]))(q="x")
    finally:
        dx.telemetry.detach(h1)
        dx.telemetry.detach(h2)
    assert exact == ["lm.stop"]
    assert prefixed == ["predict.start", "predict.stop"]


def test_a_raising_handler_is_reported_once_detached_and_harmless() -> None:
    calls: list[str] = []

    def broken(event: Event) -> None:
        calls.append(event.name)
        raise ValueError("handler bug")

    dx.telemetry.attach(broken)
    lm = dx.ScriptedLM([{"answer": "a"}], cycle=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert dx.Predict("q -> answer", lm=lm)(q="x").answer == "a"
        assert dx.Predict("q -> answer", lm=lm)(q="y").answer == "a"
    assert calls == ["predict.start"]
    assert len([w for w in caught if "handler bug" in str(w.message)]) == 1


def test_last_trace_is_the_most_recent_top_level_call() -> None:
    lm = dx.ScriptedLM([{"answer": "1"}, {"answer": "2"}])
    predict = dx.Predict("q -> answer", lm=lm)
    predict(q="first")
    predict(q="second")
    last = dx.last_trace()
    assert last is not None
    assert last.root.attrs["inputs"] == {"q": "second"}
    assert last.root.attrs["outputs"] == {"answer": "2"}


def test_disabled_telemetry_emits_nothing_and_programs_still_run(events: list[Event]) -> None:
    dx.telemetry.disable()
    try:
        assert dx.Predict("q -> answer", lm=dx.ScriptedLM([{"answer": "a"}]))(q="x").answer == "a"
        with pytest.raises(RuntimeError, match="disabled"), dx.trace():
            pass
    finally:
        dx.telemetry.enable()
    assert events == []


def test_spans_under_concurrency_stay_in_their_own_tree() -> None:
    lm = dx.ScriptedLM(lambda r: {"draft": r.messages[-1]["content"]}
                       if "draft" in (r.response_schema or {}).get("properties", {})
                       else {"answer": r.messages[-1]["content"]}, latency=0.002)
    program = Composed(lm)

    async def run_all() -> None:
        sem = asyncio.Semaphore(32)

        async def one(i: int) -> None:
            async with sem:
                await program.acall(question=f"question {i}")

        await asyncio.gather(*(one(i) for i in range(64)))

    with dx.trace() as t:
        asyncio.run(run_all())
    roots = t.root.children
    assert len(roots) == 64
    for root in roots:
        predicts = [s for s in root.walk() if s.kind == "predict"]
        assert len(predicts) == 2
        questions = {p.attrs["inputs"]["question"] for p in predicts}
        assert len(questions) == 1  # no predictor of another example in this tree
        for lm_span in (s for s in root.walk() if s.kind == "lm"):
            assert lm_span.trace_id == root.trace_id
            assert f"question: {next(iter(questions))}" in (
                lm_span.attrs["messages"][-1]["content"])


def test_snapshot_reports_latency_tokens_errors_and_cache_rate_per_model(
    tmp_path: Path,
) -> None:
    dx.telemetry.metrics.reset()
    dx.configure(cache=dx.Cache(directory=tmp_path))
    good = dx.ScriptedLM([{"answer": "a"}], cycle=True, model="model-a", cache=True,
                         tokens=(10, 2))
    bad = dx.ScriptedLM([dx.ServerError("boom", status=503)], cycle=True, model="model-b")
    for i in range(3):
        dx.Predict("q -> answer", lm=good)(q=str(i))
    dx.Predict("q -> answer", lm=good)(q="0")  # a cache hit
    with pytest.raises(dx.ServerError):
        dx.Predict("q -> answer", lm=bad)(q="x")
    frame = dx.telemetry.snapshot()
    assert frame.loc["model-a", "calls"] == 4
    assert frame.loc["model-a", "prompt_tokens"] == 30
    assert frame.loc["model-a", "cache_hit_rate"] == pytest.approx(0.25)
    assert frame.loc["model-a", "p50_ms"] is not None
    assert frame.loc["model-b", "errors_by_type"] == {"ServerError": 1}
    assert frame.loc["all", "calls"] == 5
    assert frame.attrs["running_programs"] == 0


class _ShelfRetriever(dx.retrieve.Retriever):
    """Finds the same two documents for every query; a query of "fail" breaks the store."""

    @property
    def name(self) -> str:
        return "shelf"

    def _search(self, queries: list[str], k: int, where: object,
                **options: object) -> list[list[Document]]:
        if "fail" in queries:
            raise dx.RetrievalError("the store is gone")
        return [[Document("a", "first", 0.9), Document("b", "second", 0.5)][:k]
                for _ in queries]


def test_retrieval_searches_are_counted_per_retriever_beside_lm_calls() -> None:
    dx.telemetry.metrics.reset()
    shelf = _ShelfRetriever()
    shelf.retrieve("one", k=2)
    shelf.retrieve_many(["two", "three"], k=1)
    with pytest.raises(dx.RetrievalError):
        shelf.retrieve("fail")
    retrieval = dx.telemetry.metrics.summary()["retrieval"]
    [row] = retrieval["retrievers"]
    assert (row["retriever"], row["searches"], row["queries"], row["documents"]) == (
        "shelf", 3, 4, 4)
    assert row["errors_by_type"] == {"RetrievalError": 1}
    assert row["p50_ms"] is not None and row["p95_ms"] >= row["p50_ms"]
    assert (retrieval["searches"], retrieval["errors"]) == (3, 1)
    assert dx.telemetry.metrics.summary()["totals"]["calls"] == 0  # searches are not LM calls


def test_running_programs_counts_calls_in_flight() -> None:
    seen: list[int] = []

    def answer(request: dx.lm.LMRequest) -> dict[str, str]:
        seen.append(dx.telemetry.metrics.running_programs)
        return {"draft": "d", "answer": "a"}

    program = Composed(dx.ScriptedLM(answer))
    program(question="q")
    assert seen == [1, 1]  # one program, its two predictors are not programs of their own
    assert dx.telemetry.metrics.running_programs == 0


def test_no_api_key_in_any_event_or_span(fault_server: FaultServer, events: list[Event]) -> None:
    secret = "sk-telemetry-SECRET-42"
    fault_server.script(status(500), ok('{"answer": "a"}'))
    lm = dx.LM("m", base_url=fault_server.url, api_key=secret, cache=False,
               retry=dx.RetryPolicy(base_delay=0.01))
    with dx.trace() as t:
        dx.Predict("q -> answer", lm=lm)(q="x")
    assert fault_server.requests[0]["headers"]["Authorization"] == f"Bearer {secret}"
    dump = repr([e.to_dict() for e in events]) + repr(t.to_dict())
    assert "lm.retry" in dump  # the retry was observed, so its event was scanned too
    assert secret not in dump
    assert "Authorization" not in dump and "Bearer" not in dump


def test_traced_tool_calls_are_spans_under_the_caller(events: list[Event]) -> None:
    @dx.telemetry.traced()
    def lookup(city: str) -> str:
        return f"sunny in {city}"

    @dx.telemetry.traced(name="async_lookup")
    async def alookup(city: str) -> str:
        return f"rain in {city}"

    with dx.trace() as t:
        assert lookup("Paris") == "sunny in Paris"
        assert asyncio.run(alookup("Oslo")) == "rain in Oslo"
    tools = t.spans("tool")
    assert [s.name for s in tools] == [
        "test_traced_tool_calls_are_spans_under_the_caller.<locals>.lookup", "async_lookup"]
    assert all(s.parent is t.root for s in tools)
    assert tools[0].attrs["result"] == "sunny in Paris"
    assert [e.name for e in events if e.name.startswith("tool.")] == [
        "tool.start", "tool.stop", "tool.start", "tool.stop"]
