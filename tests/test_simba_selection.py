"""SIMBA's final choice and budget, pinned with a scripted LM: the validated algorithm returns
a candidate only when it beats the baseline beyond noise, and says so when it does not."""

from __future__ import annotations

import io
import json
import random
import sys
from collections.abc import Callable

import pytest

import dspex_nb as dx
from dspex_nb.lm import LMRequest
from dspex_nb.optimize import SIMBA, OptimizationResult
from dspex_nb.optimize.selection import judge
from tests.support.simba_model import RULE, rule_following


def _scripted(helped: Callable[[str], bool]) -> dx.ScriptedLM:
    """A model that says "yes" (right) when the rule is in its instructions and `helped(question)`,
    or by luck when sampling; the rule writer always writes RULE."""
    return dx.ScriptedLM(rule_following(
        lambda r: "RULE" in r.messages[0]["content"] and helped(r.messages[-1]["content"])))


def _examples(prefix: str, n: int) -> list[dx.Example]:
    return [dx.Example(question=f"{prefix}{i}", answer="yes").with_inputs("question")
            for i in range(n)]


def _simba(**options: object) -> SIMBA:
    settings: dict[str, object] = {"bsize": 8, "num_candidates": 3, "max_steps": 3,
                                   "strategies": ["append_rule"], "display": "none"}
    settings.update(options)
    return SIMBA(dx.metrics.answer_exact_match, **settings)  # type: ignore[arg-type]


def _compile(simba: SIMBA, helped: Callable[[str], bool], *, train: int = 20,
             val: int | None = 20) -> tuple[dx.Module, OptimizationResult]:
    program = dx.Predict("question -> answer", lm=_scripted(helped))
    valset = _examples("v", val) if val is not None else None
    optimized = simba.compile(program, trainset=_examples("t", train), valset=valset)
    assert simba.result is not None
    return optimized, simba.result


def test_validated_returns_a_candidate_that_beats_the_baseline_beyond_noise() -> None:
    optimized, result = _compile(_simba(), lambda q: True)
    assert result.verdict is not None
    assert result.verdict.beat_baseline
    assert result.verdict.ci[0] > 0
    assert result.final_program_id == result.verdict.candidate_id != 0
    assert RULE in optimized.instructions
    assert "beat the baseline on the valset (20 examples)" in result.verdict.message


def test_validated_returns_the_baseline_when_the_gain_is_within_noise() -> None:
    # the rule helps on every training question but on one validation question of twenty
    optimized, result = _compile(_simba(), lambda q: q.startswith("question: t")
                                 or q == "question: v0")
    verdict = result.verdict
    assert verdict is not None
    assert not verdict.beat_baseline
    assert verdict.candidate_id != 0
    assert verdict.delta == pytest.approx(0.05)
    assert result.final_program_id == verdict.returned_id == 0
    assert RULE not in optimized.instructions
    assert verdict.message.startswith("no candidate beat the baseline beyond noise")
    assert verdict.message.endswith("returning the baseline")
    assert verdict.message in str(result)


def _helps_four_of_forty(q: str) -> bool:
    """Half the training questions (the others keep later steps finding candidates), and 4
    of 40 validation questions: a gain of +0.10 there."""
    if q.startswith("question: t"):
        return int(q.removeprefix("question: t")) % 2 == 0
    return q in {f"question: v{i}" for i in range(4)}


def test_one_candidate_scored_on_the_valset_is_judged_at_the_stated_confidence() -> None:
    _, result = _compile(_simba(max_steps=1), _helps_four_of_forty, val=40)
    verdict = result.verdict
    assert verdict is not None
    assert verdict.comparisons == 1
    assert verdict.beat_baseline
    assert result.final_program_id == verdict.candidate_id != 0


def _four_of_forty(*helped: int) -> list[float]:
    return [1.0 if i in helped else 0.0 for i in range(40)]


