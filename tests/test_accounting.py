"""Accounting travels with the work: tokens, cost and prompts are the same with telemetry off."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import dspex_nb as dx
from dspex_nb.accounting import recording
from dspex_nb.lm import LMRequest


@pytest.fixture
def telemetry_off() -> Iterator[None]:
    dx.telemetry.disable()
    try:
        yield
    finally:
        dx.telemetry.enable()


@pytest.fixture(autouse=True)
def priced_model() -> None:
    dx.set_price("priced-scripted", input_per_million=1000.0, output_per_million=2000.0)


def _answer(request: LMRequest) -> dict[str, str]:
    question = str(request.messages[-1]["content"]).removeprefix("question: ")
    return {"reasoning": "because", "answer": "a" + question[1:]}


def _lm() -> dx.ScriptedLM:
    return dx.ScriptedLM(_answer, model="priced-scripted", tokens=(30, 7))


def _devset(n: int) -> list[dx.Example]:
    return [dx.Example(question=f"q{i}", answer=f"a{i}").with_inputs("question")
            for i in range(n)]


def _figures(report: dx.EvaluationReport) -> list[tuple[Any, ...]]:
    return [(r.prompt_tokens, r.completion_tokens, r.cost_usd, r.lm_calls, r.cached_calls,
             [(p.signature, p.inputs, p.outputs, [c.messages for c in p.lm_calls])
              for p in r.trace]) for r in report.results]


def test_report_figures_are_the_same_with_telemetry_on_and_off() -> None:
    program = dx.ChainOfThought("question -> answer", lm=_lm())
    on = dx.evaluate(program, _devset(5), [dx.metrics.answer_exact_match], display="none")
    dx.telemetry.disable()
    try:
        off = dx.evaluate(program, _devset(5), [dx.metrics.answer_exact_match], display="none")
    finally:
        dx.telemetry.enable()
    assert on.prompt_tokens == 150 and on.completion_tokens == 35
    assert on.cost_usd == pytest.approx(5 * (30 * 1000 + 7 * 2000) / 1e6)
    assert _figures(off) == _figures(on)


@pytest.mark.usefixtures("telemetry_off")
def test_simba_runs_and_counts_its_calls_with_telemetry_off() -> None:
    lm = _lm()
    simba = dx.SIMBA(dx.metrics.answer_exact_match, bsize=2, num_candidates=2, max_steps=1,
                     display="none")
    simba.compile(dx.Predict("question -> answer", lm=lm), trainset=_devset(4))
    assert simba.result is not None
    calls = len(lm.requests)  # shared by the sampling copies SIMBA makes of the LM
    assert simba.result.lm_calls == calls > 0
    assert simba.result.prompt_tokens == 30 * calls


@pytest.mark.usefixtures("telemetry_off")
def test_experiment_tokens_and_cost_are_measured_with_telemetry_off(tmp_path: Any) -> None:
    exp = dx.Experiment("accounting", program=dx.Predict("question -> answer", lm=_lm()),
                        metrics=[dx.metrics.answer_exact_match], store=tmp_path,
                        display="none").run(devset=_devset(4))
    summary = exp.summary()
    assert summary.loc["baseline", "tokens"] == 37
    assert summary.loc["baseline", "cost"] == pytest.approx((30 * 1000 + 7 * 2000) / 1e6)


def test_a_ledger_groups_lm_calls_by_predictor_call() -> None:
    class TwoSteps(dx.Module):
        def __init__(self) -> None:
            self.first = dx.Predict("question -> answer", lm=_lm())
            self.second = dx.Predict("question -> answer", lm=_lm())

        def forward(self, question: str) -> dx.Prediction:
            self.first(question=question)
            result: dx.Prediction = self.second(question=question)
            return result

    with recording() as ledger:
        TwoSteps()(question="q1")
    assert [len(p.lm_calls) for p in ledger.predictor_calls] == [1, 1]
    assert [p.outputs for p in ledger.predictor_calls] == [{"answer": "a1"}] * 2
    assert ledger.totals.calls == 2 and ledger.totals.total_tokens == 74


def test_nested_ledgers_each_count_the_inner_calls() -> None:
    lm = _lm()
    with recording() as outer:
        lm("q0")
        with recording() as inner:
            lm("q1")
    assert (outer.totals.calls, inner.totals.calls) == (2, 1)


def test_nothing_is_recorded_outside_a_ledger() -> None:
    with recording() as ledger:
        pass
    _lm()("q0")
    assert ledger.lm_calls == []


def test_a_copys_calls_count_in_the_original_lm() -> None:
    lm = _lm()
    sampler = lm.copy(temperature=1.0, sample_id=3)
    program = dx.Predict("question -> answer", lm=sampler)
    program(question="q1")
    program(question="q2")
    assert (sampler.calls, lm.calls) == (2, 2)
    assert lm.usage == sampler.usage and lm.usage.prompt_tokens == 60
    assert lm.cost_usd == pytest.approx(2 * (30 * 1000 + 7 * 2000) / 1e6)
    assert [e.messages for e in lm.inspect_history(2)] == \
        [e.messages for e in sampler.inspect_history(2)]


def test_the_original_lm_counts_every_call_simba_makes() -> None:
    lm = dx.ScriptedLM(lambda request: {"answer": "yes"})
    simba = dx.SIMBA(dx.metrics.answer_exact_match, bsize=4, num_candidates=2, max_steps=1,
                     max_demos=1, strategies=["append_demo"], display="none")
    trainset = [dx.Example(question=f"q{i}", answer="yes" if i % 2 else "no"
                           ).with_inputs("question") for i in range(8)]
    with recording() as ledger:
        simba.compile(dx.Predict("question -> answer", lm=lm), trainset=trainset)
    assert simba.result is not None and simba.result.lm_calls > 0
    assert lm.calls == ledger.totals.calls == simba.result.lm_calls
