"""docs/coming-from-dspy.md runs as written: its eight programs, in the style of DSPy's
documentation, in order and in one namespace, as a reader pastes them into a notebook.

They run against a schema-aware ScriptedLM (every output field gets a value of its type), so
they check the API paths a DSPy user takes. The embedded model is too small for example 3 (it
repeats a list item until max_tokens), as the page says.
"""

from __future__ import annotations

import sys
import types
import warnings
from pathlib import Path
from typing import Any

import pytest

import dspex_nb as dx
from dspex_nb.lm import LMRequest
from tests.support.doc_blocks import blocks as doc_blocks

PAGE = Path(__file__).parent.parent / "docs" / "coming-from-dspy.md"


def _value(schema: dict[str, Any], defs: dict[str, Any]) -> Any:
    """A value of the JSON schema's type: the first of an enum, one item in a list."""
    if "$ref" in schema:
        return _value(defs[schema["$ref"].split("/")[-1]], defs)
    if "enum" in schema:
        return schema["enum"][0]
    if "anyOf" in schema:
        return _value(schema["anyOf"][0], defs)
    kind = schema.get("type")
    if kind == "array":
        return [_value(schema.get("items", {"type": "string"}), defs)]
    if kind == "object":
        return {k: _value(v, defs) for k, v in schema.get("properties", {}).items()}
    return {"number": 0.5, "integer": 1, "boolean": True}.get(str(kind), "Vienna")


def _answer(request: LMRequest) -> dict[str, Any]:
    schema = request.response_schema or {}
    return {k: _value(v, schema.get("$defs", {}))
            for k, v in schema.get("properties", {}).items()}


def _run_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.chdir(tmp_path)
    # As in a Jupyter kernel, the page's namespace is the __main__ module: classes defined
    # in it (Hop, Article) can be found again by Module.load.
    main = types.ModuleType("__main__")
    monkeypatch.setitem(sys.modules, "__main__", main)
    namespace: dict[str, Any] = main.__dict__
    blocks = [block.code for block in doc_blocks(PAGE)]
    assert len(blocks) == 8  # one per program: the page and this test agree
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dx.DSPyNameNote)
        for i, block in enumerate(blocks, 1):
            try:
                exec(compile(block, f"{PAGE.name} block {i}", "exec"), namespace)
            except Exception as exc:
                raise AssertionError(f"block {i} of {PAGE.name} failed: {exc!r}") from exc
    return namespace


def test_the_page_runs_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    dx.configure(lm=dx.ScriptedLM(_answer, cycle=True), cache=False)
    page = _run_page(tmp_path, monkeypatch)
    report = page["report"]
    assert report.n == 4 and report.failures == 0  # the two-argument metric was called
    assert report.score == 0.25  # "Vienna" is right for one question of four
    assert page["optimizer"].result.final_score is not None
    assert dx.Module.load(tmp_path / "hop.json").num_hops == 3  # type: ignore[attr-defined]
    printed = capsys.readouterr().out
    assert "RESPONSE (" in printed  # dx.inspect_history printed the last call
    assert page["t"].usage.calls == 1


def test_dspy_names_are_noted_once_each(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                        ) -> None:
    from dspex_nb import _checks

    monkeypatch.setattr(_checks, "_noted", set())
    dx.configure(lm=dx.ScriptedLM(_answer, cycle=True), cache=False)
    program = dx.Predict("question -> answer")
    devset = [dx.Example(question="q", answer="Vienna").with_inputs("question")]
    with warnings.catch_warnings(record=True) as notes:
        warnings.simplefilter("always")
        dx.evaluate(program, devset, lambda e, p: 1.0, num_threads=2, display=False)
        dx.evaluate(program, devset, lambda e, p: 1.0, num_threads=2, display=False)
        dx.SIMBA(lambda e, p: 1.0, bsize=1, max_steps=0, display=False).compile(
            student=program, trainset=devset)
    assert [str(n.message).split("=")[0] for n in notes
            if n.category is dx.DSPyNameNote] == ["num_threads", "student"]


def test_inspect_history_prints_the_last_calls_of_any_lm(
    capsys: pytest.CaptureFixture[str],
) -> None:
    first = dx.Predict("question -> answer", lm=dx.ScriptedLM([{"answer": "one"}]))
    second = dx.Predict("question -> answer", lm=dx.ScriptedLM([{"answer": "two"}],
                                                               model="other"))
    first(question="first question")
    second(question="second question")
    dx.inspect_history(n=2)
    out = capsys.readouterr().out
    assert out.index("first question") < out.index('{"answer":"one"}') < out.index(
        "second question") < out.index('{"answer":"two"}')
    assert "] other" in out and "USER:" in out and "SYSTEM:" in out


def test_inspect_history_shows_a_failed_call(capsys: pytest.CaptureFixture[str]) -> None:
    program = dx.Predict("question -> answer",
                         lm=dx.ScriptedLM([dx.ServerError("down", status=503)]))
    with pytest.raises(dx.ServerError):
        program(question="q")
    dx.inspect_history()
    assert "FAILED:\nServerError: down" in capsys.readouterr().out
