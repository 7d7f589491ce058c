"""`dx.LM` against llama.cpp's real OpenAI-compatible server on loopback."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Literal

import pytest

import dspex_nb as dx
from tests.support.llama_server import LlamaServer

pytestmark = pytest.mark.integration


class Review(dx.Signature):
    """Classify the sentiment of the review and rate it."""

    review: str = dx.InputField()
    sentiment: Literal["positive", "negative"] = dx.OutputField()
    stars: int = dx.OutputField(desc="1 to 5")
    keywords: list[str] = dx.OutputField()


def test_typed_outputs_parse_through_the_json_object_fallback(llama_server: LlamaServer) -> None:
    lm = dx.LM("smollm2", base_url=llama_server.url, cache=False, max_tokens=200)
    prediction = dx.Predict(Review, lm=lm)(review="A wonderful, warm and funny film.")
    assert prediction.sentiment in ("positive", "negative")
    assert isinstance(prediction.stars, int)
    assert isinstance(prediction.keywords, list)
    assert all(isinstance(k, str) for k in prediction.keywords)
    # This server rejects json_schema; json_object with the schema is what it accepts.
    assert lm.structured_mode == "json_object_schema"
    response = lm.history[-1].response
    assert response is not None and response.structured_mode == "json_object_schema"


def test_usage_and_history_come_from_the_server(llama_server: LlamaServer) -> None:
    lm = dx.LM("smollm2", base_url=llama_server.url, cache=False, max_tokens=20)
    lm("Say hello.")
    response = lm.history[-1].response
    assert response is not None
    assert response.usage.prompt_tokens > 0 and response.usage.completion_tokens > 0
    assert lm.usage.total_tokens == response.usage.total_tokens


def test_concurrent_async_calls_all_parse(llama_server: LlamaServer) -> None:
    lm = dx.LM("smollm2", base_url=llama_server.url, cache=False, max_tokens=60)
    predict = dx.Predict("question -> answer: int", lm=lm)

    async def main() -> list[dx.Prediction]:
        return list(await asyncio.gather(
            *(predict.acall(question=f"What is {i} plus {i}?") for i in range(6))))

    predictions = asyncio.run(main())
    assert len(predictions) == 6
    assert all(isinstance(p.answer, int) for p in predictions)


def test_chain_of_thought_on_the_server_reasons_first(llama_server: LlamaServer) -> None:
    lm = dx.LM("smollm2", base_url=llama_server.url, cache=False, max_tokens=200)
    prediction = dx.ChainOfThought("question -> answer", lm=lm)(question="What color is the sky?")
    assert isinstance(prediction.reasoning, str) and isinstance(prediction.answer, str)
    text = lm.history[-1].response.text  # type: ignore[union-attr]
    assert text.index('"reasoning"') < text.index('"answer"')


class Sentiment(dx.Signature):
    """Classify the sentiment of a movie review sentence."""

    sentence: str = dx.InputField()
    sentiment: Literal["positive", "negative"] = dx.OutputField()


def test_an_experiment_on_the_server_reloads_and_reruns_through_it(
        llama_server: LlamaServer, tmp_path: Path) -> None:
    from dspex_nb.data import load_sst2

    lm = dx.LM("smollm2", base_url=llama_server.url, cache=False, max_tokens=30)
    plain = dx.Predict(Sentiment)
    terse = dx.Predict(Sentiment)
    terse.instructions += " Answer with the label only."
    devset = load_sst2(limit=6)
    exp = dx.Experiment(
        "server arms", "terse instructions do not lower accuracy",
        arms={"plain": dx.Arm(plain, lm=lm), "terse": dx.Arm(terse, lm=lm)},
        metrics=[lambda e, p, t=None: p.sentiment == e.sentiment],
        store=tmp_path, display="none", concurrency=2).run(devset=devset)
    assert exp.status == "finished"
    assert exp.record is not None and exp.record.arms["terse"].models == ["smollm2"]
    assert exp.report("terse").failures == 0
    assert exp.verdict in ("supported", "not supported", "inconclusive")
    # The arm's LM (model and server, no key) is in the record: the program runs again on it.
    program = dx.Experiment.load(exp.id, store=tmp_path).program("terse")
    assert program.predictors()[0].lm is not None
    assert program.predictors()[0].lm.server == lm.server
    rerun = [program(sentence=r.example["sentence"]).sentiment
             for r in exp.report("terse").results]
    assert rerun == [r.prediction["sentiment"] for r in exp.report("terse").results]
