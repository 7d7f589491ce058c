"""Assertions, checks and dx.Retry, with dx.ScriptedLM."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

import dspex_nb as dx
from dspex_nb.lm.types import LMRequest


@pytest.fixture
def events() -> Iterator[list[dx.telemetry.Event]]:
    seen: list[dx.telemetry.Event] = []
    handler = dx.telemetry.attach(seen.append)
    yield seen
    dx.telemetry.detach(handler)


def digits(inputs: dict[str, Any], pred: dx.Prediction) -> bool | str:
    return pred.answer.isdigit() or "the answer must be written in digits only"


def scripted(*answers: dict[str, Any] | str, cache: bool = False) -> dx.ScriptedLM:
    return dx.ScriptedLM(list(answers), cache=cache)


# -- assertions outside a Retry -------------------------------------------------------------
class Checked(dx.Module):
    def __init__(self) -> None:
        self.qa = dx.Predict("question -> answer")

    def forward(self, question: str) -> dx.Prediction:
        pred: dx.Prediction = self.qa(question=question)
        dx.Assert(pred.answer.isdigit(), "the answer must be written in digits only")
        return pred


def test_a_failed_assert_outside_a_retry_raises_with_message_and_prediction() -> None:
    dx.configure(lm=scripted({"answer": "four"}))
    program = Checked()
    with pytest.raises(dx.AssertionFailed) as caught:
        program(question="2+2?")
    assert caught.value.message == "the answer must be written in digits only"
    assert caught.value.prediction == {"answer": "four"}
    assert caught.value.target is program.qa
    assert isinstance(caught.value, dx.DspexError)


def test_a_failed_suggest_emits_an_event_and_the_call_goes_on(
        events: list[dx.telemetry.Event]) -> None:
    class Suggesting(dx.Module):
        def __init__(self) -> None:
            self.qa = dx.Predict("question -> answer")

        def forward(self, question: str) -> dx.Prediction:
            pred: dx.Prediction = self.qa(question=question)
            dx.Suggest(len(pred.answer) < 3, "keep the answer short")
            return pred

    dx.configure(lm=scripted({"answer": "a long answer"}))
    assert Suggesting()(question="q").answer == "a long answer"
    failed = [e for e in events if e.name == "suggest.failed"]
    assert [e.attrs["message"] for e in failed] == ["keep the answer short"]


def test_a_check_attached_to_a_module_fails_like_an_assert() -> None:
    qa = dx.Predict("question -> answer", lm=scripted({"answer": "four"})).add_check(digits)
    with pytest.raises(dx.AssertionFailed, match="digits only"):
        qa(question="2+2?")


def test_a_soft_check_only_suggests(events: list[dx.telemetry.Event]) -> None:
    qa = dx.Predict("question -> answer", lm=scripted({"answer": "four"}))
    qa.add_check(digits, soft=True)
    assert qa(question="2+2?").answer == "four"
    assert [e.attrs["message"] for e in events if e.name == "suggest.failed"] == [
        "the answer must be written in digits only"]


def test_a_check_returning_false_uses_its_docstring_as_feedback() -> None:
    def short(inputs: dict[str, Any], pred: dx.Prediction) -> bool:
        """The answer must be at most three characters long."""
        return len(pred.answer) <= 3

    qa = dx.Predict("question -> answer", lm=scripted({"answer": "four"})).add_check(short)
    with pytest.raises(dx.AssertionFailed, match="at most three characters"):
        qa(question="q")


def test_a_check_returning_none_is_an_error_not_a_pass() -> None:
    def forgot_return(inputs: dict[str, Any], pred: dx.Prediction) -> None:
        pred.answer.isdigit()

    qa = dx.Predict("question -> answer", lm=scripted({"answer": "4"}))
    qa.add_check(forgot_return)  # type: ignore[arg-type]
    with pytest.raises(dx.ArgumentError, match="returned NoneType"):
        qa(question="q")


def test_an_assert_without_a_message_is_refused() -> None:
    with pytest.raises(dx.ArgumentError, match="message"):
        dx.Assert(False, "")


# -- Retry ------------------------------------------------------------------------------------
def test_the_second_attempt_sees_the_first_reply_and_the_feedback() -> None:
    lm = scripted({"answer": "four"}, {"answer": "4"})
    retry = dx.Retry(dx.Predict("question -> answer", lm=lm), checks=[digits])
    pred = retry(question="2+2?")
    assert pred.answer == "4"
    first, second = lm.requests
    assert second.messages == [
        *first.messages,
        {"role": "assistant", "content": '{"answer":"four"}'},
        {"role": "user", "content": "That answer was not accepted: the answer must be written "
                                    "in digits only\nAnswer again for the same inputs, fixing "
                                    "this."},
    ]


def test_every_attempt_is_kept_on_the_prediction() -> None:
    lm = scripted({"answer": "four"}, {"answer": "IV"}, {"answer": "4"})
    pred = dx.Retry(dx.Predict("question -> answer", lm=lm), checks=[digits])(question="q")
    assert [(a.index, a.passed, a.chosen) for a in pred.attempts] == [
        (0, False, False), (1, False, False), (2, True, True)]
    assert pred.attempts[0].failures == ["the answer must be written in digits only"]
    assert pred.attempts[1].prediction == dx.Prediction(answer="IV")


def test_a_third_attempt_sees_both_earlier_replies_in_order() -> None:
    lm = scripted({"answer": "four"}, {"answer": "IV"}, {"answer": "4"})
    dx.Retry(dx.Predict("question -> answer", lm=lm), checks=[digits])(question="q")
    shown = [m["content"] for m in lm.requests[2].messages if m["role"] == "assistant"]
    assert shown == ['{"answer":"four"}', '{"answer":"IV"}']


def test_chain_of_thought_is_retried_with_its_reasoning_shown() -> None:
    lm = scripted({"reasoning": "two and two", "answer": "four"},
                  {"reasoning": "2+2", "answer": "4"})
    pred = dx.Retry(dx.ChainOfThought("question -> answer", lm=lm), checks=[digits])(
        question="2+2?")
    assert pred.answer == "4"
    assert lm.requests[1].messages[-2] == {
        "role": "assistant", "content": '{"reasoning":"two and two","answer":"four"}'}


def test_retried_calls_skip_the_cache_so_a_failure_is_not_given_back() -> None:
    answers = iter([{"answer": "four"}, {"answer": "4"}, {"answer": "4"}])
    lm = dx.ScriptedLM(lambda r: next(answers), cache=True)
    retry = dx.Retry(dx.Predict("question -> answer", lm=lm), checks=[digits])
    assert retry(question="q").answer == "4"
    assert [r.cache for r in lm.requests] == [True, False]
    # Again: the first attempt is the cached failure; the retried call asks the LM anew.
    assert retry(question="q").answer == "4"
    assert len(lm.requests) == 3
    assert lm.requests[2].cache is False


def test_a_reply_that_cannot_be_parsed_is_retried_with_the_raw_reply() -> None:
    lm = scripted("no json here", "still none", {"answer": "4"})
    pred = dx.Retry(dx.Predict("question -> answer", lm=lm))(question="q")
    assert pred.answer == "4"
    assert pred.attempts[0].error_type == "ParseError"
    third = lm.requests[2]  # the adapter's own JSON retry was the second call
    assert third.messages[-2] == {"role": "assistant", "content": "still none"}
    assert "could not be read" in third.messages[-1]["content"]


class Pipeline(dx.Module):
    """Two predictors; the assertion is on the first one's output."""

    def __init__(self) -> None:
        self.extract = dx.Predict("text -> number")
        self.explain = dx.Predict("number -> explanation")

    def forward(self, text: str) -> dx.Prediction:
        number = self.extract(text=text).number
        dx.Assert(number.isdigit(), "the number must be digits", target=self.extract)
        result: dx.Prediction = self.explain(number=number)
        return result