def test_near_copies_of_one_candidate_are_judged_as_one() -> None:
    # two candidates right on the same 4 of 40 questions: +0.10, as sure as one of them
    one = judge([0.0] * 40, {1: _four_of_forty(0, 1, 2, 3)}, selected_on="valset",
                confidence=0.95, fall_back=True)
    two = judge([0.0] * 40, {1: _four_of_forty(0, 1, 2, 3), 2: _four_of_forty(0, 1, 2, 3)},
                selected_on="valset", confidence=0.95, fall_back=True)
    assert one.beat_baseline and two.beat_baseline
    assert two.ci == one.ci
    assert two.comparisons == 2


def test_the_best_of_unrelated_candidates_must_clear_a_wider_interval() -> None:
    # the same +0.10, but the best of two candidates right on different questions: the
    # luckier of two looks better than it is, and the interval allows for it
    one = judge([0.0] * 40, {1: _four_of_forty(0, 1, 2, 3)}, selected_on="valset",
                confidence=0.95, fall_back=True)
    two = judge([0.0] * 40, {1: _four_of_forty(0, 1, 2, 3), 2: _four_of_forty(4, 5, 6, 7)},
                selected_on="valset", confidence=0.95, fall_back=True)
    assert two.delta == one.delta == pytest.approx(0.10)
    assert two.ci[0] < one.ci[0]
    assert not two.beat_baseline
    assert two.returned_id == 0
    assert "95% interval over the 2 candidates scored there" in two.message
    assert two.message.endswith("returning the baseline")


def test_the_verdict_p_value_agrees_with_its_interval() -> None:
    for helped in [(0, 1), (0, 1, 2), (0, 1, 2, 3), (0, 1, 2, 3, 4, 5)]:
        verdict = judge([0.0] * 40, {1: _four_of_forty(*helped)}, selected_on="valset",
                        confidence=0.95, fall_back=True)
        assert verdict.beat_baseline == (verdict.p < 0.05)


def test_each_candidate_is_compared_only_on_the_examples_it_is_judged_on() -> None:
    # right everywhere, but judged on the first 10 examples only, where it is right on 2
    verdict = judge([0.0] * 40, {1: _four_of_forty(0, 1, *range(10, 40))},
                    judged_on={1: range(10)}, selected_on="trainset", confidence=0.95,
                    fall_back=True)
    assert (verdict.n, verdict.delta) == (10, pytest.approx(0.2))


def test_the_winner_is_validated_only_when_it_beat_the_baseline_on_its_batch() -> None:
    # the rule helps only on validation questions: on the batch no candidate beats the baseline
    _, result = _compile(_simba(), lambda q: q.startswith("question: v"))
    assert result.verdict is not None
    assert all(s.val_score is None for s in result.steps)
    assert result.verdict.candidate_id == 0
    assert "no candidate scored above the baseline" in result.verdict.message


def test_validated_stops_after_patience_steps_without_a_validation_gain() -> None:
    _, result = _compile(_simba(max_steps=20, patience=2), lambda q: False)
    assert len(result.steps) == 2
    assert result.ended_by == "patience"
    assert not result.partial


def test_without_a_valset_a_candidate_is_judged_on_the_examples_that_did_not_pick_it() -> None:
    # one step, batch of 8 of 20: the winner is judged on the other 12 training questions
    _, result = _compile(_simba(max_steps=1), lambda q: True, train=20, val=None)
    verdict = result.verdict
    assert verdict is not None
    assert verdict.selected_on == "trainset, less the examples that picked or taught it"
    assert verdict.n == 12
    assert verdict.beat_baseline
    assert result.final_program_id == verdict.candidate_id != 0


