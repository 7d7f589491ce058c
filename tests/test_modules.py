from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

import dspex_nb as dx


class TwoStep(dx.Module):
    def __init__(self) -> None:
        self.draft = dx.Predict("question -> draft")
        self.refine = dx.ChainOfThought("question, draft -> answer")

    def forward(self, question: str) -> dx.Prediction:
        draft = self.draft(question=question).draft
        result: dx.Prediction = self.refine(question=question, draft=draft)
        return result


class AsyncTwoStep(TwoStep):
    async def aforward(self, question: str) -> dx.Prediction:
        draft = (await self.draft.acall(question=question)).draft
        result: dx.Prediction = await self.refine.acall(question=question, draft=draft)
        return result


def _lm() -> dx.ScriptedLM:
    def answer(request: dx.lm.LMRequest) -> dict[str, str]:
        props = list(request.response_schema["properties"]) if request.response_schema else []
        return {k: f"{k}!" for k in props}

    return dx.ScriptedLM(answer)


def test_named_predictors_lists_nested_predictors_by_path() -> None:
    names = [name for name, _ in TwoStep().named_predictors()]
    assert names == ["draft", "refine.predict"]


def test_predictors_in_lists_and_dicts_are_found_once() -> None:
    shared = dx.Predict("a -> b")

    class Holder(dx.Module):
        def __init__(self) -> None:
            self.steps = [shared, dx.Predict("c -> d")]
            self.by_name = {"again": shared}

    assert [n for n, _ in Holder().named_predictors()] == ["steps[0]", "steps[1]"]


def test_sync_module_runs_sync_and_async() -> None:
    dx.configure(lm=_lm())
    program = TwoStep()
    assert program(question="q").answer == "answer!"
    assert asyncio.run(program.acall(question="q")).answer == "answer!"


def test_async_module_runs_sync_and_async() -> None:
    dx.configure(lm=_lm())
    program = AsyncTwoStep()
    assert program(question="q").answer == "answer!"
    assert asyncio.run(program.acall(question="q")).answer == "answer!"


def test_module_without_forward_says_so() -> None:
    with pytest.raises(NotImplementedError, match="neither forward nor aforward"):
        dx.Module()()


def test_deepcopy_is_independent_but_shares_the_lm() -> None:
    lm = _lm()
    program = TwoStep()
    program.draft.lm = lm
    copy = program.deepcopy()
    copy.draft.instructions = "changed"
    copy.draft.demos.append({"question": "q", "draft": "d"})
    assert program.draft.instructions != "changed" and program.draft.demos == []
    assert copy.draft.lm is lm


def test_dump_and_load_state_round_trip() -> None:
    program = TwoStep()
    program.draft.instructions = "Write a rough draft."
    program.refine.predict.demos = [{"question": "q", "draft": "d", "reasoning": "r",
                                     "answer": "a"}]
    state = json.loads(json.dumps(program.dump_state()))
    fresh = TwoStep().load_state(state)
    assert fresh.draft.instructions == "Write a rough draft."
    assert fresh.refine.predict.demos == program.refine.predict.demos


def test_load_state_that_does_not_fit_names_the_missing_parts() -> None:
    with pytest.raises(dx.ConfigurationError, match=r"missing parts \[.refine\.predict.\]"):
        TwoStep().load_state({"draft": dx.Predict("a -> b").dump_state()})


def test_save_and_class_load_rebuild_a_predictor(tmp_path: Path) -> None:
    predict = dx.Predict("question -> answer: int", temperature=0.5)
    predict.instructions = "Count carefully."
    predict.demos = [{"question": "1+1", "answer": 2}]
    path = predict.save(tmp_path / "p.json")
    loaded = dx.Module.load(path)
    assert isinstance(loaded, dx.Predict)
    assert loaded.instructions == "Count carefully."
    assert loaded.demos == [{"question": "1+1", "answer": 2}]
    assert loaded.config == {"temperature": 0.5}
    assert loaded.signature.equals(predict.signature)


def test_save_and_class_load_rebuild_chain_of_thought(tmp_path: Path) -> None:
    cot = dx.ChainOfThought("question -> answer")
    loaded = dx.Module.load(cot.save(tmp_path / "cot.json"))
    assert isinstance(loaded, dx.ChainOfThought)
    assert list(loaded.predict.signature.output_fields) == ["reasoning", "answer"]


def test_save_and_class_load_rebuild_a_user_module(tmp_path: Path) -> None:
    program = TwoStep()
    program.draft.instructions = "Draft it."
    loaded = TwoStep.load(program.save(tmp_path / "two.json"))
    assert isinstance(loaded, TwoStep) and loaded.draft.instructions == "Draft it."


def test_instance_load_fills_an_existing_program(tmp_path: Path) -> None:
    program = TwoStep()
    program.refine.predict.instructions = "Refine."
    path = program.save(tmp_path / "two.json")
    target = TwoStep()
    target.load(path)
    assert target.refine.predict.instructions == "Refine."


def test_saved_lm_settings_come_back_without_the_key(tmp_path: Path) -> None:
    predict = dx.Predict("q -> a", lm=dx.LM("gpt-4o-mini", base_url="http://127.0.0.1:9/v1",
                                             api_key="sk-do-not-store", temperature=0.2))
    path = predict.save(tmp_path / "p.json")
    assert "sk-do-not-store" not in path.read_text()
    loaded = dx.Module.load(path)
    assert isinstance(loaded, dx.Predict) and isinstance(loaded.lm, dx.LM)
    assert loaded.lm.model == "gpt-4o-mini" and loaded.lm.defaults["temperature"] == 0.2


def test_loading_a_file_that_is_not_a_program_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text('{"hello": 1}')
    with pytest.raises(dx.DspexError, match="not a saved dspex_nb program"):
        dx.Module.load(path)


def test_loading_a_newer_format_is_refused(tmp_path: Path) -> None:
    path = dx.Predict("a -> b").save(tmp_path / "p.json")
    data = json.loads(path.read_text())
    data["version"] = 99
    path.write_text(json.dumps(data))
    with pytest.raises(dx.DspexError, match="newer dspex_nb"):
        dx.Module.load(path)


class NeedsArgs(dx.Module):
    def __init__(self, k: object) -> None:
        self.k = k
        self.p = dx.Predict("a -> b")


def test_module_built_with_an_argument_that_is_not_json_explains_how_to_load(
    tmp_path: Path,
) -> None:
    path = NeedsArgs(object()).save(tmp_path / "n.json")
    with pytest.raises(dx.ConfigurationError, match=r"not JSON \(k=object\).*program.load\(path\)"):
        dx.Module.load(path)


def test_module_class_that_cannot_be_imported_explains_how_to_load(tmp_path: Path) -> None:
    class Local(dx.Module):
        def __init__(self) -> None:
            self.p = dx.Predict("a -> b")

    path = Local().save(tmp_path / "l.json")
    with pytest.raises(dx.DspexError, match="cannot be imported"):
        dx.Module.load(path)
    assert Local().load(path).p.signature.signature_text == "a -> b"
