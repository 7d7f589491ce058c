"""What the harness does with scores that mean nothing: unusable golds, NaN, non-numbers, and
arguments that would make the statistics wrong. Never a silent pass."""

from __future__ import annotations

import math
from typing import Any

import pytest

import dspex_nb as dx
from dspex_nb.lm import LMRequest


def _echo() -> dx.Predict:
    def answer(request: LMRequest) -> dict[str, str]:
        return {"answer": str(request.messages[-1]["content"]).removeprefix("question: ")}

    return dx.Predict("question -> answer", lm=dx.ScriptedLM(answer))


def _devset(golds: list[Any]) -> list[dx.Example]:
    return [dx.Example(question=f"q{i}", answer=g).with_inputs("question")
            for i, g in enumerate(golds)]


def test_unusable_golds_stop_the_evaluation_before_any_example_runs() -> None:
    program = _echo()
    with pytest.raises(dx.DataError, match=r"2 of 4 examples .*example 1: gold 'answer' "
                                           r"value 'the' .* example 3: gold 'answer' is None"):
        dx.evaluate(program, _devset(["q0", "the", "q2", None]),
                    [dx.metrics.answer_exact_match], display="none")
    assert program.lm.requests == []  # type: ignore[union-attr]


def test_unusable_golds_can_be_recorded_as_failures_while_the_rest_run() -> None:
    program = _echo()
    report = dx.evaluate(program, _devset(["q0", "", "q2"]), [dx.metrics.answer_exact_match],
                         display="none", bad_golds="record")
    assert [r.error_type for r in report.results] == [None, "DataError", None]
    assert report.results[1].scores == {"answer_exact_match": 0.0}
    assert len(program.lm.requests) == 2  # type: ignore[union-attr]


def test_a_partial_metric_is_checked_on_the_field_it_reads() -> None:
    import functools

    metric = functools.partial(dx.metrics.answer_exact_match, field="label")
    devset = [dx.Example(question="q", label="", answer="fine").with_inputs("question")]
    with pytest.raises(dx.DataError, match="gold 'label'"):
        dx.evaluate(_echo(), devset, [metric], display="none")


@pytest.mark.parametrize("value", [math.nan, math.inf, "0.5", None])
def test_a_metric_returning_no_finite_number_is_a_counted_failure(value: object) -> None:
    def odd(example: dx.Example, prediction: dx.Prediction, trace: object = None) -> object:
        return value if example.question == "q1" else 1.0

    report = dx.evaluate(_echo(), _devset(["q0", "q1", "q2"]), [odd], display="none")
    assert [r.error_type for r in report.results] == [None, "MetricError", None]
    assert report["odd"].mean == pytest.approx(2 / 3)  # the failure scores failure_score
    assert math.isfinite(report["odd"].ci_low)
    assert "failed: every failure: MetricError: metric odd returned" in str(report)


def test_a_nan_metric_everywhere_is_said_plainly() -> None:
    report = dx.evaluate(_echo(), _devset(["q0", "q1"]), {"nan": lambda e, p, t: math.nan},
                         display="none")
    assert report.failures == 2
    assert "WARNING: all 2 examples failed" in str(report)
    assert "every failure: MetricError: metric nan returned nan" in str(report)


def test_comparisons_of_nan_free_reports_show_the_bootstrap_floor() -> None:
    devset = _devset([f"q{i}" for i in range(40)])
    wrong = dx.Predict("question -> answer", lm=dx.ScriptedLM(lambda r: {"answer": "x"}))
    a = dx.evaluate(wrong, devset, [dx.metrics.answer_exact_match], display="none")
    b = dx.evaluate(_echo(), devset, [dx.metrics.answer_exact_match], display="none")
    assert "p < 0.0005 (bootstrap floor, 2000 resamples)" in str(dx.compare(a, b))


@pytest.mark.parametrize(("options", "argument"), [
    ({"failure_score": math.nan}, "failure_score"),
    ({"failure_score": "zero"}, "failure_score"),
    ({"resamples": 0}, "resamples"),
    ({"display": "loud"}, "display"),
    ({"bad_golds": "ignore"}, "bad_golds"),
])
def test_arguments_that_would_spoil_the_statistics_are_refused(options: dict[str, Any],
                                                               argument: str) -> None:
    with pytest.raises(dx.ArgumentError, match=argument):
        dx.Harness([dx.metrics.answer_exact_match], **options)


@pytest.mark.parametrize(("display", "mode"), [(True, "auto"), (False, "none")])
def test_display_accepts_dspy_booleans(display: bool, mode: str) -> None:
    assert dx.Harness([dx.metrics.answer_exact_match], display=display).display == mode


def test_the_report_has_a_score_like_dspy_evaluate() -> None:
    report = dx.evaluate(_echo(), _devset(["q0", "zzz"]), [dx.metrics.answer_exact_match],
                         display=False)
    assert report.score == report["answer_exact_match"].mean == 0.5


def test_simba_refuses_a_trainset_with_unusable_golds() -> None:
    simba = dx.SIMBA(dx.metrics.answer_exact_match, bsize=2, max_steps=1, display="none")
    with pytest.raises(dx.DataError, match=r"trainset .* gold 'answer'"):
        simba.compile(_echo(), trainset=_devset(["q0", "a"]))


def test_simba_survives_a_metric_that_returns_nan() -> None:
    def flaky(example: dx.Example, prediction: dx.Prediction, trace: object = None) -> float:
        return math.nan if example.question == "q1" else 1.0

    simba = dx.SIMBA(flaky, bsize=2, num_candidates=2, max_steps=1, display="none")
    simba.compile(_echo(), trainset=_devset(["q0", "q1", "q2"]))
    assert simba.result is not None and simba.result.final_score is not None
    assert math.isfinite(simba.result.final_score)