def test_a_gain_only_where_the_candidate_was_picked_is_not_returned() -> None:
    # the rule helps on the first step's batch alone: the 12 other questions show no gain
    first = _compile(_simba(max_steps=1), lambda q: True, train=20, val=None)[1].steps[0].batch
    batch = {f"question: t{i}" for i in first}
    _, result = _compile(_simba(max_steps=1), lambda q: q in batch, train=20, val=None)
    step, verdict = result.steps[0], result.verdict
    assert step.batch == first
    assert step.winner_score > (step.candidates[0].score or 0.0)  # it won on its batch
    assert step.val_score == result.baseline_score  # and gained nothing elsewhere
    assert verdict is not None
    assert result.final_program_id == verdict.candidate_id == 0
    assert verdict.message.startswith("no candidate scored above the baseline on the trainset, "
                                      "less the examples that picked or taught it")


def test_a_winner_every_training_example_picked_is_not_judged_and_said_so() -> None:
    _, result = _compile(_simba(max_steps=1), lambda q: True, train=8, val=None)
    assert result.final_program_id == 0
    assert result.steps[0].val_score is None
    assert result.notes == ["1 step winners were not judged: every trainset example picked or "
                            "taught them; a larger trainset, or a valset=, leaves examples to "
                            "judge on"]


def test_the_reference_reports_its_verdict_but_keeps_its_choice() -> None:
    optimized, result = _compile(_simba(algorithm="reference"),
                                 lambda q: q.startswith("question: t") or q == "question: v0")
    assert result.verdict is not None
    assert not result.verdict.beat_baseline
    assert result.final_program_id == result.verdict.candidate_id != 0  # no fall-back
    assert RULE in optimized.instructions
    assert "did not beat the baseline beyond noise" in result.verdict.message


def test_a_validated_step_adds_the_winner_on_the_selection_set_to_the_formula() -> None:
    _, result = _compile(_simba(max_steps=1), lambda q: True)
    step = result.steps[0]
    assert step.val_score == 1.0
    k = len(step.candidates)
    assert step.lm_calls == 8 * 3 + k * 8 + step.rule_calls + 20


@pytest.mark.parametrize("algorithm", ["validated", "reference"])
def test_max_lm_calls_bounds_the_whole_run(algorithm: str) -> None:
    _, result = _compile(_simba(algorithm=algorithm, max_steps=50, max_lm_calls=400,
                                patience=50), lambda q: True)
    assert result.lm_calls <= 400
    assert result.ended_by == "budget"
    assert len(result.steps) >= 2
    assert f"{result.lm_calls} of 400 LM calls" in str(result)


def test_a_budget_too_small_for_one_step_is_an_argument_error() -> None:
    simba = _simba(max_lm_calls=50)
    with pytest.raises(dx.ArgumentError, match=r"max_lm_calls=50 cannot pay for one step"):
        _compile(simba, lambda q: True)


def test_the_step_event_reports_calls_spent_against_the_budget() -> None:
    seen: list[dict[str, object]] = []
    handler = dx.telemetry.attach(lambda e: seen.append(e.attrs),
                                  events=["optimization.step"])
    try:
        _, result = _compile(_simba(max_steps=2, max_lm_calls=1000), lambda q: True)
    finally:
        dx.telemetry.detach(handler)
    assert [e["max_lm_calls"] for e in seen] == [1000, 1000]
    assert seen[-1]["lm_calls"] == result.lm_calls
    assert seen[-1]["val_best_score"] == 1.0


def test_the_verdict_round_trips_with_the_result() -> None:
    _, result = _compile(_simba(max_steps=1), lambda q: True)
    again = OptimizationResult.from_dict(json.loads(json.dumps(result.to_dict())))
    assert again == result
    assert again.verdict is not None
    assert again.verdict.ci == result.verdict.ci  # type: ignore[union-attr]


@pytest.mark.parametrize("options", [{"algorithm": "greedy"}, {"max_lm_calls": 0},
                                     {"patience": 0}, {"confidence": 1.5}])
