"""API keys never reach anything written to disk or kept for display."""

from __future__ import annotations

from pathlib import Path

import pytest

import dspex_nb as dx
from tests.support.fault_server import FaultServer, ok, status

SECRET = "sk-test-SECRET-0123456789abcdef"


def _all_bytes(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())


def test_api_key_reaches_no_cache_file_saved_program_or_history(
    fault_server: FaultServer, tmp_path: Path
) -> None:
    cache_dir = tmp_path / "cache"
    dx.configure(cache=dx.Cache(directory=cache_dir))
    fault_server.script(ok('{"answer": "fine"}'))
    lm = dx.LM("gpt-4o-mini", base_url=fault_server.url, api_key=SECRET)
    predict = dx.Predict("question -> answer", lm=lm)
    assert predict(question="q").answer == "fine"
    assert predict(question="q").answer == "fine"  # the second one from the cache
    assert lm.cache_hits == 1
    saved = predict.save(tmp_path / "program.json")

    assert fault_server.requests[0]["headers"]["Authorization"] == f"Bearer {SECRET}"
    assert SECRET.encode() not in _all_bytes(cache_dir)
    assert _all_bytes(cache_dir)  # something was written, so the scan means something
    assert SECRET not in saved.read_text()
    assert SECRET not in repr(lm) and SECRET not in str(lm.dump_state())
    assert all(SECRET not in repr(entry) for entry in lm.history)


def test_key_from_the_environment_is_used_but_not_stored(
    fault_server: FaultServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    monkeypatch.setenv("OPENAI_BASE_URL", fault_server.url)
    fault_server.script(ok('{"answer": "env"}'))
    predict = dx.Predict("question -> answer", lm=dx.LM("gpt-4o-mini", cache=False))
    assert predict(question="q").answer == "env"
    assert fault_server.requests[0]["headers"]["Authorization"] == f"Bearer {SECRET}"
    assert SECRET not in predict.save(tmp_path / "p.json").read_text()


def test_authentication_error_does_not_echo_the_key(fault_server: FaultServer) -> None:
    fault_server.script(status(401, body='{"error": "invalid key"}'))
    with pytest.raises(dx.AuthenticationError) as info:
        dx.LM("m", base_url=fault_server.url, api_key=SECRET, cache=False)("hi")
    assert SECRET not in str(info.value)


def test_credentials_in_the_base_url_are_not_stored(tmp_path: Path) -> None:
    lm = dx.LM("m", base_url="http://user:hunter2@127.0.0.1:9/v1?key=abc")
    text = dx.Predict("a -> b", lm=lm).save(tmp_path / "p.json").read_text()
    assert "hunter2" not in text and "key=abc" not in text and "hunter2" not in repr(lm)


def test_api_key_reaches_no_file_of_the_experiment_store_nor_its_widget(
    fault_server: FaultServer, tmp_path: Path
) -> None:
    from dspex_nb.views.widgets import ExperimentView

    fault_server.script(ok('{"answer": "yes"}'))
    lm = dx.LM("gpt-4o-mini", base_url=fault_server.url, api_key=SECRET, cache=False)
    devset = [dx.Example(question=f"q{i}", answer="yes").with_inputs("question")
              for i in range(4)]
    exp = dx.Experiment(
        "secret scan", "keys stay out",
        arms={"own-lm": dx.Predict("question -> answer", lm=lm),
              "arm-lm": dx.Arm(dx.Predict("question -> answer"), lm=lm)},
        metrics=[dx.metrics.answer_exact_match], store=tmp_path / "store",
        display="none").run(devset=devset)
    assert exp.status == "finished"
    assert fault_server.requests[0]["headers"]["Authorization"] == f"Bearer {SECRET}"
    stored = _all_bytes(tmp_path / "store")
    assert b"gpt-4o-mini" in stored  # the LM settings were stored, so the scan means something
    assert SECRET.encode() not in stored
    assert SECRET not in str(ExperimentView(exp).get_state())


def test_a_password_in_the_base_url_reaches_no_file_of_the_experiment_store(
    fault_server: FaultServer, tmp_path: Path
) -> None:
    fault_server.script(ok('{"answer": "yes"}'))
    url = fault_server.url.replace("http://", "http://user:hunter2@")
    lm = dx.LM("gpt-4o-mini", base_url=url, cache=False)
    devset = [dx.Example(question="q", answer="yes").with_inputs("question")]
    exp = dx.Experiment("url scan", arms={"a": dx.Predict("question -> answer", lm=lm)},
                        metrics=[dx.metrics.answer_exact_match], store=tmp_path / "store",
                        display="none").run(devset=devset)
    assert exp.status == "finished"
    # The credentials went as HTTP Basic auth (base64 of "user:hunter2").
    assert fault_server.requests[0]["headers"]["Authorization"] == "Basic dXNlcjpodW50ZXIy"
    stored = _all_bytes(tmp_path / "store")
    assert fault_server.url.encode() in stored  # the server is recorded, without credentials
    assert b"hunter2" not in stored and b"dXNlcjpodW50ZXIy" not in stored
    assert "hunter2" not in repr(lm) + str(lm.dump_state()) + lm.base_url


def test_credentials_in_the_url_and_an_api_key_are_refused_together() -> None:
    with pytest.raises(dx.ConfigurationError, match="user:password@ and an API key") as info:
        dx.LM("m", base_url="http://user:hunter2@127.0.0.1:9/v1", api_key=SECRET)
    assert "hunter2" not in str(info.value) and SECRET not in str(info.value)


def test_a_query_in_the_base_url_stays_after_the_path(fault_server: FaultServer) -> None:
    fault_server.script(ok('{"answer": "q"}'))
    lm = dx.LM("m", base_url=f"{fault_server.url}?api-version=2024", cache=False)
    assert dx.Predict("question -> answer", lm=lm)(question="x").answer == "q"
