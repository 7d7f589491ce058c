"""dx.Parallel and module.batch, with dx.ScriptedLM."""

from __future__ import annotations

import io
import os
import signal
from typing import Any

import pandas as pd
import pytest

import dspex_nb as dx
from dspex_nb.lm.types import LMRequest
from dspex_nb.modules.batch import BatchRun
from dspex_nb.views.terminal import BatchBar


def echo(latency: float = 0.0, *, fail_on: str = "bad") -> dx.ScriptedLM:
    def answer(request: LMRequest) -> Any:
        question = request.messages[1]["content"].split(": ", 1)[1]
        if fail_on in question:
            return dx.ServerError(f"cannot answer {question}")
        return {"answer": question.upper()}

    return dx.ScriptedLM(answer, latency=latency)


def test_results_come_back_in_input_order_whatever_order_they_finish() -> None:
    def answer(request: LMRequest) -> dict[str, str]:
        return {"answer": request.messages[1]["content"]}

    class Slow(dx.Module):
        def __init__(self) -> None:
            self.qa = dx.Predict("question -> answer", lm=dx.ScriptedLM(answer))

        async def aforward(self, question: str) -> dx.Prediction:
            import asyncio

            await asyncio.sleep(0.01 * (10 - int(question)))  # the first finishes last
            result: dx.Prediction = await self.qa.acall(question=question)
            return result

    result = dx.Parallel(Slow(), concurrency=10)([{"question": str(i)} for i in range(10)])
    assert [o.index for o in result] == list(range(10))
    assert [v.answer for v in result.values] == [f"question: {i}" for i in range(10)]


def test_a_failure_is_recorded_and_the_batch_goes_on() -> None:
    qa = dx.Predict("question -> answer", lm=echo())
    result = qa.batch([{"question": q} for q in ["a", "bad", "c"]], display="none")
    assert [o.status for o in result] == ["ok", "failed", "ok"]
    assert result.values == [dx.Prediction(answer="A"), None, dx.Prediction(answer="C")]
    assert result.errors[0].error == "ServerError: cannot answer bad"
    assert result.failures == 1 and not result.partial


def test_each_outcome_has_its_latency() -> None:
    result = dx.Predict("question -> answer", lm=echo(0.02)).batch([{"question": "a"}])
    assert result[0].latency_s >= 0.02


def test_max_errors_stops_the_batch_and_keeps_the_partial_result() -> None:
    qa = dx.Predict("question -> answer", lm=echo(0.01))
    with pytest.raises(dx.MaxErrorsReached) as caught:
        qa.batch([{"question": "bad"}] * 50, max_errors=3, concurrency=1)
    partial = caught.value.result
    assert partial.failures == 3 and partial.done == 3 and partial.partial
    assert [o.status for o in partial][3:] == ["not run"] * 47
    assert "most were ServerError (3)" in str(caught.value)


def test_a_timeout_fails_only_that_input() -> None:
    def answer(request: LMRequest) -> dict[str, str]:
        return {"answer": "x"}

    class Sleepy(dx.Module):
        async def aforward(self, question: str) -> str:
            import asyncio

            await asyncio.sleep(1.0 if question == "slow" else 0)
            return question

    result = dx.Parallel(Sleepy(), timeout=0.1)([{"question": "slow"}, {"question": "fast"}])
    assert result[0].error == "TimeoutError: no result within 0.1 s"
    assert result[1].value == "fast"


def test_an_interrupt_returns_the_partial_result(ctrl_c: None) -> None:
    # A real SIGINT, as the notebook's interrupt sends: it wakes the waiting main thread.
    # Sent by the 10th LM call (not after a time), so some inputs are done on any machine.
    calls = 0

    def answer(request: LMRequest) -> Any:
        nonlocal calls
        calls += 1
        if calls == 10:
            os.kill(os.getpid(), signal.SIGINT)
        return {"answer": "A"}

    qa = dx.Predict("question -> answer", lm=dx.ScriptedLM(answer, latency=0.05))
    result = qa.batch([{"question": str(i)} for i in range(200)], concurrency=2,
                      display="none")
    assert result.partial
    assert result.stop_reason == "interrupted"
    assert 0 < result.done < 200
    assert all(o.ok for o in result if o.status != "not run")


def test_inputs_may_be_examples_dicts_or_a_dataframe() -> None:
    qa = dx.Predict("question -> answer", lm=echo())
    examples = [dx.Example(question="a", answer="gold").with_inputs("question")]
    assert qa.batch(examples).values == [dx.Prediction(answer="A")]
    frame = pd.DataFrame({"question": ["x", "y"]})
    assert [v.answer for v in qa.batch(frame).values] == ["X", "Y"]
    assert [v.answer for v in qa.batch([row for _, row in frame.iterrows()]).values] == [
        "X", "Y"]


def test_bad_inputs_and_settings_are_refused() -> None:
    qa = dx.Predict("question -> answer", lm=echo())
    with pytest.raises(dx.ArgumentError, match=r"inputs\[1\]"):
        qa.batch([{"question": "a"}, "b"])
    with pytest.raises(dx.ArgumentError, match="concurrency"):
        dx.Parallel(qa, concurrency=0)
    with pytest.raises(dx.ArgumentError, match="timeout"):
        dx.Parallel(qa, timeout=-1)
    with pytest.raises(TypeError):
        dx.Parallel(qa, num_workers=4)  # type: ignore[call-arg]


def test_nothing_accumulates_on_the_module_between_batches() -> None:
    qa = dx.Predict("question -> answer", lm=echo())
    parallel = dx.Parallel(qa)
    before = dict(vars(parallel))
    parallel([{"question": "bad"}, {"question": "a"}])
    second = parallel([{"question": "b"}])
    assert second.failures == 0 and len(second) == 1
    assert vars(parallel) == before


def test_a_batch_is_a_span_with_an_item_span_per_input() -> None:
    qa = dx.Predict("question -> answer", lm=echo())
    with dx.trace() as trace:
        qa.batch([{"question": "a"}, {"question": "b"}])
    (batch,) = trace.spans("batch")
    assert [c.kind for c in batch.children] == ["item", "item"]
    assert batch.attrs["done"] == 2


def test_the_terminal_bar_draws_progress_from_the_run() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Tty()
    run = BatchRun("Predict", total=4, concurrency=2)
    run.done, run.failures = 2, 1
    BatchBar(run, stream=stream, width=8)._draw()
    assert "Predict [####....] 2/4  failures 1" in stream.getvalue()