def test_bad_selection_settings_are_argument_errors(options: dict[str, object]) -> None:
    with pytest.raises(dx.ArgumentError):
        _simba(**options)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_sees_calls_against_the_budget_and_the_verdict(
        monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    _, result = _compile(_simba(max_steps=1, max_lm_calls=500, display="text"),
                         lambda q: q.startswith("question: t") or q == "question: v0")
    lines = terminal.getvalue().splitlines()
    assert lines[0].startswith("step 1/1: winner ")
    assert lines[0].endswith(f"{result.lm_calls} of 500 LM calls")
    assert "validation 0.050" in lines[0]
    assert lines[1] == result.verdict.message  # type: ignore[union-attr]
    assert lines[1].endswith("returning the baseline")


def test_the_chart_status_names_the_validation_best_and_the_calls_spent() -> None:
    from dspex_nb.views.widgets.optimization_chart import step_status

    status = step_status({"step": 1, "max_steps": 8, "best_so_far_score": 0.5,
                          "val_best_score": 0.625, "lm_calls": 412, "max_lm_calls": 1000})
    assert status == "step 2 of 8: best on validation 0.625, 412 of 1000 LM calls"
    reference = step_status({"step": 0, "max_steps": 8, "best_so_far_score": 0.5,
                             "val_best_score": None, "lm_calls": 90, "max_lm_calls": None})
    assert reference == "step 1 of 8: best so far 0.500, 90 LM calls"


def _bad_rule_writer() -> dx.ScriptedLM:
    """Advice keyed by something other than the module's name, as SmolLM2-135M writes it."""
    def answer(r: LMRequest) -> dict[str, object]:
        if "module_advice" in str(r.response_schema):
            return {"discussion": "d", "module_advice": {"intent": "x"}}
        lucky = r.params.get("temperature") == 1.0 and random.Random(
            f"{r.sample_id}{r.messages}").random() < 0.5
        return {"answer": "yes" if lucky else "no"}

    return dx.ScriptedLM(answer)


def test_validated_gives_up_rules_the_prompt_model_cannot_write() -> None:
    lm = _bad_rule_writer()
    simba = _simba(max_steps=4, patience=10)
    simba.compile(dx.Predict("question -> answer", lm=lm), trainset=_examples("t", 20),
                  valset=_examples("v", 20))
    result = simba.result
    assert result is not None
    assert sum(s.rule_calls for s in result.steps) == 3
    assert len(result.notes) == 1
    assert result.notes[0].startswith("append_rule turned off after 3 rule calls in a row")
    assert "advice for ['intent']" in result.notes[0]


def test_the_reference_keeps_writing_rules_as_dspy_does() -> None:
    lm = _bad_rule_writer()
    simba = _simba(max_steps=4, algorithm="reference")
    simba.compile(dx.Predict("question -> answer", lm=lm), trainset=_examples("t", 20))
    assert simba.result is not None
    assert sum(s.rule_calls for s in simba.result.steps) > 3
    assert simba.result.notes == []


def test_a_finished_run_charts_from_its_result_alone() -> None:
    from dspex_nb.views.widgets.optimization_chart import OptimizationChart

    _, result = _compile(_simba(max_steps=2), lambda q: True)
    again = OptimizationResult.from_dict(json.loads(json.dumps(result.to_dict())))
    chart = OptimizationChart.from_result(again)
    assert len(chart.points) == sum(len(s.candidates) for s in result.steps)
    assert [p["step"] for p in chart.best_line] == [0, 1]
    assert chart.baseline == 0.0  # the scripted model answers "no" without the rule
    assert chart.best_program["program_id"] == result.final_program_id != 0
    assert RULE in chart.best_program["predictors"]["self"]["instructions"]
    assert chart.status == f"done: {result.verdict.message} ({result.lm_calls} LM calls)"  # type: ignore[union-attr]


def test_a_result_is_shown_as_its_chart_in_a_notebook() -> None:
    from dspex_nb.views import notebook

    _, result = _compile(_simba(max_steps=1), lambda q: True)
    bundle = notebook._optimization_bundle(result)
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert "application/vnd.jupyter.widget-view+json" in data
