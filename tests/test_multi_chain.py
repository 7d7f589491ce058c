"""dx.MultiChainComparison, with dx.ScriptedLM."""

from __future__ import annotations

import pytest

import dspex_nb as dx
from dspex_nb.lm.types import LMRequest

LONG = "First, 2 + 2 is four.\nSecond, four is written 4.\nThird, so the answer is 4."


def answer(request: LMRequest) -> dict[str, str]:
    props = list((request.response_schema or {}).get("properties", {}))
    if props[0] == "rationale":
        return {"rationale": "chains 1 and 3 agree", "answer": "4"}
    return {"reasoning": f"{LONG}\n(sample {request.sample_id})",
            "answer": "5" if request.sample_id == 1 else "4"}


def test_the_comparison_sees_every_chain_whole() -> None:
    lm = dx.ScriptedLM(answer)
    pred = dx.MultiChainComparison("question -> answer", M=3, lm=lm)(question="2+2?")
    assert pred.answer == "4" and pred.rationale == "chains 1 and 3 agree"
    compare = lm.requests[-1].messages[-1]["content"]
    for i in range(3):
        shown = (f"attempt_{i + 1}: Reasoning: {LONG}\n(sample {i})\n"
                 f"answer: {'5' if i == 1 else '4'}")
        assert shown in compare


def test_chains_are_distinct_samples_at_their_temperatures() -> None:
    lm = dx.ScriptedLM(answer)
    dx.MultiChainComparison("question -> answer", M=3, temperatures=[0.0, 0.5, 1.0],
                            lm=lm)(question="q")
    chains = sorted((r.sample_id, r.params["temperature"]) for r in lm.requests[:3])
    assert chains == [(0, 0.0), (1, 0.5), (2, 1.0)]
    assert lm.requests[-1].params.get("temperature") is None  # the comparison: as configured


def test_every_chain_is_kept_on_the_prediction() -> None:
    pred = dx.MultiChainComparison("question -> answer", lm=dx.ScriptedLM(answer))(question="q")
    assert [c.index for c in pred.chains] == [0, 1, 2]
    assert [c.prediction.answer for c in pred.chains] == ["4", "5", "4"]
    assert all(c.temperature == 0.7 for c in pred.chains)


def test_chains_run_concurrently_as_chain_spans() -> None:
    lm = dx.ScriptedLM(answer, latency=0.1)
    with dx.trace() as trace:
        dx.MultiChainComparison("question -> answer", M=3, lm=lm)(question="q")
    chains = trace.spans("chain")
    assert [s.name for s in chains] == ["chain 1", "chain 2", "chain 3"]
    first_end = min(s.start_time + (s.duration or 0) for s in chains)
    assert all(s.start_time < first_end for s in chains)


def test_a_failed_chain_is_shown_as_failed_and_the_others_compared() -> None:
    def flaky(request: LMRequest) -> object:
        if request.sample_id == 2:
            return dx.ServerError("down")
        return answer(request)

    lm = dx.ScriptedLM(flaky)
    pred = dx.MultiChainComparison("question -> answer", lm=lm)(question="q")
    assert pred.chains[2].error == "ServerError: down"
    assert "attempt_3: (this attempt failed: ServerError: down)" in \
        lm.requests[-1].messages[-1]["content"]


def test_every_chain_failing_is_a_typed_error() -> None:
    lm = dx.ScriptedLM(lambda r: dx.ServerError("down"))
    with pytest.raises(dx.AttemptsFailed, match="all 3 chains failed"):
        dx.MultiChainComparison("question -> answer", lm=lm)(question="q")


def test_custom_chains_run_as_given() -> None:
    lm = dx.ScriptedLM(answer)
    chains = [dx.ChainOfThought("question -> answer", lm=lm),
              dx.ChainOfThought("question -> answer", lm=lm,
                                reasoning_desc="Work backwards from the answer.")]
    pred = dx.MultiChainComparison("question -> answer", chains=chains, lm=lm)(question="q")
    assert len(pred.chains) == 2
    assert all(c.temperature is None for c in pred.chains)


def test_its_predictors_are_state_that_round_trips() -> None:
    program = dx.MultiChainComparison("question -> answer", M=2)
    assert [n for n, _ in program.named_predictors()] == [
        "chains[0].predict", "chains[1].predict", "compare"]
    program.compare.instructions = "Pick the answer most chains support."
    program.chains[1].predict.demos = [{"question": "1+1", "reasoning": "one and one",
                                        "answer": "2"}]
    again = dx.Module.from_document(program.to_document())
    assert isinstance(again, dx.MultiChainComparison)
    assert again.M == 2 and again.temperatures == [0.7, 0.7]
    assert again.dump_state() == program.dump_state()


def test_arguments_are_checked() -> None:
    with pytest.raises(dx.ArgumentError, match="temperatures"):
        dx.MultiChainComparison("question -> answer", M=2, temperatures=[0.1])
    with pytest.raises(dx.ArgumentError, match="M"):
        dx.MultiChainComparison("question -> answer", M=0)
