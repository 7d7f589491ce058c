"""Issue 18's silent failures, one test each: what used to score zeros (or ignore a setting)
without a word now works as written or stops with a typed error that says why."""

from __future__ import annotations

import random
from typing import Any

import pytest

import dspex_nb as dx
from dspex_nb.lm import LMRequest


def _echo() -> dx.Predict:
    def answer(request: LMRequest) -> dict[str, str]:
        return {"answer": str(request.messages[-1]["content"]).removeprefix("question: ")}

    return dx.Predict("question -> answer", lm=dx.ScriptedLM(answer))


def _devset(n: int) -> list[dx.Example]:
    return [dx.Example(question=f"q{i}", answer=f"q{i}" if i % 2 else "no").with_inputs(
        "question") for i in range(n)]


def _two_argument_metric(example: dx.Example, prediction: dx.Prediction) -> bool:
    """DSPy's documented metric form: no `trace` argument."""
    return bool(example.answer == prediction.answer)


# -- metrics DSPy users write ------------------------------------------------------------------
def test_a_two_argument_metric_is_called_without_trace() -> None:
    report = dx.evaluate(_echo(), _devset(6), _two_argument_metric, display="none")
    assert report.failures == 0
    assert report.scores("_two_argument_metric") == [0.0, 1.0, 0.0, 1.0, 0.0, 1.0]


def test_a_metric_with_an_optional_trace_is_called_with_it() -> None:
    seen: list[Any] = []

    def metric(example: dx.Example, prediction: dx.Prediction, trace: Any = "unset") -> float:
        seen.append(trace)
        return 1.0

    dx.evaluate(_echo(), _devset(2), [metric], display="none")
    assert seen == [None, None]


def test_a_metric_that_cannot_take_two_arguments_is_refused_before_any_call() -> None:
    program = _echo()
    with pytest.raises(dx.ArgumentError, match=r"metric one must accept \(example, predi"):
        dx.evaluate(program, _devset(2), {"one": lambda example: 1.0}, display="none")
    assert program.lm.requests == []  # type: ignore[union-attr]


@pytest.mark.parametrize("metric", [5, "exact", None])
def test_a_metric_that_is_not_a_function_is_an_argument_error(metric: Any) -> None:
    with pytest.raises(dx.ArgumentError, match="metric"):
        dx.evaluate(_echo(), _devset(2), metric, display="none")


def test_a_program_that_is_not_a_module_is_named_in_the_error() -> None:
    with pytest.raises(dx.ArgumentError, match=r"program must be a dx.Module.*str 'notaprog"):
        dx.evaluate("notaprogram", _devset(2), _two_argument_metric, display="none")


def test_a_metric_that_always_raises_is_said_plainly_with_the_first_error() -> None:
    def broken(example: dx.Example, prediction: dx.Prediction) -> float:
        raise KeyError("label")

    report = dx.evaluate(_echo(), _devset(4), broken, display="none")
    assert report.warning is not None
    assert report.warning.startswith("all 4 examples failed")
    assert "every failure: MetricError: metric broken raised KeyError: 'label'" in report.warning
    assert "WARNING: all 4 examples failed" in str(report)


def test_a_minority_of_failures_gives_no_warning() -> None:
    def odd_fails(example: dx.Example, prediction: dx.Prediction) -> float:
        if example.question == "q1":
            raise ValueError("odd")
        return 1.0

    report = dx.evaluate(_echo(), _devset(4), odd_fails, display="none")
    assert report.failures == 1
    assert report.warning is None


# -- SIMBA ---------------------------------------------------------------------------------------
def _yes_program() -> dx.Predict:
    def answer(request: LMRequest) -> dict[str, object]:
        props = list((request.response_schema or {}).get("properties", {}))
        if "module_advice" in props:
            return {"discussion": "d", "module_advice": {"self": "Say yes."}}
        return {"answer": random.Random(str(request.messages)).choice(["yes", "no"])}

    return dx.Predict("question -> answer", lm=dx.ScriptedLM(answer))


def _trainset(n: int) -> list[dx.Example]:
    return [dx.Example(question=f"q{i}", answer="yes").with_inputs("question") for i in range(n)]


def test_simba_without_a_metric_is_an_argument_error() -> None:
    with pytest.raises(dx.ArgumentError, match="metric must be a function"):
        dx.SIMBA(None)  # type: ignore[arg-type]


