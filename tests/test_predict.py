from __future__ import annotations

import asyncio
from typing import Literal

import pytest

import dspex_nb as dx
from dspex_nb.lm import LMRequest


class Classify(dx.Signature):
    """Classify the sentiment."""

    sentence: str = dx.InputField()
    label: Literal["positive", "negative"] = dx.OutputField()
    score: float = dx.OutputField()


def test_predict_parses_typed_outputs() -> None:
    lm = dx.ScriptedLM([{"label": "positive", "score": "0.75"}])
    prediction = dx.Predict(Classify, lm=lm)(sentence="great")
    assert prediction.label == "positive"
    assert prediction.score == 0.75


def test_predict_sends_instructions_inputs_and_schema() -> None:
    lm = dx.ScriptedLM([{"label": "negative", "score": 0.1}])
    dx.Predict(Classify, lm=lm)(sentence="dull film")
    request = lm.requests[0]
    assert "Classify the sentiment." in request.messages[0]["content"]
    assert request.messages[-1] == {"role": "user", "content": "sentence: dull film"}
    assert request.response_schema is not None
    assert request.response_schema["properties"]["label"]["enum"] == ["positive", "negative"]


def test_missing_input_fails_before_any_lm_call() -> None:
    lm = dx.ScriptedLM([{"label": "positive", "score": 1}])
    with pytest.raises(dx.InputError, match="sentence"):
        dx.Predict(Classify, lm=lm)(sentnce="typo")
    assert lm.requests == []


def test_wrong_input_type_fails_before_any_lm_call() -> None:
    lm = dx.ScriptedLM([{"answer": "x"}])
    with pytest.raises(dx.InputError, match="context"):
        dx.Predict("question, context: list[str] -> answer", lm=lm)(question="q", context=3)
    assert lm.requests == []


def test_unparseable_output_is_retried_once_then_raises_with_raw_text() -> None:
    lm = dx.ScriptedLM(["not json at all", '{"label": "maybe", "score": 1}'])
    with pytest.raises(dx.ParseError) as info:
        dx.Predict(Classify, lm=lm)(sentence="hmm")
    assert len(lm.requests) == 2
    assert info.value.raw == '{"label": "maybe", "score": 1}'
    assert info.value.field == "label"
    assert "could not be used" in lm.requests[1].messages[-1]["content"]


def test_a_retry_that_parses_recovers() -> None:
    lm = dx.ScriptedLM(["oops", {"label": "negative", "score": 0.2}])
    assert dx.Predict(Classify, lm=lm)(sentence="bad").label == "negative"


def test_output_in_a_code_fence_is_parsed() -> None:
    lm = dx.ScriptedLM(['```json\n{"label": "positive", "score": 1}\n```'])
    assert dx.Predict(Classify, lm=lm)(sentence="x").score == 1.0


def test_chat_adapter_reads_field_markers() -> None:
    lm = dx.ScriptedLM(["[[ ## label ## ]]\npositive\n\n[[ ## score ## ]]\n0.5\n\n"
                        "[[ ## completed ## ]]"])
    with dx.context(adapter=dx.ChatAdapter()):
        prediction = dx.Predict(Classify, lm=lm)(sentence="x")
    assert (prediction.label, prediction.score) == ("positive", 0.5)
    assert lm.requests[0].response_schema is None


def test_chat_adapter_falls_back_to_json_when_markers_are_missing() -> None:
    lm = dx.ScriptedLM(["I think it is positive", {"label": "positive", "score": 0.9}])
    with dx.context(adapter=dx.ChatAdapter()):
        prediction = dx.Predict(Classify, lm=lm)(sentence="x")
    assert prediction.label == "positive"
    assert lm.requests[1].response_schema is not None


def test_demos_become_example_turns_before_the_input() -> None:
    lm = dx.ScriptedLM([{"label": "positive", "score": 1}])
    predict = dx.Predict(Classify, lm=lm)
    predict.demos = [{"sentence": "loved it", "label": "positive", "score": 0.9}]
    predict(sentence="x")
    roles = [m["role"] for m in lm.requests[0].messages]
    assert roles == ["system", "user", "assistant", "user"]
    assert lm.requests[0].messages[2]["content"] == '{"label":"positive","score":0.9}'


