"""A program served over HTTP (`program_app`): outputs as JSON, what the caller got wrong as
a 422 naming the field, a failed model call as a 502 with its type, and nothing that crashes
the service or shows a key."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

import dspex_nb as dx
from dspex_nb.serving import input_names, program_app
from tests.support.fault_server import FaultServer, status

SECRET = "sk-test-SECRET-0123456789abcdef"


class Summarize(dx.Module):
    def __init__(self) -> None:
        self.summary = dx.Predict("text, max_words: int -> summary")

    def forward(self, text: str, max_words: int = 10) -> dx.Prediction:
        return self.summary(text=text, max_words=max_words)


def _call(app: Any, method: str, path: str, **kwargs: Any) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
            return await client.request(method, path, **kwargs)

    return asyncio.run(go())


@pytest.fixture
def app() -> Any:
    dx.configure(lm=dx.ScriptedLM(lambda r: {"summary": "short"}), cache=False)
    return program_app(Summarize(), name="summarize@1")


def test_predict_answers_the_outputs_as_json(app: Any) -> None:
    response = _call(app, "POST", "/predict", json={"text": "a long text", "max_words": 3})
    assert (response.status_code, response.json()) == (200, {"summary": "short"})


def test_the_root_says_what_the_program_takes(app: Any) -> None:
    assert _call(app, "GET", "/").json() == {"program": "summarize@1",
                                              "inputs": ["text", "max_words"],
                                              "required": ["text"]}


@pytest.mark.parametrize(("body", "field", "words"), [
    (b"{not json", None, "not valid JSON"),
    (b"[1, 2]", None, "JSON object"),
    (b'{"txt": "a"}', ["txt"], "unknown input"),
    (b'{"max_words": 3}', ["text"], "missing input"),
    (b'{"text": "a", "max_words": "many"}', ["max_words"], "wrong input type"),
])
def test_bad_input_is_a_422_naming_the_field(app: Any, body: bytes, field: list[str] | None,
                                             words: str) -> None:
    response = _call(app, "POST", "/predict", content=body)
    assert response.status_code == 422
    answer = response.json()
    assert answer["error_type"] == "InputError" and answer["fields"] == field
    assert words in answer["message"]


def test_a_failing_provider_is_a_502_with_its_typed_error(fault_server: FaultServer) -> None:
    fault_server.script(status(500))
    lm = dx.LM("m", base_url=fault_server.url, api_key=SECRET, max_retries=0, cache=False)
    app = program_app(dx.Predict("question -> answer", lm=lm))
    response = _call(app, "POST", "/predict", json={"question": "q"})
    assert response.status_code == 502
    assert response.json()["error_type"] == "ServerError"
    assert SECRET not in response.text
    assert _call(app, "GET", "/healthz").json() == {"ok": True}  # still serving


def test_an_unexpected_error_is_a_500_with_its_type_only() -> None:
    class Broken(dx.Module):
        def forward(self, question: str) -> dx.Prediction:
            raise RuntimeError(f"internal detail {SECRET}")

    response = _call(program_app(Broken()), "POST", "/predict", json={"question": "q"})
    assert response.status_code == 500
    assert response.json()["error_type"] == "RuntimeError" and SECRET not in response.text


def test_metrics_are_served_beside_the_program(app: Any) -> None:
    _call(app, "POST", "/predict", json={"text": "t"})
    text = _call(app, "GET", "/metrics").text
    assert 'dspex_program_calls_total{program="Summarize"}' in text
    assert _call(program_app(Summarize(), metrics=False), "GET", "/metrics").status_code == 404


def test_unknown_routes_and_methods(app: Any) -> None:
    assert _call(app, "GET", "/predict").status_code == 405
    assert _call(app, "GET", "/nope").status_code == 404
    big = b'{"text": "' + b"x" * (1 << 20) + b'"}'
    assert _call(app, "POST", "/predict", content=big).status_code == 413


def test_a_predictor_takes_its_signature_inputs() -> None:
    assert input_names(dx.Predict("question, context -> answer")) == (
        ["question", "context"], ["question", "context"])
