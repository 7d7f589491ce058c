"""dx.BestOfN and dx.Refine, with dx.ScriptedLM."""

from __future__ import annotations

from typing import Any

import pytest

import dspex_nb as dx
from dspex_nb.lm.types import LMRequest


def by_sample(answers: dict[int | None, str]) -> dx.ScriptedLM:
    """Answers by the request's sample id (attempt 0 has none)."""
    return dx.ScriptedLM(lambda r: {"answer": answers.get(r.sample_id, "?")}, latency=0.001)


def is_four(inputs: dict[str, Any], pred: dx.Prediction) -> float:
    return float(pred.answer == "4")


def test_best_of_n_returns_the_highest_reward_with_every_attempt() -> None:
    lm = by_sample({None: "four", 1: "44", 2: "4", 3: "4!"})
    length = lambda inputs, pred: 1.0 / len(pred.answer)  # noqa: E731
    pred = dx.BestOfN(dx.Predict("question -> answer", lm=lm), 4, length)(question="q")
    assert pred.answer == "4"
    assert [a.reward for a in pred.attempts] == [0.25, 0.5, 1.0, 0.5]
    assert [a.chosen for a in pred.attempts] == [False, False, True, False]


def test_later_attempts_are_distinct_samples_at_the_temperature() -> None:
    lm = by_sample({})
    dx.BestOfN(dx.Predict("question -> answer", lm=lm), 3, is_four)(question="q")
    assert [(r.sample_id, r.params.get("temperature")) for r in lm.requests] == [
        (None, None), (1, 1.0), (2, 1.0)]


def test_best_of_n_stops_at_the_threshold() -> None:
    lm = by_sample({None: "x", 1: "4", 2: "4"})
    pred = dx.BestOfN(dx.Predict("question -> answer", lm=lm), 5, is_four, threshold=1.0)(
        question="q")
    assert len(pred.attempts) == 2
    assert len(lm.requests) == 2


def test_concurrent_attempts_overlap_and_still_pick_the_best() -> None:
    lm = dx.ScriptedLM(lambda r: {"answer": "4" if r.sample_id == 3 else "x"}, latency=0.1)
    program = dx.BestOfN(dx.Predict("question -> answer", lm=lm), 4, is_four, concurrency=4)
    with dx.trace() as trace:
        pred = program(question="q")
    assert pred.answer == "4"
    spans = trace.spans("attempt")
    assert len(spans) == 4
    # All four started before the first one finished.
    first_end = min(s.start_time + (s.duration or 0) for s in spans)
    assert all(s.start_time < first_end for s in spans)


def test_a_failing_attempt_or_reward_is_recorded_and_the_others_go_on() -> None:
    def answer(request: LMRequest) -> Any:
        if request.sample_id == 1:
            return dx.ServerError("down")
        return {"answer": "4" if request.sample_id == 2 else "x"}

    pred = dx.BestOfN(dx.Predict("question -> answer", lm=dx.ScriptedLM(answer)), 3,
                      is_four)(question="q")
    assert pred.answer == "4"
    assert pred.attempts[1].error_type == "ServerError"
    assert pred.attempts[1].reward is None


def test_when_every_attempt_fails_the_error_holds_them_all_never_none() -> None:
    lm = by_sample({})
    with pytest.raises(dx.AttemptsFailed) as caught:
        dx.BestOfN(dx.Predict("question -> answer", lm=lm), 3, lambda i, p: 1 / 0)(question="q")
    assert len(caught.value.attempts) == 3
    assert "all 3 attempts failed the same way: ZeroDivisionError" in str(caught.value)


def test_a_reward_that_is_not_a_finite_number_fails_that_attempt() -> None:
    lm = by_sample({None: "a", 1: "4"})
    rewards = iter([float("nan"), 1.0])
    pred = dx.BestOfN(dx.Predict("question -> answer", lm=lm), 2,
                      lambda i, p: next(rewards))(question="q")
    assert pred.attempts[0].error_type == "MetricError"
    assert pred.answer == "4"


