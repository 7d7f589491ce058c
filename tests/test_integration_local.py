"""The embedded model (llama.cpp in-process, bundled SmolLM2-135M)."""

from __future__ import annotations

import threading

import pydantic
import pytest

import dspex_nb as dx
from dspex_nb.lm import LocalLM

pytestmark = pytest.mark.integration


class City(pydantic.BaseModel):
    name: str
    country: str


def test_grammar_makes_every_typed_field_parse(local_lm: LocalLM) -> None:
    sig = dx.Signature(
        "text -> mood: Literal['happy', 'sad'], intensity: float, words: list[str], "
        "ok: bool, city: City", types={"City": City})
    prediction = dx.Predict(sig, lm=local_lm)(text="I love Paris in the spring!")
    assert prediction.mood in ("happy", "sad")
    assert isinstance(prediction.intensity, float)
    assert isinstance(prediction.words, list)
    assert isinstance(prediction.ok, bool)
    assert isinstance(prediction.city, City)
    assert local_lm.history[-1].response.structured_mode == "grammar"  # type: ignore[union-attr]


def test_same_request_at_temperature_zero_gives_same_answer(local_lm: LocalLM) -> None:
    predict = dx.Predict("question -> answer", lm=local_lm)
    first = predict(question="Name a fruit.")
    second = predict(question="Name a fruit.")
    assert first == second


def test_calls_from_many_threads_are_serialized_safely(local_lm: LocalLM) -> None:
    predict = dx.Predict("sentence -> sentiment: Literal['positive', 'negative']", lm=local_lm)
    results: list[str] = []
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            results.append(predict(sentence=f"review number {i}: it was great").sentiment)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(results) == 6 and set(results) <= {"positive", "negative"}


def test_is_the_default_when_nothing_is_configured() -> None:
    prediction = dx.Predict("sentence -> sentiment: Literal['positive', 'negative']")(
        sentence="What a delight.")
    assert prediction.sentiment in ("positive", "negative")


def test_missing_model_file_is_a_configuration_error(tmp_path: object) -> None:
    with pytest.raises(dx.ConfigurationError, match="no model file"):
        LocalLM("/nonexistent/model.gguf")