def test_chain_of_thought_adds_reasoning_before_outputs() -> None:
    lm = dx.ScriptedLM([{"reasoning": "it says great", "label": "positive", "score": 1}])
    cot = dx.ChainOfThought(Classify, lm=lm)
    prediction = cot(sentence="great")
    assert prediction.reasoning == "it says great"
    assert list(lm.requests[0].response_schema["properties"]) == ["reasoning", "label", "score"]


def test_call_config_overrides_lm_kwargs_for_one_call() -> None:
    lm = dx.ScriptedLM([{"answer": "a"}], cycle=True)
    predict = dx.Predict("q -> answer", lm=lm, temperature=0.3)
    predict(q="x", config={"temperature": 0.9, "sample_id": 4})
    predict(q="x")
    assert lm.requests[0].params == {"temperature": 0.9}
    assert lm.requests[0].sample_id == 4
    assert lm.requests[1].params == {"temperature": 0.3}


def test_configured_lm_is_used_when_predictor_has_none() -> None:
    lm = dx.ScriptedLM([{"answer": "configured"}])
    dx.configure(lm=lm)
    assert dx.Predict("q -> answer")(q="x").answer == "configured"


def test_async_form_returns_the_same_prediction() -> None:
    lm = dx.ScriptedLM([{"answer": "async"}])

    async def main() -> dx.Prediction:
        result: dx.Prediction = await dx.Predict("q -> answer", lm=lm).acall(q="x")
        return result

    assert asyncio.run(main()).answer == "async"


def test_sync_form_works_inside_a_running_event_loop() -> None:
    lm = dx.ScriptedLM([{"answer": "inside"}])

    async def main() -> str:
        asyncio.get_running_loop()  # as in a Jupyter cell: a loop runs in this thread
        answer: str = dx.Predict("q -> answer", lm=lm)(q="x").answer
        return answer

    assert asyncio.run(main()) == "inside"


def test_async_calls_run_concurrently() -> None:
    lm = dx.ScriptedLM(lambda r: {"answer": r.messages[-1]["content"]}, latency=0.05)
    predict = dx.Predict("q -> answer", lm=lm)

    async def main() -> list[str]:
        results = await asyncio.gather(*(predict.acall(q=str(i)) for i in range(20)))
        return [r.answer for r in results]

    assert asyncio.run(main()) == [f"q: {i}" for i in range(20)]


def test_settings_context_follows_sync_calls_to_the_engine() -> None:
    outer = dx.ScriptedLM([{"answer": "outer"}])
    inner = dx.ScriptedLM([{"answer": "inner"}])
    dx.configure(lm=outer)
    with dx.context(lm=inner):
        assert dx.Predict("q -> answer")(q="x").answer == "inner"


def test_no_lm_and_no_local_model_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("dspex_nb.lm.resolve.local_available", lambda: False)
    with pytest.raises(dx.ConfigurationError, match="configure"):
        dx.Predict("q -> answer")(q="x")


def test_scripted_exception_propagates_as_lm_error() -> None:
    lm = dx.ScriptedLM([dx.RateLimitError("slow down", status=429)])
    with pytest.raises(dx.RateLimitError):
        dx.Predict("q -> answer", lm=lm)(q="x")
    assert lm.history[-1].error is not None and "RateLimitError" in lm.history[-1].error


def test_usage_is_accumulated_per_lm() -> None:
    lm = dx.ScriptedLM([{"answer": "a"}], cycle=True, tokens=(100, 20))
    predict = dx.Predict("q -> answer", lm=lm)
    predict(q="1")
    predict(q="2")
    assert (lm.usage.prompt_tokens, lm.usage.completion_tokens, lm.calls) == (200, 40, 2)


def test_plain_text_call_on_an_lm() -> None:
    lm = dx.ScriptedLM(["hello"])
    assert lm("Say hello") == "hello"
    assert isinstance(lm.requests[0], LMRequest)


def test_context_override_reaches_a_sync_call_made_inside_a_running_loop() -> None:
    dx.configure(lm=dx.ScriptedLM([{"answer": "global"}]))
    inner = dx.ScriptedLM([{"answer": "scoped"}])

    async def cell() -> str:  # a notebook cell: a loop runs, the user calls the sync form
        with dx.context(lm=inner):
            answer: str = dx.Predict("q -> answer")(q="x").answer
            return answer

    assert asyncio.run(cell()) == "scoped"
