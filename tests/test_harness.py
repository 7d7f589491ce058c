from __future__ import annotations

import asyncio
import json
import threading

import pandas as pd
import pytest

import dspex_nb as dx
from dspex_nb.lm import LMRequest


def _question(request: LMRequest) -> str:
    return str(request.messages[-1]["content"]).removeprefix("question: ")


def _devset(n: int) -> list[dx.Example]:
    return [dx.Example(question=f"q{i}", answer=f"a{i}").with_inputs("question")
            for i in range(n)]


def _echo_lm(**kwargs: object) -> dx.ScriptedLM:
    """Answers a<i> for question q<i>: every example right unless told otherwise."""
    return dx.ScriptedLM(lambda r: {"reasoning": "echo", "answer": "a" + _question(r)[1:]},
                         **kwargs)  # type: ignore[arg-type]


def test_results_come_back_in_devset_order_whatever_finishes_first() -> None:
    class SlowFirst(dx.Module):
        def __init__(self) -> None:
            self.p = dx.Predict("question -> answer", lm=_echo_lm())

        async def aforward(self, question: str) -> dx.Prediction:
            await asyncio.sleep(0.05 if question == "q0" else 0.001)
            result: dx.Prediction = await self.p.acall(question=question)
            return result

    report = dx.evaluate(SlowFirst(), _devset(12), [dx.metrics.answer_exact_match],
                         concurrency=6, display="none")
    assert [r.index for r in report.results] == list(range(12))
    assert [r.prediction["answer"] for r in report.results] == [f"a{i}" for i in range(12)]
    assert report["answer_exact_match"].mean == 1.0


def test_a_failing_example_is_recorded_and_the_run_goes_on() -> None:
    def answer(request: LMRequest) -> dict[str, str]:
        if _question(request) == "q3":
            raise dx.ServerError("server down after retries", status=503)
        return {"answer": "a" + _question(request)[1:]}

    report = dx.evaluate(dx.Predict("question -> answer", lm=dx.ScriptedLM(answer)),
                         _devset(8), [dx.metrics.answer_exact_match], failure_score=-1.0,
                         display="none")
    assert report.n == 8
    assert report.failures == 1
    failed = report.results[3]
    assert failed.error_type == "ServerError"
    assert failed.error is not None and "server down" in failed.error
    assert failed.scores == {"answer_exact_match": -1.0}
    assert report["answer_exact_match"].failures == 1
    assert not report.partial


def test_a_metric_that_raises_is_a_recorded_failure() -> None:
    def fragile(example: dx.Example, prediction: dx.Prediction, trace: object = None) -> float:
        if example.question == "q1":
            raise KeyError("missing field")
        return 1.0

    report = dx.evaluate(dx.Predict("question -> answer", lm=_echo_lm()), _devset(3), [fragile],
                         display="none")
    assert report.results[1].error is not None
    assert "metric fragile raised KeyError" in report.results[1].error
    assert report.scores("fragile") == [1.0, 0.0, 1.0]


def test_max_errors_stops_early_with_a_partial_report() -> None:
    lm = dx.ScriptedLM([dx.ServerError("down", status=503)], cycle=True, latency=0.01)
    report = dx.evaluate(dx.Predict("question -> answer", lm=lm), _devset(200),
                         [dx.metrics.answer_exact_match], max_errors=5, concurrency=2,
                         display="none")
    assert report.partial
    assert report.stop_reason == "max_errors=5 reached"
    assert 5 <= report.n < 200
    assert report.planned == 200


def test_stop_from_another_thread_returns_the_finished_examples() -> None:
    harness = dx.Harness([dx.metrics.answer_exact_match], concurrency=4, display="none")
    calls = 0

    def answer(request: LMRequest) -> dict[str, str]:
        nonlocal calls
        calls += 1
        if calls == 20:  # after some examples on any machine, not after a time
            threading.Thread(target=harness.stop, args=("interrupted",)).start()
        return {"reasoning": "echo", "answer": "a" + _question(request)[1:]}

    program = dx.Predict("question -> answer", lm=dx.ScriptedLM(answer, latency=0.02))
    report = harness.run(program, _devset(1000))
    assert report.partial
    assert report.stop_reason == "interrupted"
    assert 0 < report.n < 1000
    assert [r.index for r in report.results] == sorted({r.index for r in report.results})
    assert all(r.error is None for r in report.results)  # stopped ones are not failures