def test_below_the_threshold_best_returns_the_best_and_raise_raises() -> None:
    lm = by_sample({None: "x", 1: "44"})
    partial = lambda i, p: 0.5 if p.answer == "44" else 0.0  # noqa: E731
    qa = dx.Predict("question -> answer", lm=lm)
    pred = dx.BestOfN(qa, 2, partial, threshold=1.0)(question="q")
    assert pred.answer == "44"
    assert not pred.attempts[1].passed and pred.attempts[1].chosen
    with pytest.raises(dx.AttemptsFailed, match=r"no attempt of 2 reached the threshold 1\.0"):
        dx.BestOfN(qa, 2, partial, threshold=1.0, on_fail="raise")(question="q")


def test_the_failure_budget_does_not_shrink_across_calls() -> None:
    lm = by_sample({})
    program = dx.BestOfN(dx.Predict("question -> answer", lm=lm), 3, lambda i, p: 1 / 0)
    for _ in range(3):
        with pytest.raises(dx.AttemptsFailed) as caught:
            program(question="q")
        assert len(caught.value.attempts) == 3


def test_reward_pairs_and_scores_carry_feedback() -> None:
    lm = by_sample({None: "x"})
    pred = dx.BestOfN(dx.Predict("question -> answer", lm=lm), 1,
                      lambda i, p: (0.0, "say 4"))(question="q")
    assert pred.attempts[0].feedback == "say 4"
    pred = dx.BestOfN(dx.Predict("question -> answer", lm=lm), 1,
                      lambda i, p: dx.Score(0.2, feedback="closer"))(question="q")
    assert (pred.attempts[0].reward, pred.attempts[0].feedback) == (0.2, "closer")


# -- Refine -----------------------------------------------------------------------------------
def test_refine_gives_the_rewards_feedback_and_the_reply_to_the_next_attempt() -> None:
    lm = dx.ScriptedLM(lambda r: {"answer": "4" if len(r.messages) > 2 else "four"})

    def reward(inputs: dict[str, Any], pred: dx.Prediction) -> tuple[float, str]:
        return (1.0, "") if pred.answer == "4" else (0.0, "write the number in digits")

    pred = dx.Refine(dx.Predict("question -> answer", lm=lm), 3, reward, 1.0)(question="q")
    assert pred.answer == "4"
    assert [a.reward for a in pred.attempts] == [0.0, 1.0]
    assert lm.requests[1].messages[-2:] == [
        {"role": "assistant", "content": '{"answer":"four"}'},
        {"role": "user", "content": "That answer was not accepted: write the number in "
                                    "digits\nAnswer again for the same inputs, fixing this."}]


def test_refine_without_feedback_asks_the_lm_for_a_hint_and_uses_it() -> None:
    def answer(request: LMRequest) -> dict[str, str]:
        if "hint" in (request.response_schema or {}).get("properties", {}):
            return {"hint": "Use digits, not words."}
        return {"answer": "4" if len(request.messages) > 2 else "four"}

    lm = dx.ScriptedLM(answer)
    pred = dx.Refine(dx.Predict("question -> answer", lm=lm), 3, is_four, 1.0)(question="q")
    assert pred.answer == "4"
    assert pred.attempts[0].feedback == "Use digits, not words."
    hint_call = lm.requests[1]
    assert hint_call.params.get("temperature") == 0.0
    assert '"answer":"four"' in hint_call.messages[-1]["content"]
    assert "Use digits, not words." in lm.requests[2].messages[-1]["content"]


def test_refine_is_deterministic_the_same_inputs_give_the_same_attempts() -> None:
    def answer(request: LMRequest) -> dict[str, str]:
        if "hint" in (request.response_schema or {}).get("properties", {}):
            return {"hint": "digits"}
        return {"answer": "x" * len(request.messages)}

    runs = []
    for _ in range(2):
        lm = dx.ScriptedLM(answer)
        pred = dx.Refine(dx.Predict("question -> answer", lm=lm), 3, is_four, 1.0)(question="q")
        runs.append([(a.prediction, a.feedback) for a in pred.attempts])
    assert runs[0] == runs[1]
    assert len(runs[0]) == 3


def test_refine_hint_and_state_are_not_optimizable_state() -> None:
    refine = dx.Refine(dx.Predict("question -> answer"), 2, is_four, 1.0)
    assert [name for name, _ in refine.named_predictors()] == ["module"]