def test_in_a_multi_predictor_module_the_failing_predictor_gets_the_feedback() -> None:
    def answer(request: LMRequest) -> dict[str, str]:
        props = list(request.response_schema["properties"])  # type: ignore[index]
        if props == ["number"]:
            return {"number": "7" if len(request.messages) > 2 else "seven"}
        return {"explanation": "a prime"}

    lm = dx.ScriptedLM(answer)
    dx.configure(lm=lm)
    pred = dx.Retry(Pipeline())(text="seven dwarfs")
    assert pred.explanation == "a prime"
    extract_calls = [r for r in lm.requests if "number" in r.response_schema["properties"]]
    assert len(extract_calls) == 2
    assert extract_calls[1].messages[-1]["content"].startswith(
        "That answer was not accepted: the number must be digits")
    explain_calls = [r for r in lm.requests if "explanation" in r.response_schema["properties"]]
    assert all(len(r.messages) == 2 for r in explain_calls)  # never given feedback


def test_all_attempts_failing_raises_with_every_attempt() -> None:
    lm = scripted({"answer": "four"}, {"answer": "IV"}, {"answer": "vier"})
    with pytest.raises(dx.AttemptsFailed) as caught:
        dx.Retry(dx.Predict("question -> answer", lm=lm), checks=[digits])(question="q")
    assert len(caught.value.attempts) == 3
    assert "all 3 attempts failed the same way: the answer must be written in digits only" \
        in str(caught.value)