def test_simba_stops_with_a_typed_error_when_no_baseline_example_can_be_scored() -> None:
    def broken(example: dx.Example, prediction: dx.Prediction) -> float:
        raise KeyError("label")

    simba = dx.SIMBA(broken, bsize=4, num_candidates=2, max_steps=2, algorithm="reference",
                     display="none")
    with pytest.raises(dx.AllFailedError, match=r"all 8 trajectories of the first step "
                                                r"failed.*metric broken raised KeyError"):
        simba.compile(_yes_program(), trainset=_trainset(4))


def test_simba_with_no_steps_checks_the_baseline_too() -> None:
    def broken(example: dx.Example, prediction: dx.Prediction) -> float:
        raise KeyError("label")

    simba = dx.SIMBA(broken, bsize=4, num_candidates=2, max_steps=0, display="none")
    with pytest.raises(dx.AllFailedError, match="all 4 examples of the baseline failed"):
        simba.compile(_yes_program(), trainset=_trainset(4))


def test_simba_scores_a_two_argument_metric() -> None:
    def metric(example: dx.Example, prediction: dx.Prediction) -> bool:
        return bool(example.answer == prediction.answer)

    simba = dx.SIMBA(metric, bsize=4, num_candidates=2, max_steps=1, display="none")
    simba.compile(_yes_program(), trainset=_trainset(4))
    assert simba.result is not None
    assert any(c.score for step in simba.result.steps for c in step.candidates)


@pytest.mark.parametrize("program", ["prog", None, 5])
def test_simba_refuses_a_program_that_is_not_a_module(program: Any) -> None:
    simba = dx.SIMBA(_two_argument_metric, display="none")
    with pytest.raises(dx.ArgumentError, match=r"SIMBA optimizes a dx\.Module"):
        simba.compile(program, trainset=_trainset(4))


@pytest.mark.parametrize("trainset", [None, 5, "abc"])
def test_simba_refuses_a_trainset_that_is_not_a_collection(trainset: Any) -> None:
    simba = dx.SIMBA(_two_argument_metric, display="none")
    with pytest.raises(dx.ArgumentError, match="trainset"):
        simba.compile(_yes_program(), trainset=trainset)


# -- settings that were ignored ----------------------------------------------------------------
def test_max_errors_holds_when_failures_come_back_at_once() -> None:
    lm = dx.ScriptedLM([dx.ServerError("down", status=503)], cycle=True)
    report = dx.evaluate(dx.Predict("question -> answer", lm=lm), _devset(40),
                         [dx.metrics.answer_exact_match], max_errors=2, concurrency=1,
                         display="none")
    assert report.n == 2
    assert report.partial
    assert report.stop_reason == "max_errors=2 reached"


@pytest.mark.parametrize(("option", "value"), [
    ("failure_score", "zero"), ("failure_score", float("nan")), ("concurrency", 1.5),
    ("concurrency", 0), ("max_errors", "2"), ("max_errors", 0), ("resamples", 0),
    ("threshold", "high"), ("seed", -1), ("bad_golds", "ignore"),
])
def test_a_harness_option_of_the_wrong_kind_is_refused_at_construction(option: str,
                                                                        value: Any) -> None:
    with pytest.raises(dx.ArgumentError, match=option):
        dx.Harness([dx.metrics.answer_exact_match], **{option: value})


def test_a_threshold_for_an_unknown_metric_is_refused() -> None:
    with pytest.raises(dx.ArgumentError, match=r"threshold names metrics .*\['f1'\]"):
        dx.Harness([dx.metrics.answer_exact_match], threshold={"f1": 0.5})


@pytest.mark.parametrize("devset", [None, 3, "q0"])
def test_a_devset_that_is_not_a_collection_is_named(devset: Any) -> None:
    with pytest.raises(dx.ArgumentError, match="devset"):
        dx.evaluate(_echo(), devset, _two_argument_metric, display="none")


def test_an_empty_devset_is_refused() -> None:
    with pytest.raises(dx.ArgumentError, match="devset is empty"):
        dx.evaluate(_echo(), [], _two_argument_metric, display="none")


def test_a_nan_score_inside_simba_is_a_recorded_failure_not_a_crash() -> None:
    def sometimes_nan(example: dx.Example, prediction: dx.Prediction) -> float:
        return float("nan") if example.question in ("q0", "q1") else 1.0

    simba = dx.SIMBA(sometimes_nan, bsize=4, num_candidates=2, max_steps=2, display="none")
    simba.compile(_yes_program(), trainset=_trainset(4))
    assert simba.result is not None and len(simba.result.steps) == 2
    assert simba.result.final_score is not None and 0.0 < simba.result.final_score < 1.0
