"""How predictions with attempts or chains, and batch results, show as HTML in a notebook."""

from __future__ import annotations

from typing import Any

import dspex_nb as dx
from dspex_nb.views.attempts_view import batch_html, prediction_html

XSS = "<img src=x onerror=alert(1)>"


def test_a_plain_prediction_keeps_its_plain_repr() -> None:
    assert prediction_html(dx.Prediction(answer="4")) is None


def test_a_retried_prediction_shows_every_attempt_and_which_was_returned() -> None:
    def digits(inputs: dict[str, Any], pred: dx.Prediction) -> bool | str:
        return pred.answer.isdigit() or "digits only"

    lm = dx.ScriptedLM([{"answer": XSS}, {"answer": "4"}])
    pred = dx.Retry(dx.Predict("question -> answer", lm=lm), checks=[digits])(question="q")
    shown = prediction_html(pred)
    assert shown is not None
    assert "2 attempts</b> · returned attempt 2" in shown
    assert "digits only" in shown
    assert XSS not in shown and "&lt;img" in shown


def test_chains_show_with_their_answers() -> None:
    def answer(request: Any) -> dict[str, str]:
        if "rationale" in request.response_schema["properties"]:
            return {"rationale": "agree", "answer": "4"}
        return {"reasoning": "r", "answer": "4"}

    pred = dx.MultiChainComparison("question -> answer", M=2,
                                   lm=dx.ScriptedLM(answer))(question="q")
    shown = prediction_html(pred)
    assert shown is not None and "2 chains</b> compared" in shown


def test_a_batch_result_shows_its_summary_and_a_row_per_input() -> None:
    result = dx.Predict("question -> answer", lm=dx.ScriptedLM(
        [{"answer": "a"}, {"answer": "b"}])).batch([{"question": "1"}, {"question": "2"}])
    shown = batch_html(result)
    assert "2/2 done, 0 failed" in shown
    assert shown.count("<td>ok</td>") == 2  # a row per input
