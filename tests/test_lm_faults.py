"""The OpenAI-compatible client against a loopback server that misbehaves on cue."""

from __future__ import annotations

import json

import pytest

import dspex_nb as dx
from tests.support.fault_server import FaultServer, hang, malformed, ok, status
from tests.support.processes import free_port

FAST = dx.RetryPolicy(max_retries=3, base_delay=0.01, max_delay=0.02)


def _lm(server: FaultServer, **kwargs: object) -> dx.LM:
    options: dict[str, object] = {"base_url": server.url, "retry": FAST, "timeout": 5.0,
                                  "cache": False}
    options.update(kwargs)
    return dx.LM("fault-model", **options)  # type: ignore[arg-type]


def test_plain_success_records_usage_and_latency(fault_server: FaultServer) -> None:
    fault_server.script(ok("hello", prompt_tokens=12, completion_tokens=3))
    lm = _lm(fault_server)
    assert lm("hi") == "hello"
    response = lm.history[-1].response
    assert response is not None and response.attempts == 1 and response.latency_s > 0
    assert (lm.usage.prompt_tokens, lm.usage.completion_tokens) == (12, 3)


def test_429_waits_for_retry_after_then_succeeds(fault_server: FaultServer) -> None:
    fault_server.script(status(429, headers={"Retry-After": "0.2"}), ok("done"))
    lm = _lm(fault_server)
    assert lm("hi") == "done"
    response = lm.history[-1].response
    assert response is not None and response.waits == (0.2,) and response.attempts == 2


def test_500_and_503_are_retried(fault_server: FaultServer) -> None:
    fault_server.script(status(500), status(503), ok("third time"))
    lm = _lm(fault_server)
    assert lm("hi") == "third time"
    assert len(fault_server.requests) == 3


def test_persistent_503_becomes_server_error_after_all_retries(fault_server: FaultServer) -> None:
    fault_server.script(status(503))
    with pytest.raises(dx.ServerError) as info:
        _lm(fault_server)("hi")
    assert info.value.attempts == 4 and info.value.status == 503
    assert len(fault_server.requests) == 4


def test_persistent_429_becomes_rate_limit_error(fault_server: FaultServer) -> None:
    fault_server.script(status(429, headers={"Retry-After": "0"}))
    with pytest.raises(dx.RateLimitError):
        _lm(fault_server)("hi")


def test_malformed_body_is_retried_then_a_bad_response_error(fault_server: FaultServer) -> None:
    fault_server.script(malformed())
    with pytest.raises(dx.BadResponseError, match="not JSON"):
        _lm(fault_server, retry=dx.RetryPolicy(max_retries=1, base_delay=0.01))("hi")
    assert len(fault_server.requests) == 2


def test_reply_without_choices_is_a_bad_response(fault_server: FaultServer) -> None:
    fault_server.script(status(200, body='{"object": "chat.completion"}'))
    with pytest.raises(dx.BadResponseError, match="not a chat completion"):
        _lm(fault_server)("hi")


def test_hang_past_timeout_is_a_timeout_error(fault_server: FaultServer) -> None:
    fault_server.script(hang(30))
    lm = _lm(fault_server, timeout=0.3, retry=dx.RetryPolicy(max_retries=1, base_delay=0.01))
    with pytest.raises(dx.LMTimeoutError) as info:
        lm("hi")
    assert info.value.attempts == 2


def test_connection_refused_is_a_connection_error() -> None:
    lm = dx.LM("m", base_url=f"http://127.0.0.1:{free_port()}/v1", cache=False,
               retry=dx.RetryPolicy(max_retries=1, base_delay=0.01))
    with pytest.raises(dx.LMConnectionError, match="cannot connect"):
        lm("hi")


def test_401_is_an_authentication_error_without_retry(fault_server: FaultServer) -> None:
    fault_server.script(status(401))
    with pytest.raises(dx.AuthenticationError, match="API key"):
        _lm(fault_server)("hi")
    assert len(fault_server.requests) == 1


def test_context_overflow_is_a_context_window_error(fault_server: FaultServer) -> None:
    fault_server.script(status(400, body='{"error": {"message": "This model\'s maximum context '
                                         'length is 2048 tokens"}}'))
    with pytest.raises(dx.ContextWindowError):
        _lm(fault_server)("hi")


def test_rejected_json_schema_falls_back_and_is_remembered(fault_server: FaultServer) -> None:
    fault_server.script(
        status(422, body='{"detail": "response_format.type: input should be json_object"}'),
        ok('{"answer": "42"}'),
    )
    lm = _lm(fault_server)
    predict = dx.Predict("question -> answer: int", lm=lm)
    assert predict(question="6*7?").answer == 42
    formats = [r["body"].get("response_format", {}).get("type") for r in fault_server.requests]
    assert formats == ["json_schema", "json_object"]
    assert "schema" in fault_server.requests[1]["body"]["response_format"]
    assert lm.structured_mode == "json_object_schema"
    fault_server.script(ok('{"answer": "7"}'))
    predict(question="3+4?")
    assert fault_server.requests[0]["body"]["response_format"]["type"] == "json_object"


def test_server_rejecting_every_format_still_gets_a_prompt_only_request(
    fault_server: FaultServer,
) -> None:
    reject = status(400, body='{"error": "response_format is not supported"}')
    fault_server.script(reject, reject, reject, ok('{"answer": "fine"}'))
    lm = _lm(fault_server)
    assert dx.Predict("q -> answer", lm=lm)(q="x").answer == "fine"
    assert "response_format" not in fault_server.requests[-1]["body"]


def test_api_key_is_sent_as_bearer_header(fault_server: FaultServer) -> None:
    fault_server.script(ok("x"))
    _lm(fault_server, api_key="sk-header-test")("hi")
    assert fault_server.requests[0]["headers"]["Authorization"] == "Bearer sk-header-test"


def test_defaults_and_call_params_are_sent(fault_server: FaultServer) -> None:
    fault_server.script(ok('{"a": "x"}'))
    dx.Predict("q -> a", lm=_lm(fault_server, max_tokens=50), temperature=0.7)(q="1")
    body = fault_server.requests[0]["body"]
    assert (body["max_tokens"], body["temperature"], body["model"]) == (50, 0.7, "fault-model")
    assert json.dumps(body).count("sample_id") == 0
