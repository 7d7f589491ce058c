"""Synchronous calls: a memory-cache hit is answered in the caller's thread, with the same
spans, events and accounting as the async path; anything else goes to the engine."""

from __future__ import annotations

from typing import Any

import pytest

import dspex_nb as dx
from dspex_nb import _engine
from dspex_nb.accounting import recording


@pytest.fixture
def engine_hops(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    hops: list[Any] = []
    submit = _engine.submit

    def counting(coro: Any) -> Any:
        hops.append(coro)
        return submit(coro)

    monkeypatch.setattr(_engine, "submit", counting)
    return hops


def _cached_predict(answer: Any = None) -> dx.Predict:
    dx.configure(cache=dx.Cache(disk=False))
    lm = dx.ScriptedLM(lambda r: answer or {"answer": "Paris"}, cache=True)
    return dx.Predict("question -> answer", lm=lm)


def test_a_sync_memory_cache_hit_makes_no_engine_hop(engine_hops: list[Any]) -> None:
    predict = _cached_predict()
    assert predict(question="capital?").answer == "Paris"
    assert len(engine_hops) == 1  # the miss went to the engine
    assert predict(question="capital?").answer == "Paris"
    assert len(engine_hops) == 1  # the hit did not
    assert predict.lm.cache_hits == 1  # type: ignore[union-attr]


def test_a_sync_hit_has_the_spans_events_and_accounting_of_an_async_hit() -> None:
    predict = _cached_predict()
    predict(question="capital?")
    events: list[str] = []

    def seen(event: Any) -> None:
        events.append(event.name)

    dx.telemetry.attach(seen, events=["cache.*"])
    try:
        with dx.trace() as sync_trace, recording() as ledger:
            predict(question="capital?")
    finally:
        dx.telemetry.detach(seen)
    assert events == ["cache.hit"]
    kinds = [(s.kind, s.parent.kind if s.parent else None) for s in sync_trace.spans()]
    assert ("predict", "trace") in kinds and ("lm", "predict") in kinds
    [lm_span] = sync_trace.lm_calls
    assert lm_span.attrs["cached"] is True and lm_span.attrs["response"]
    assert [p.outputs for p in ledger.predictor_calls] == [{"answer": "Paris"}]
    assert ledger.totals.calls == ledger.totals.cached == 1


def test_a_cached_reply_that_does_not_parse_is_retried_on_the_engine(
        engine_hops: list[Any]) -> None:
    replies = iter(["not json at all", {"answer": "Paris"}])
    dx.configure(cache=dx.Cache(disk=False))
    lm = dx.ScriptedLM(lambda r: next(replies), cache=True)
    predict = dx.Predict("question -> answer", lm=lm)
    assert predict(question="q").answer == "Paris"  # miss: "not json", retried -> Paris
    hops_before = len(engine_hops)
    assert predict(question="q").answer == "Paris"  # hit on "not json", then the retry
    assert len(engine_hops) == hops_before + 1  # both replies now come from the cache


def test_chain_of_thought_sync_hits_need_no_hop(engine_hops: list[Any]) -> None:
    dx.configure(cache=dx.Cache(disk=False))
    cot = dx.ChainOfThought("question -> answer", lm=dx.ScriptedLM(
        lambda r: {"reasoning": "r", "answer": "a"}, cache=True))
    cot(question="q")
    hops = len(engine_hops)
    assert cot(question="q").answer == "a"
    assert len(engine_hops) == hops
