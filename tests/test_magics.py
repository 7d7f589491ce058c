"""The IPython magics (`%load_ext dspex_nb`) in IPython's own test shell, with ScriptedLM."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

import dspex_nb as dx
from dspex_nb.magics import MagicError


@pytest.fixture
def ip() -> Iterator[Any]:
    shell = InteractiveShell.instance()  # the process's shell (another test may have made it)
    shell.run_line_magic("load_ext", "dspex_nb")
    names = set(shell.user_ns)
    yield shell
    for name in set(shell.user_ns) - names:
        del shell.user_ns[name]
    shell.run_line_magic("unload_ext", "dspex_nb")


def run(ip: Any, cell: str) -> Any:
    """Run a cell as a user would; its exception (if any) is raised here."""
    result = ip.run_cell(cell)
    if result.error_before_exec is not None:
        raise result.error_before_exec
    if result.error_in_exec is not None:
        raise result.error_in_exec
    return result.result


def prompt_of(lm: dx.ScriptedLM) -> str:
    return "\n".join(str(m["content"]) for m in lm.requests[-1].messages)


def test_predict_cell_body_is_the_single_input(ip: Any) -> None:
    lm = dx.ScriptedLM([{"sentiment": "positive"}])
    dx.configure(lm=lm)
    pred = run(ip, '%%predict "review -> sentiment"\nA warm and funny film.\n')
    assert isinstance(pred, dx.Prediction)
    assert pred.sentiment == "positive"
    assert "A warm and funny film." in prompt_of(lm)


def test_predict_output_option_stores_the_prediction(ip: Any) -> None:
    dx.configure(lm=dx.ScriptedLM([{"answer": "Paris"}]))
    run(ip, '%%predict "question -> answer" -o pred\nCapital of France?')
    assert ip.user_ns["pred"].answer == "Paris"


def test_predict_result_is_the_cell_value(ip: Any) -> None:
    dx.configure(lm=dx.ScriptedLM([{"answer": "Paris"}]))
    ip.run_cell('%%predict "question -> answer"\nCapital of France?', store_history=True)
    assert ip.user_ns["_"].answer == "Paris"


def test_predict_does_not_expand_braces_or_dollars(ip: Any) -> None:
    lm = dx.ScriptedLM([{"answer": "x"}])
    dx.configure(lm=lm)
    ip.user_ns["name"] = "EXPANDED"
    run(ip, '%%predict "question -> answer"\nWhat is {name} and $name?')
    prompt = prompt_of(lm)
    assert "What is {name} and $name?" in prompt
    assert "EXPANDED" not in prompt


def test_predict_several_inputs_from_field_lines(ip: Any) -> None:
    lm = dx.ScriptedLM([{"answer": "Vienna"}])
    dx.configure(lm=lm)
    pred = run(ip, '%%predict "context, question -> answer"\n'
                   'context: Vienna is the capital of Austria.\n'
                   'It lies on the Danube.\n'
                   'question: What is the capital?\n')
    assert pred.answer == "Vienna"
    prompt = prompt_of(lm)
    assert "Vienna is the capital of Austria.\nIt lies on the Danube." in prompt
    assert "What is the capital?" in prompt


def test_predict_missing_input_line_is_a_usage_error(ip: Any) -> None:
    dx.configure(lm=dx.ScriptedLM([]))
    with pytest.raises(UsageError, match=r"missing input.*question"):
        run(ip, '%%predict "context, question -> answer"\ncontext: something\n')


def test_predict_line_naming_no_field_is_a_usage_error(ip: Any) -> None:
    dx.configure(lm=dx.ScriptedLM([]))
    with pytest.raises(UsageError, match="names none"):
        run(ip, '%%predict "context, question -> answer"\nhello\ncontext: x\nquestion: y')


def test_predict_json_value_for_a_list_field(ip: Any) -> None:
    lm = dx.ScriptedLM([{"answer": "b"}])
    dx.configure(lm=lm)
    run(ip, '%%predict "options: list[str], question -> answer"\n'
            'options: ["a", "b"]\nquestion: which?')
    assert '"a"' in prompt_of(lm) or "'a'" in prompt_of(lm)


def test_predict_cot_adds_reasoning(ip: Any) -> None:
    dx.configure(lm=dx.ScriptedLM([{"reasoning": "because", "answer": "4"}]))
    pred = run(ip, '%%predict "question -> answer" --cot\n2 + 2?')
    assert pred.reasoning == "because"


def test_predict_signature_by_name_from_the_notebook(ip: Any) -> None:
    dx.configure(lm=dx.ScriptedLM([{"people": ["Ada"]}]))
    run(ip, "%%signature People\nList the people.\ntext: str -> people: list[str]")
    pred = run(ip, "%%predict People\nAda met nobody.")
    assert pred.people == ["Ada"]


def test_predict_malformed_signature_is_one_error_not_a_traceback(ip: Any, capsys: Any
                                                                   ) -> None:
    with pytest.raises(MagicError) as info:
        run(ip, '%%predict "question answer"\nhi')
    assert info.value._render_traceback_()[0].startswith("SignatureError: a signature needs")
    assert "Traceback" not in capsys.readouterr().out


def test_predict_without_an_lm_is_one_line_that_says_so(ip: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr("dspex_nb.lm.resolve.local_available", lambda: False)
    with pytest.raises(MagicError, match="ConfigurationError: no LM configured"):
        run(ip, '%%predict "question -> answer"\nhi')


def test_predict_without_a_signature_is_a_usage_error(ip: Any) -> None:
    with pytest.raises(UsageError, match="needs a signature"):
        run(ip, "%%predict\nhi")


def test_predict_unknown_option_is_a_usage_error(ip: Any) -> None:
    with pytest.raises(UsageError, match="unrecognized"):
        run(ip, '%%predict "q -> a" --temprature 0\nhi')


def test_predict_help_prints_usage_and_runs_nothing(ip: Any, capsys: Any) -> None:
    lm = dx.ScriptedLM([])
    dx.configure(lm=lm)
    assert run(ip, "%%predict --help\nignored") is None
    assert "--cot" in capsys.readouterr().out
    assert lm.requests == []


def test_signature_cell_defines_a_named_class(ip: Any) -> None:
    run(ip, "%%signature Extract\nPull the people named in the text.\n"
            "text: str -> people: list[str]")
    sig = ip.user_ns["Extract"]
    assert issubclass(sig, dx.Signature)
    assert sig.__name__ == "Extract"
    assert sig.instructions == "Pull the people named in the text."
    assert sig.signature_text == "text -> people: list[str]"


def test_signature_fields_may_span_lines_and_name_notebook_types(ip: Any) -> None:
    run(ip, "from pydantic import BaseModel\n"
            "class Person(BaseModel):\n    name: str\n    age: int")
    run(ip, "%%signature Extract\ntext: str\n-> person: Person")
    sig = ip.user_ns["Extract"]
    assert sig.output_fields["person"].annotation is ip.user_ns["Person"]


def test_signature_malformed_is_one_error(ip: Any) -> None:
    with pytest.raises(MagicError) as info:
        run(ip, "%%signature Bad\nthere is no arrow here")
    assert str(info.value).startswith("SignatureError: a signature needs '->'")
    assert "Bad" not in ip.user_ns


def test_signature_needs_a_class_name(ip: Any) -> None:
    with pytest.raises(UsageError, match="needs a class name"):
        run(ip, "%%signature 3rd\na -> b")


def test_dx_lm_local_configures_the_embedded_model(ip: Any, monkeypatch: Any) -> None:
    local = dx.ScriptedLM([], model="stands-for-the-embedded-model")
    monkeypatch.setattr(dx, "LocalLM", lambda: local)
    assert run(ip, "%dx lm local") is local
    assert dx.settings.get("lm") is local


def test_dx_lm_server_reads_the_key_from_the_environment(ip: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("MY_TEST_KEY", "sk-secret-123")
    lm = run(ip, "%dx lm some-model --base-url http://127.0.0.1:9/v1 --api-key-env MY_TEST_KEY")
    assert isinstance(lm, dx.LM)
    assert lm.model == "some-model"
    assert dx.settings.get("lm") is lm
    assert "sk-secret-123" not in repr(lm)


def test_dx_lm_unset_key_variable_is_a_usage_error(ip: Any, monkeypatch: Any) -> None:
    monkeypatch.delenv("NOT_SET_KEY", raising=False)
    with pytest.raises(UsageError, match="NOT_SET_KEY is not set"):
        run(ip, "%dx lm m --base-url http://127.0.0.1:9/v1 --api-key-env NOT_SET_KEY")


def test_dx_lm_without_model_shows_the_configured_one(ip: Any) -> None:
    lm = dx.ScriptedLM([])
    dx.configure(lm=lm)
    assert run(ip, "%dx lm") is lm


def test_dx_unknown_subcommand_is_a_usage_error(ip: Any) -> None:
    with pytest.raises(UsageError, match="invalid choice"):
        run(ip, "%dx dashbaord")


def test_dx_subcommand_help(ip: Any, capsys: Any) -> None:
    run(ip, "%dx cache --help")
    assert "stats" in capsys.readouterr().out


def test_dx_cache_stats_counts_hits(ip: Any, tmp_path: Any) -> None:
    dx.configure(cache=dx.Cache(directory=tmp_path), lm=dx.ScriptedLM([{"a": "1"}],
                                                                      cache=True))
    predict = dx.Predict("q -> a")
    predict(q="x")
    predict(q="x")
    frame = run(ip, "%dx cache stats")
    assert frame.attrs["summary"]["hits"] == 1
    assert frame.attrs["summary"]["misses"] == 1
    assert dict(zip(frame["layer"], frame["hits"], strict=True))["memory"] == 1


def test_dx_cache_clear_empties_it(ip: Any, tmp_path: Any) -> None:
    cache = dx.Cache(directory=tmp_path)
    dx.configure(cache=cache, lm=dx.ScriptedLM([{"a": "1"}, {"a": "2"}], cache=True))
    dx.Predict("q -> a")(q="x")
    run(ip, "%dx cache clear")
    assert dx.Predict("q -> a")(q="x").a == "2"  # asked the LM again


def test_dx_trace_is_the_last_program_call(ip: Any) -> None:
    dx.configure(lm=dx.ScriptedLM([{"a": "1"}]))
    dx.Predict("q -> a")(q="x")
    trace = run(ip, "%dx trace")
    assert trace is not None
    assert trace.root.name


def test_dx_programs_lists_the_registry(ip: Any, tmp_path: Any) -> None:
    dx.save(dx.Predict("q -> a"), "qa", store=tmp_path)
    frame = run(ip, f"%dx programs --store {tmp_path}")
    assert list(frame["name"]) == ["qa"]


def test_dx_experiments_lists_the_store(ip: Any, tmp_path: Any) -> None:
    frame = run(ip, f"%dx experiments --store {tmp_path}")
    assert len(frame) == 0
