"""What `dx.LM(...)` and `dx.Predict(...)` accept: DSPy's spellings where they are harmless,
a typed error for anything that used to travel to the server as a "sampling parameter" (and
send the request, with the key, to the default endpoint)."""

from __future__ import annotations

from pathlib import Path

import pytest

import dspex_nb as dx
from tests.support.fault_server import FaultServer, ok

SECRET = "sk-test-SECRET-0123456789abcdef"


def test_dspy_spelling_reaches_the_given_server_with_the_bare_model_name(
    fault_server: FaultServer,
) -> None:
    fault_server.script(ok('{"answer": "here"}'))
    with pytest.warns(dx.DSPyNameNote, match="api_base= is DSPy's name"):
        lm = dx.LM("openai/my-model", api_key=SECRET, api_base=fault_server.url, cache=False)
    assert dx.Predict("question -> answer", lm=lm)(question="q").answer == "here"
    request = fault_server.requests[0]
    assert request["body"]["model"] == "my-model"
    assert "api_base" not in request["body"]
    assert request["headers"]["Authorization"] == f"Bearer {SECRET}"


def test_base_url_and_api_base_together_is_an_error() -> None:
    with pytest.raises(dx.ArgumentError, match="not both"):
        dx.LM("m", base_url="http://127.0.0.1:9/v1", api_base="http://127.0.0.1:8/v1")


@pytest.mark.parametrize("url", ["", "not a url", "ftp://host/v1", "localhost:8080/v1",
                                 "http:///v1", "http://host:port/v1"])
def test_a_malformed_base_url_is_a_configuration_error_at_construction(url: str) -> None:
    with pytest.raises(dx.ConfigurationError, match="must be an http\\(s\\) URL with a host"):
        dx.LM("m", base_url=url, api_key=SECRET)


@pytest.mark.parametrize("url", ["user:hunter2@host/v1", "http://user:hunter2@/v1",
                                 "ftp://user:hunter2@host/v1?key=abc"])
def test_a_password_in_a_malformed_url_never_reaches_the_error(url: str) -> None:
    with pytest.raises(dx.ConfigurationError) as info:
        dx.LM("m", base_url=url)
    assert "hunter2" not in str(info.value)
    assert "key=abc" not in str(info.value)
    assert "***@" in str(info.value)


def test_an_empty_base_url_in_the_environment_means_the_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "")
    assert dx.LM("m").server == "https://api.openai.com/v1"


def test_a_malformed_base_url_in_the_environment_names_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "my-server:8000")
    with pytest.raises(dx.ConfigurationError, match=r"^OPENAI_BASE_URL must be"):
        dx.LM("m")


@pytest.mark.parametrize(("keyword", "hint"), [
    ("num_retries", "it is max_retries= here"), ("temprature", "did you mean 'temperature'"),
    ("rollout_id", "sample_id="), ("n", "one completion per call"),
    ("stream", "not supported"), ("model_type", "always a chat model"),
])
def test_an_unknown_keyword_is_refused_with_the_right_name(keyword: str, hint: str) -> None:
    with pytest.raises(dx.ArgumentError, match=f"unexpected keyword argument '{keyword}'.*{hint}"):
        dx.LM("m", base_url="http://127.0.0.1:9/v1", **{keyword: 1})


def test_server_specific_parameters_go_through_extra_body(fault_server: FaultServer) -> None:
    fault_server.script(ok('{"answer": "x"}'))
    lm = dx.LM("m", base_url=fault_server.url, cache=False, top_k=20,
               extra_body={"cache_prompt": True})
    dx.Predict("question -> answer", lm=lm)(question="q")
    body = fault_server.requests[0]["body"]
    assert body["top_k"] == 20 and body["cache_prompt"] is True


def test_extra_body_survives_save_and_load(tmp_path: Path) -> None:
    lm = dx.LM("m", base_url="http://127.0.0.1:9/v1", extra_body={"cache_prompt": True})
    path = dx.Predict("a -> b", lm=lm).save(tmp_path / "p.json")
    loaded = dx.Predict.load(path)
    assert loaded.lm is not None
    assert loaded.lm.defaults["cache_prompt"] is True


def test_extra_body_may_not_override_what_the_library_sets() -> None:
    with pytest.raises(dx.ArgumentError, match="extra_body may not set \\['messages'\\]"):
        dx.LM("m", base_url="http://127.0.0.1:9/v1", extra_body={"messages": []})


@pytest.mark.parametrize("model", [None, "", 5])
def test_a_model_that_is_not_a_name_is_refused_before_any_request(model: object) -> None:
    with pytest.raises(dx.ArgumentError, match="model must be a model name"):
        dx.LM(model, base_url="http://127.0.0.1:9/v1")  # type: ignore[arg-type]


@pytest.mark.parametrize(("option", "value"), [
    ("timeout", 0), ("timeout", "10"), ("max_retries", -1), ("max_connections", 0),
    ("structured_mode", "xml"), ("cache", "yes"), ("retry", 3), ("api_key", 123),
])
def test_an_lm_option_of_the_wrong_kind_is_named(option: str, value: object) -> None:
    with pytest.raises(dx.ArgumentError, match=option):
        dx.LM("m", base_url="http://127.0.0.1:9/v1", **{option: value})


def test_a_predictor_given_a_model_name_as_lm_says_how_to_make_one() -> None:
    with pytest.raises(dx.ArgumentError, match=r"lm must be an LM object.*dx\.LM\('gpt-4'\)"):
        dx.Predict("question -> answer", lm="gpt-4")  # type: ignore[arg-type]


def test_a_predictor_refuses_a_keyword_that_is_not_a_sampling_parameter() -> None:
    with pytest.raises(dx.ArgumentError, match=r"'api_key'.*never to a predictor"):
        dx.Predict("question -> answer", api_key=SECRET)


def test_a_per_call_config_is_checked_too() -> None:
    program = dx.Predict("question -> answer", lm=dx.ScriptedLM([{"answer": "a"}]))
    with pytest.raises(dx.ArgumentError, match="config got an unexpected keyword argument "
                                               "'temp'"):
        program(question="q", config={"temp": 0.5})