def test_cancelling_arun_returns_a_partial_report() -> None:
    harness = dx.Harness([dx.metrics.answer_exact_match], concurrency=2, display="none")
    program = dx.Predict("question -> answer", lm=_echo_lm(latency=0.02))

    async def main() -> dx.EvaluationReport:
        task = asyncio.ensure_future(harness.arun(program, _devset(500)))
        await asyncio.sleep(0.2)
        task.cancel()
        return await task

    report = asyncio.run(main())
    assert report.partial
    assert report.stop_reason == "cancelled"


def test_concurrency_bounds_the_calls_in_flight() -> None:
    in_flight = 0
    most = 0
    lock = threading.Lock()

    class Counting(dx.Module):
        async def aforward(self, question: str) -> dx.Prediction:
            nonlocal in_flight, most
            with lock:
                in_flight += 1
                most = max(most, in_flight)
            await asyncio.sleep(0.01)
            with lock:
                in_flight -= 1
            return dx.Prediction(answer="a" + question[1:])

    dx.evaluate(Counting(), _devset(40), [dx.metrics.answer_exact_match], concurrency=4,
                display="none")
    assert most == 4


def test_harnesses_sharing_slots_keep_their_calls_in_flight_within_them() -> None:
    in_flight = 0
    most = 0

    class Counting(dx.Module):
        async def aforward(self, question: str) -> dx.Prediction:
            nonlocal in_flight, most
            in_flight += 1
            most = max(most, in_flight)
            await asyncio.sleep(0.005)
            in_flight -= 1
            return dx.Prediction(answer="a" + question[1:])

    async def two_at_once() -> None:
        slots = asyncio.Semaphore(3)
        harnesses = [dx.Harness([dx.metrics.answer_exact_match], concurrency=3, slots=slots,
                                display="none") for _ in range(2)]
        await asyncio.gather(*(h.arun(Counting(), _devset(20)) for h in harnesses))

    asyncio.run(two_at_once())
    assert most == 3  # not 6: the two harnesses take turns in the three shared slots


def test_slots_that_are_not_a_semaphore_are_an_argument_error() -> None:
    with pytest.raises(dx.ArgumentError, match="async context manager"):
        dx.Harness([dx.metrics.answer_exact_match], slots=3)  # type: ignore[arg-type]


def test_dataframe_devset_with_input_keys() -> None:
    frame = pd.DataFrame({"question": ["q0", "q1"], "answer": ["a0", "wrong"]})
    report = dx.evaluate(dx.Predict("question -> answer", lm=_echo_lm()), frame,
                         [dx.metrics.answer_exact_match], input_keys=["question"], display="none")
    assert report.scores("answer_exact_match") == [1.0, 0.0]
    assert report["answer_exact_match"].pass_rate == 0.5


def test_examples_without_inputs_get_a_clear_error() -> None:
    with pytest.raises(dx.InputError, match="with_inputs"):
        dx.evaluate(dx.Predict("question -> answer", lm=_echo_lm()),
                    [dx.Example(question="q0", answer="a0")], [dx.metrics.answer_exact_match])


def test_bool_score_and_feedback_metrics() -> None:
    def is_right(example: dx.Example, prediction: dx.Prediction, trace: object = None) -> bool:
        return bool(example.answer == prediction.answer)

    def graded(example: dx.Example, prediction: dx.Prediction, trace: object = None) -> dx.Score:
        return dx.Score(0.5, feedback=f"half marks for {prediction.answer}")

    async def async_metric(example: dx.Example, prediction: dx.Prediction,
                           trace: object = None) -> float:
        return 0.25

    report = dx.evaluate(dx.Predict("question -> answer", lm=_echo_lm()), _devset(2),
                         {"right": is_right, "graded": graded, "async": async_metric},
                         display="none")
    assert report.scores("right") == [1.0, 1.0]
    assert report.results[0].feedback["graded"] == "half marks for a0"
    assert report.scores("async") == [0.25, 0.25]


def test_each_result_keeps_the_exact_prompt_response_tokens_and_cost() -> None:
    dx.set_price("priced-model", input_per_million=1.0, output_per_million=2.0)
    lm = dx.ScriptedLM(lambda r: {"answer": "a" + _question(r)[1:]}, model="priced-model",
                       tokens=(100, 50))
    report = dx.evaluate(dx.Predict("question -> answer", lm=lm), _devset(3),
                         [dx.metrics.answer_exact_match], display="none")
    first = report.results[0]
    (call,) = first.trace
    assert call.signature == "question -> answer"
    assert call.inputs == {"question": "q0"}
    assert call.lm_calls[0].messages[-1]["content"] == "question: q0"
    assert call.lm_calls[0].response == '{"answer":"a0"}'
    assert (first.prompt_tokens, first.completion_tokens) == (100, 50)
    assert first.cost_usd == pytest.approx(200 / 1_000_000)
    assert report.prompt_tokens == 300
    assert report.latency_p50 is not None


