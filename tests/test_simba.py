"""SIMBA's algorithm pinned with a scripted LM (see shared/design/SIMBA.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import dspex_nb as dx
from dspex_nb.lm import LMRequest
from dspex_nb.optimize import SIMBA, OptimizationResult
from dspex_nb.optimize.simba import Trajectory, order_buckets
from tests.support.simba_model import RULE, rule_following


def _has_rule_or_demo(request: LMRequest) -> bool:
    """Right ("yes") only with the rule in its instructions or a "yes" demo before it."""
    return "RULE" in request.messages[0]["content"] or any(
        m["role"] == "assistant" and '"yes"' in m["content"] for m in request.messages)


_answer = rule_following(_has_rule_or_demo)


def _trainset(n: int) -> list[dx.Example]:
    return [dx.Example(question=f"q{i}", answer="yes").with_inputs("question") for i in range(n)]


def _simba(**options: object) -> SIMBA:
    settings: dict[str, object] = {"bsize": 8, "num_candidates": 3, "max_steps": 3,
                                   "max_demos": 2}
    settings.update(options)
    return SIMBA(dx.metrics.answer_exact_match, **settings)  # type: ignore[arg-type]


def test_rules_raise_the_score_and_the_input_program_is_unchanged() -> None:
    program = dx.Predict("question -> answer", lm=dx.ScriptedLM(_answer))
    simba = _simba(strategies=["append_rule"])
    optimized = simba.compile(program, trainset=_trainset(20))
    result = simba.result
    assert result is not None
    assert result.baseline_score == 0.0
    assert result.final_score == 1.0
    assert RULE in optimized.instructions
    assert RULE not in program.instructions
    assert optimized is not program
    assert optimized.optimization is result  # type: ignore[attr-defined]


def test_calls_per_step_follow_the_formula() -> None:
    simba = _simba(algorithm="reference")
    simba.compile(dx.Predict("question -> answer", lm=dx.ScriptedLM(_answer)),
                  trainset=_trainset(20))
    assert simba.result is not None
    bsize, c, calls_per_run = 8, 3, 1
    for step in simba.result.steps:
        k = len(step.candidates)  # the baseline and the new candidates, all on the batch
        assert k <= c + 1
        assert step.rule_calls <= k
        assert step.lm_calls == (bsize * c + k * bsize) * calls_per_run + step.rule_calls


def test_the_baseline_is_really_scored_every_step() -> None:
    simba = _simba()
    simba.compile(dx.Predict("question -> answer", lm=dx.ScriptedLM(_answer)),
                  trainset=_trainset(20))
    assert simba.result is not None
    for step in simba.result.steps:
        baseline = step.candidates[0]
        assert (baseline.program_id, baseline.strategy, baseline.score) == (0, "baseline", 0.0)


def test_batches_walk_a_seeded_shuffle_and_reshuffle_when_exhausted() -> None:
    simba = _simba(max_steps=3, bsize=8)
    simba.compile(dx.Predict("question -> answer", lm=dx.ScriptedLM(_answer)),
                  trainset=_trainset(20))
    assert simba.result is not None
    first, second, third = (s.batch for s in simba.result.steps)
    assert len(set(first) | set(second)) == 16  # no repeats until the shuffle is used up
    assert all(0 <= i < 20 for i in third)
    again = _simba(max_steps=3, bsize=8)
    again.compile(dx.Predict("question -> answer", lm=dx.ScriptedLM(_answer)),
                  trainset=_trainset(20))
    assert again.result is not None
    assert [s.batch for s in again.result.steps] == [first, second, third]  # same seed


def test_small_trainset_uses_a_smaller_batch_with_a_warning() -> None:
    simba = _simba(bsize=32, max_steps=1)
    program = dx.Predict("question -> answer", lm=dx.ScriptedLM(_answer))
    with pytest.warns(UserWarning, match="batches of 5"):
        simba.compile(program, trainset=_trainset(5))
    assert simba.result is not None
    assert len(simba.result.steps[0].batch) == 5


def test_buckets_order_by_spread_then_best_then_best_minus_mean() -> None:
    def run(i: int, score: float) -> Trajectory:
        return Trajectory(i, 0, None, score, "", [], 0, 0, 0, 0.0)

    runs = [run(0, 1.0), run(0, 1.0), run(0, 1.0),   # spread 0
            run(1, 1.0), run(1, 0.0), run(1, 0.0),   # spread 1, max 1, max-mean 2/3
            run(2, 1.0), run(2, 1.0), run(2, 0.0),   # spread 1, max 1, max-mean 1/3
            run(3, 0.5), run(3, 0.0), run(3, 0.0)]   # spread 0.5
    ordered = order_buckets(runs, [0, 1, 2, 3])
    assert [b[0].example_index for b in ordered] == [1, 2, 3, 0]
    assert [r.score for r in ordered[1]] == [1.0, 1.0, 0.0]  # best first within a bucket


def test_demo_strategy_appends_the_better_trajectory_as_a_demo() -> None:
    simba = _simba(strategies=["append_demo"], max_steps=1)
    optimized = simba.compile(dx.Predict("question -> answer", lm=dx.ScriptedLM(_answer)),
                              trainset=_trainset(20))
    assert simba.result is not None
    made = [c for c in simba.result.steps[0].candidates if c.strategy == "append_demo"]
    assert made
    demo = made[0].demos["self"]
    assert demo["answer"] == "yes"
    assert demo["question"].startswith("q")
    assert made[0].rules == {}
    assert optimized.demos or simba.result.final_program_id == 0


def test_a_strategy_that_does_not_apply_adds_no_candidate() -> None:
    lm = dx.ScriptedLM(lambda r: {"answer": "no", "discussion": "", "module_advice": {}})
    simba = _simba(max_steps=2)
    simba.compile(dx.Predict("question -> answer", lm=lm), trainset=_trainset(20))
    assert simba.result is not None
    for step in simba.result.steps:  # every run scores 0: nothing to learn from
        assert [c.strategy for c in step.candidates] == ["baseline"]
        assert step.skipped == 8


def test_demos_are_dropped_once_the_cap_is_reached() -> None:
    program = dx.Predict("question -> answer", lm=dx.ScriptedLM(_answer))
    program.demos = [{"question": f"d{i}", "answer": "no"} for i in range(2)]
    simba = _simba(strategies=["append_demo"], max_demos=2, max_steps=2)
    simba.compile(program, trainset=_trainset(20))
    assert simba.result is not None
    made = [c for s in simba.result.steps for c in s.candidates if c.strategy == "append_demo"]
    assert made
    assert all(c.dropped_demos >= 1 for c in made if c.source_id == 0)


def test_final_selection_ties_go_to_the_earlier_program() -> None:
    lm = dx.ScriptedLM(lambda r: {"answer": "yes", "discussion": "d",
                                  "module_advice": {"self": "RULE: say yes"}})
    simba = _simba(max_steps=2)
    optimized = simba.compile(dx.Predict("question -> answer", lm=lm), trainset=_trainset(20))
    assert simba.result is not None
    assert simba.result.final_program_id == 0  # everything scores 1.0: the baseline stays
    assert "RULE" not in optimized.instructions


def test_valset_is_used_for_the_final_selection() -> None:
    simba = _simba(strategies=["append_rule"], max_steps=1)
    valset = [dx.Example(question=f"v{i}", answer="yes").with_inputs("question")
              for i in range(7)]
    simba.compile(dx.Predict("question -> answer", lm=dx.ScriptedLM(_answer)),
                  trainset=_trainset(20), valset=valset)
    assert simba.result is not None
    assert simba.result.final_score == 1.0
    assert simba.result.baseline_score == 0.0


def test_resuming_from_a_checkpoint_gives_the_uninterrupted_result(tmp_path: Path) -> None:
    full = _simba(max_steps=4)
    full_program = full.compile(dx.Predict("question -> answer", lm=dx.ScriptedLM(_answer)),
                                trainset=_trainset(20))
    checkpoint = tmp_path / "simba.json"
    first = _simba(max_steps=2)
    first.compile(dx.Predict("question -> answer", lm=dx.ScriptedLM(_answer)),
                  trainset=_trainset(20), checkpoint=checkpoint)
    resumed = _simba(max_steps=4)
    resumed_program = resumed.compile(dx.Predict("question -> answer",
                                                 lm=dx.ScriptedLM(_answer)),
                                      trainset=_trainset(20), resume=checkpoint)
    assert full.result is not None
    assert resumed.result is not None
    strip = ["wall_time_s"]
    a = {k: v for k, v in full.result.to_dict().items() if k not in strip}
    b = {k: v for k, v in resumed.result.to_dict().items() if k not in strip}
    assert a == b
    assert resumed_program.dump_state() == full_program.dump_state()


def test_stop_returns_the_best_program_so_far_with_a_partial_result() -> None:
    simba = _simba(max_steps=50, strategies=["append_rule"])
    seen: list[int] = []

    def on_step(event: dx.telemetry.Event) -> None:
        seen.append(event.attrs["step"])
        if len(seen) == 2:
            simba.stop("interrupted")

    handler = dx.telemetry.attach(on_step, events=["optimization.step"])
    try:
        optimized = simba.compile(dx.Predict("question -> answer", lm=dx.ScriptedLM(_answer)),
                                  trainset=_trainset(20))
    finally:
        dx.telemetry.detach(handler)
    assert simba.result is not None
    assert simba.result.partial
    assert simba.result.stop_reason == "interrupted"
    assert len(simba.result.steps) == 2
    assert RULE in optimized.instructions  # the best so far, not the baseline


def test_programs_with_two_lms_get_variants_of_each() -> None:
    lm_a = dx.ScriptedLM(_answer, model="model-a")
    lm_b = dx.ScriptedLM(lambda r: {"draft": "d"}, model="model-b")

    class Two(dx.Module):
        def __init__(self) -> None:
            self.first = dx.Predict("question -> draft", lm=lm_b)
            self.second = dx.Predict("question, draft -> answer", lm=lm_a)

        async def aforward(self, question: str) -> dx.Prediction:
            draft = (await self.first.acall(question=question)).draft
            result: dx.Prediction = await self.second.acall(question=question, draft=draft)
            return result

    simba = _simba(max_steps=1)
    simba.compile(Two(), trainset=_trainset(10))
    sampled_a = {r.sample_id for r in lm_a.requests if r.params.get("temperature") == 1.0}
    sampled_b = {r.sample_id for r in lm_b.requests if r.params.get("temperature") == 1.0}
    assert len(sampled_a) == 3
    assert len(sampled_b) == 3


def test_result_round_trips_through_json_and_lists_every_candidate() -> None:
    simba = _simba()
    simba.compile(dx.Predict("question -> answer", lm=dx.ScriptedLM(_answer)),
                  trainset=_trainset(20))
    assert simba.result is not None
    again = OptimizationResult.from_dict(json.loads(json.dumps(simba.result.to_dict())))
    assert again == simba.result
    frame = again.candidates()
    assert set(frame["strategy"]) <= {"baseline", "append_rule", "append_demo"}
    assert frame["winner"].sum() == len(again.steps)


def test_stop_during_a_step_cancels_it_and_keeps_the_steps_before() -> None:
    simba = _simba(max_steps=50, strategies=["append_rule"])
    calls = 0

    def slow_answer(request: LMRequest) -> dict[str, object]:
        nonlocal calls
        calls += 1
        if calls == 150:  # well inside a later step
            simba.stop("interrupted")
        return _answer(request)

    optimized = simba.compile(dx.Predict("question -> answer", lm=dx.ScriptedLM(slow_answer)),
                              trainset=_trainset(20))
    assert simba.result is not None
    assert simba.result.partial
    assert 1 <= len(simba.result.steps) < 50
    assert calls < 200  # the step in flight was cancelled, not run to its end
    assert RULE in optimized.instructions