def test_all_attempts_failing_with_on_fail_best_returns_the_latest_fewest_failures() -> None:
    def no_v(inputs: dict[str, Any], pred: dx.Prediction) -> bool | str:
        return "v" not in pred.answer.lower() or "no letter v"

    lm = scripted({"answer": "five"}, {"answer": "IV"}, {"answer": "two"})
    pred = dx.Retry(dx.Predict("question -> answer", lm=lm), checks=[digits, no_v],
                    on_fail="best")(question="q")
    assert pred.answer == "two"  # one failure (not digits), where the others had two
    assert [a.chosen for a in pred.attempts] == [False, False, True]
    assert not pred.attempts[2].passed


def test_a_failed_suggest_earns_another_attempt_but_never_fails_the_call() -> None:
    class Short(dx.Module):
        def __init__(self) -> None:
            self.qa = dx.Predict("question -> answer")

        def forward(self, question: str) -> dx.Prediction:
            pred: dx.Prediction = self.qa(question=question)
            dx.Suggest(len(pred.answer) <= 2, "at most two characters")
            return pred

    dx.configure(lm=scripted({"answer": "long"}, {"answer": "longer"}))
    pred = dx.Retry(Short(), max_attempts=2)(question="q")
    # Out of attempts: the fewest suggestions failed, the latest among equals; no error.
    assert pred.answer == "longer"
    assert [a.suggestions for a in pred.attempts] == [["at most two characters"]] * 2
    assert [a.chosen for a in pred.attempts] == [False, True]


def test_other_errors_are_not_retried() -> None:
    lm = scripted(dx.ServerError("down"), {"answer": "4"})
    with pytest.raises(dx.ServerError):
        dx.Retry(dx.Predict("question -> answer", lm=lm))(question="q")
    assert len(lm.requests) == 1


def test_budgets_are_per_call_under_concurrency() -> None:
    """Each input fails as often as its number says; 24 calls share one Retry instance."""
    def answer(request: LMRequest) -> dict[str, str]:
        question = request.messages[1]["content"]
        wanted = int(question.rsplit(" ", 1)[1]) % 3
        tries = sum(m["role"] == "assistant" for m in request.messages)
        return {"answer": "4" if tries >= wanted else "four"}

    lm = dx.ScriptedLM(answer, latency=0.01)
    retry = dx.Retry(dx.Predict("question -> answer", lm=lm), checks=[digits])
    result = retry.batch([{"question": f"q {i}"} for i in range(24)], concurrency=8,
                         display="none")
    assert result.failures == 0
    assert [len(o.value.attempts) for o in result] == [i % 3 + 1 for i in range(24)]


def test_a_retry_from_many_threads_keeps_each_calls_attempts_apart() -> None:
    lm = dx.ScriptedLM(lambda r: {"answer": "4" if len(r.messages) > 2 else "x"})
    retry = dx.Retry(dx.Predict("question -> answer", lm=lm), checks=[digits])
    counts: list[int] = []

    def call(i: int) -> None:
        counts.append(len(retry(question=f"q{i}").attempts))

    threads = [threading.Thread(target=call, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert counts == [2] * 12


def test_attempts_are_spans_and_events(events: list[dx.telemetry.Event]) -> None:
    lm = scripted({"answer": "four"}, {"answer": "4"})
    with dx.trace() as trace:
        dx.Retry(dx.Predict("question -> answer", lm=lm), checks=[digits])(question="q")
    attempts = trace.spans("attempt")
    assert [(s.name, s.attrs["passed"]) for s in attempts] == [("attempt 1", False),
                                                               ("attempt 2", True)]
    assert [s.kind for s in attempts[0].children] == ["predict"]
    names = [e.name for e in events]
    assert names.count("retry.attempt") == 2
    assert names.count("assert.failed") == 1


def test_retry_state_is_the_inner_modules_and_round_trips(tmp_path: Any) -> None:
    inner = dx.Predict("question -> answer")
    inner.demos = [{"question": "1+1", "answer": "2"}]
    retry = dx.Retry(inner, checks=[digits])
    assert list(retry.dump_state()) == ["module"]
    path = retry.save(tmp_path / "retry.json")
    again = dx.Retry(dx.Predict("question -> answer"), checks=[digits]).load(path)
    assert again.module.demos == [{"question": "1+1", "answer": "2"}]


def test_unknown_or_bad_arguments_are_refused() -> None:
    qa = dx.Predict("question -> answer")
    with pytest.raises(dx.ArgumentError, match="on_fail"):
        dx.Retry(qa, on_fail="ignore")
    with pytest.raises(dx.ArgumentError, match="max_attempts"):
        dx.Retry(qa, max_attempts=0)
    with pytest.raises(dx.ArgumentError, match="checks"):
        dx.Retry(qa, checks=["digits"])  # type: ignore[list-item]
    with pytest.raises(TypeError):
        dx.Retry(qa, attempts=3)  # type: ignore[call-arg]