def test_report_round_trips_through_json() -> None:
    report = dx.evaluate(dx.Predict("question -> answer", lm=_echo_lm()), _devset(5),
                         [dx.metrics.answer_exact_match, dx.metrics.f1_score], display="none")
    again = dx.EvaluationReport.from_dict(json.loads(json.dumps(report.to_dict())))
    assert again == report
    assert again.to_pandas().equals(report.to_pandas())


def test_report_table_has_inputs_predictions_gold_and_scores() -> None:
    report = dx.evaluate(dx.Predict("question -> answer", lm=_echo_lm()), _devset(2),
                         [dx.metrics.answer_exact_match], display="none")
    frame = report.to_pandas()
    assert list(frame.columns[:3]) == ["question", "pred.answer", "gold.answer"]
    assert frame.loc[1, "answer_exact_match"] == 1.0


def test_compare_identical_programs_is_not_significant() -> None:
    program = dx.Predict("question -> answer", lm=_echo_lm())
    a = dx.evaluate(program, _devset(30), [dx.metrics.answer_exact_match], display="none")
    b = dx.evaluate(program, _devset(30), [dx.metrics.answer_exact_match], display="none")
    delta = dx.compare(a, b)["answer_exact_match"]
    assert delta.delta == 0.0
    assert delta.p_value == 1.0
    assert not delta.significant


def test_compare_right_against_wrong_is_significant_with_mcnemar() -> None:
    right = dx.evaluate(dx.Predict("question -> answer", lm=_echo_lm()), _devset(30),
                        [dx.metrics.answer_exact_match], display="none")
    wrong_lm = dx.ScriptedLM([{"answer": "nope"}], cycle=True)
    wrong = dx.evaluate(dx.Predict("question -> answer", lm=wrong_lm), _devset(30),
                        [dx.metrics.answer_exact_match], display="none")
    comparison = dx.compare(wrong, right)
    delta = comparison["answer_exact_match"]
    assert delta.delta == 1.0
    assert delta.p_value < 0.001
    assert delta.mcnemar_p is not None and delta.mcnemar_p < 0.001
    assert comparison.flipped == list(range(30))
    assert "delta +1.000" in str(comparison)


def test_compare_needs_the_same_examples() -> None:
    program = dx.Predict("question -> answer", lm=_echo_lm())
    a = dx.evaluate(program, _devset(5), [dx.metrics.answer_exact_match], display="none")
    b = dx.evaluate(program, _devset(8), [dx.metrics.answer_exact_match], display="none")
    with pytest.raises(ValueError, match="only one report"):
        dx.compare(a, b)


def test_spans_at_concurrency_32_stay_with_their_example() -> None:
    lm = _echo_lm(latency=0.003)
    with dx.trace() as t:
        report = dx.evaluate(dx.ChainOfThought("question -> answer", lm=lm), _devset(96),
                             [dx.metrics.answer_exact_match], concurrency=32, display="none")
    (evaluation,) = t.spans("evaluation")
    assert len(evaluation.children) == 96
    for example_span in evaluation.children:
        i = example_span.attrs["index"]
        lm_spans = [s for s in example_span.walk() if s.kind == "lm"]
        assert len(lm_spans) == 1
        assert lm_spans[0].attrs["messages"][-1]["content"] == f"question: q{i}"
    assert all(len(r.trace) == 1 for r in report.results)


def test_progress_events_arrive_once_per_example() -> None:
    seen: list[int] = []
    handler = dx.telemetry.attach(lambda e: seen.append(e.attrs["index"]),
                                  events=["evaluation.progress"])
    try:
        dx.evaluate(dx.Predict("question -> answer", lm=_echo_lm()), _devset(20),
                    [dx.metrics.answer_exact_match], concurrency=5, display="none")
    finally:
        dx.telemetry.detach(handler)
    assert sorted(seen) == list(range(20))


def test_sync_run_works_inside_a_running_event_loop() -> None:
    async def cell() -> float:
        report = dx.evaluate(dx.Predict("question -> answer", lm=_echo_lm()), _devset(4),
                             [dx.metrics.answer_exact_match], display="none")
        return report["answer_exact_match"].mean

    assert asyncio.run(cell()) == 1.0
