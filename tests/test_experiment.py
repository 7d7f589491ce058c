"""`dx.Experiment`: arms on the same devset, paired deltas, the verdict, and the stored record
(scripted LMs; an experiment on the embedded model runs in notebooks/02_experiments.ipynb,
executed and re-run in a fresh process by test_notebooks.py)."""

from __future__ import annotations

import asyncio
import io
import itertools
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

import pytest

import dspex_nb as dx
from dspex_nb.evaluation.comparison import MetricDelta
from dspex_nb.experiments.turns import BLOCK
from dspex_nb.experiments.verdict import judge
from dspex_nb.lm import LMRequest
from tests.support.simba_model import rule_following

RULE = "RULE: always answer yes."


# Says "yes" (right) once a rule is in the instructions, or by luck when sampled; writes that
# rule when asked.
_answer = rule_following(lambda r: "RULE" in r.messages[0]["content"], RULE)


def _examples(n: int, prefix: str = "q") -> list[dx.Example]:
    return [dx.Example(question=f"{prefix}{i}", answer="yes").with_inputs("question")
            for i in range(n)]


def _simba() -> dx.SIMBA:
    return dx.SIMBA(dx.metrics.answer_exact_match, bsize=4, num_candidates=2, max_steps=2,
                    max_demos=0, strategies=["append_rule"], display="none")


def _experiment(tmp_path: Path, lm: dx.BaseLM | None = None, **options: Any) -> dx.Experiment:
    settings: dict[str, Any] = {
        "hypothesis": "SIMBA's rules raise exact match", "dataset": "yes-questions",
        "program": dx.Predict("question -> answer", lm=lm or dx.ScriptedLM(_answer)),
        "optimizer": _simba(), "store": tmp_path / "store", "display": "none",
        "dependent_variables": ["answer_exact_match", "tokens"]}
    settings.update(options)
    return dx.Experiment("rules help", **settings)


def test_run_evaluates_both_arms_on_the_same_devset_and_supports_the_hypothesis(
        tmp_path: Path) -> None:
    exp = _experiment(tmp_path).run(trainset=_examples(8, "t"), devset=_examples(12))
    assert exp.status == "finished"
    assert exp.report("baseline")["answer_exact_match"].mean == 0.0
    assert exp.report("optimized")["answer_exact_match"].mean == 1.0
    assert [r.example for r in exp.report("baseline").results] == \
        [r.example for r in exp.report("optimized").results]
    assert exp.verdict == "supported"
    assert exp.verdict_text.startswith("supported: optimized vs baseline, answer_exact_match "
                                       "0 -> 1, delta +1 [95% CI +1, +1]")


def test_the_record_holds_snapshots_settings_versions_timings_and_totals(tmp_path: Path) -> None:
    exp = _experiment(tmp_path).run(trainset=_examples(8, "t"), devset=_examples(6))
    record = dx.ExperimentStore(tmp_path / "store").load(exp.id)
    optimized = record.arms["optimized"]
    assert RULE not in json.dumps(optimized.program_before)
    assert RULE in json.dumps(optimized.program_after)
    assert optimized.optimizer is not None and optimized.optimizer.name == "SIMBA"
    assert optimized.optimizer.settings["bsize"] == 4
    assert optimized.optimization is not None and optimized.optimization.final_score == 1.0
    assert optimized.timings["optimize_s"] > 0 and optimized.timings["evaluate_s"] > 0
    assert optimized.tokens["optimization"] > 0
    assert record.environment["dspex_nb"] == dx.__version__
    assert record.environment["python"]
    assert record.seed == 0
    assert record.dataset is not None
    assert record.dataset.dev_n == 6 and record.dataset.train_n == 8
    assert record.tokens == sum(sum(a.tokens.values()) for a in record.arms.values())
    deltas = record.comparisons[0].deltas
    assert set(deltas) == {"answer_exact_match", "tokens"}
    assert deltas["answer_exact_match"].delta == 1.0


def test_a_stored_experiment_reloads_with_runnable_programs(tmp_path: Path) -> None:
    exp = _experiment(tmp_path).run(trainset=_examples(8, "t"), devset=_examples(4))
    loaded = dx.Experiment.load(exp.id, store=tmp_path / "store")
    assert loaded.verdict == "supported"
    optimized = loaded.program("optimized", lm=dx.ScriptedLM(_answer))
    baseline = loaded.program("baseline", lm=dx.ScriptedLM(_answer))
    assert RULE in optimized.predictors()[0].instructions
    assert optimized(question="anything").answer == "yes"
    assert baseline(question="anything").answer == "no"
    before = loaded.program("optimized", stage="before", lm=dx.ScriptedLM(_answer))
    assert before.predictors()[0].instructions == baseline.predictors()[0].instructions
    with pytest.raises(dx.ConfigurationError, match="ScriptedLM"):
        loaded.program("optimized")  # a scripted LM cannot be rebuilt from a record


def test_no_change_is_not_supported(tmp_path: Path) -> None:
    never = dx.ScriptedLM(lambda r: {"answer": "no", "discussion": "-", "module_advice": {}})
    exp = _experiment(tmp_path, lm=never).run(trainset=_examples(8, "t"), devset=_examples(6))
    assert exp.record is not None
    assert exp.record.comparisons[0].deltas["answer_exact_match"].delta == 0.0
    assert exp.verdict == "not supported"


def test_an_interval_across_the_minimum_effect_is_inconclusive() -> None:
    delta = MetricDelta("m", 0.5, 0.55, 0.05, -0.1, 0.2, 0.4, None, 20)
    assert judge(delta, "increase", 0.0) == "inconclusive"
    assert judge(delta, "increase", -0.2) == "supported"
    assert judge(delta, "increase", 0.25) == "not supported"
    assert judge(delta, "decrease", 0.15) == "not supported"  # drops of at most 0.1


def _flip_some(request: LMRequest) -> dict[str, Any]:
    """The "long" arm answers yes on even questions; the "short" arm on odd ones."""
    question = json.loads(request.messages[-1]["content"].split("question: ")[-1]
                          if "question: " in request.messages[-1]["content"] else '""')
    number = int(str(question)[1:] or 0)
    long = "Be thorough" in request.messages[0]["content"]
    return {"answer": "yes" if (number % 2 == 0) == long else "no"}


def test_arms_share_the_devset_and_each_is_compared_with_the_control(tmp_path: Path) -> None:
    lm_a = dx.ScriptedLM(lambda r: {"answer": "yes"}, model="model-a", tokens=(30, 5))
    lm_b = dx.ScriptedLM(lambda r: {"answer": "yes"}, model="model-b", tokens=(10, 5))
    lm_c = dx.ScriptedLM(lambda r: {"answer": "no"}, model="model-c", tokens=(10, 5))
    program = dx.Predict("question -> answer")
    exp = dx.Experiment(
        "which model", "model-b needs fewer tokens at equal accuracy",
        arms={"a": dx.Arm(program, lm=lm_a, variables={"model": "a"}),
              "b": dx.Arm(program, lm=lm_b, variables={"model": "b"}),
              "c": dx.Arm(program, lm=lm_c, variables={"model": "c"})},
        metrics=[dx.metrics.answer_exact_match], dependent_variables=["tokens",
                                                                      "answer_exact_match"],
        store=tmp_path, display="none").run(devset=_examples(10))
    assert exp.record is not None
    assert [c.arm for c in exp.record.comparisons] == ["b", "c"]
    assert all(c.control == "a" for c in exp.record.comparisons)
    assert len(lm_a.requests) == len(lm_b.requests) == len(lm_c.requests) == 10
    by_arm = {c.arm: c for c in exp.record.comparisons}
    assert by_arm["b"].verdict == "supported"  # 20 fewer tokens on every example
    assert by_arm["b"].deltas["tokens"].delta == -20.0
    assert by_arm["c"].deltas["answer_exact_match"].delta == -1.0
    assert len(by_arm["c"].flipped) == 10
    assert by_arm["c"].flipped[0].direction == "lost"
    assert exp.record.arms["b"].models == ["model-b"]
    assert exp.summary().loc["b", "model"] == "b"


def test_a_failing_example_is_recorded_and_the_run_goes_on(tmp_path: Path) -> None:
    def flaky(request: LMRequest) -> Any:
        if "q3" in request.messages[-1]["content"]:
            return dx.ServerError("boom")
        return {"answer": "yes"}

    exp = dx.Experiment("flaky", "x", arms={"only": dx.Predict("question -> answer",
                                                              lm=dx.ScriptedLM(flaky))},
                        metrics=[dx.metrics.answer_exact_match], store=tmp_path,
                        display="none").run(devset=_examples(5))
    report = exp.report("only")
    assert exp.status == "finished"
    assert report.failures == 1
    assert "boom" in (report.results[3].error or "")


def test_stopping_during_optimization_keeps_its_partial_result_and_evaluates_no_arm(
        tmp_path: Path) -> None:
    holder: dict[str, dx.Experiment] = {}
    calls = {"n": 0}

    def stop_midway(request: LMRequest) -> dict[str, Any]:
        calls["n"] += 1
        if calls["n"] == 6:  # inside SIMBA's first step: the arms are evaluated after it
            holder["exp"].stop("test stop")
        return _answer(request)

    holder["exp"] = exp = _experiment(tmp_path, lm=dx.ScriptedLM(stop_midway))
    exp.run(trainset=_examples(8, "t"), devset=_examples(6))
    record = dx.ExperimentStore(tmp_path / "store").load(exp.id)
    assert record.status == "interrupted"
    assert record.stop_reason == "test stop"
    assert record.arms["baseline"].status == "skipped"
    assert record.arms["baseline"].report is None
    assert record.arms["optimized"].status == "interrupted"
    assert record.arms["optimized"].optimization is not None
    assert record.arms["optimized"].optimization.partial is True
    assert record.verdict == "inconclusive"


class _BrokenOptimizer:
    metric = staticmethod(dx.metrics.answer_exact_match)

    def compile(self, program: dx.Module, *, trainset: Any, valset: Any) -> dx.Module:
        raise RuntimeError("optimizer bug")

    def stop(self, reason: str) -> None:
        pass


def test_an_optimizer_error_is_recorded_before_it_is_raised(tmp_path: Path) -> None:
    exp = _experiment(tmp_path, optimizer=_BrokenOptimizer())
    with pytest.raises(RuntimeError, match="optimizer bug"):
        exp.run(trainset=_examples(4, "t"), devset=_examples(3))
    record = dx.ExperimentStore(tmp_path / "store").load(exp.id)
    assert record.status == "failed"
    assert record.error == "RuntimeError: optimizer bug"
    assert record.arms["optimized"].status == "failed"
    assert record.arms["baseline"].status == "skipped"  # arms are evaluated after optimizing


class _AddsInstructions:
    """A user's optimizer, written against dx.Optimizer: it appends a fixed sentence."""

    metric = staticmethod(dx.metrics.answer_exact_match)

    def compile(self, program: dx.Module, *, trainset: Any, valset: Any = None) -> dx.Module:
        new = program.deepcopy()
        for predictor in new.predictors():
            predictor.instructions += " Say yes."
        return new

    def stop(self, reason: str = "stopped") -> None:
        pass


def test_an_optimizer_written_against_the_protocol_makes_the_optimized_arm(
        tmp_path: Path) -> None:
    optimizer = _AddsInstructions()
    assert isinstance(optimizer, dx.Optimizer)
    exp = _experiment(tmp_path, optimizer=optimizer).run(trainset=_examples(4, "t"),
                                                          devset=_examples(3))
    arm = exp.record.arms["optimized"]
    assert "Say yes." in json.dumps(arm.program_after)
    assert "Say yes." not in json.dumps(arm.program_before)
    assert arm.optimizer is not None and arm.optimizer.name == "_AddsInstructions"


class _NoStop:
    metric = staticmethod(dx.metrics.answer_exact_match)

    def compile(self, program: dx.Module, *, trainset: Any, valset: Any = None) -> dx.Module:
        return program


def test_an_optimizer_missing_part_of_the_protocol_is_refused_before_running(
        tmp_path: Path) -> None:
    with pytest.raises(dx.ConfigurationError, match=r"_NoStop lacks stop.*see dx.Optimizer"):
        _experiment(tmp_path, optimizer=_NoStop())


@pytest.mark.parametrize(("options", "message"), [
    ({"dependent_variables": ["accuracy"]}, "not measured"),
    ({"arms": {"x": dx.Predict("q -> a")}}, "not both"),
    ({"optimizer": None, "metrics": None}, "give metrics"),
    ({"expect": {"tokens": "up"}}, "increase"),
    ({"control": "nope"}, "not an arm"),
])
def test_bad_configuration_is_a_clear_error(tmp_path: Path, options: dict[str, Any],
                                            message: str) -> None:
    with pytest.raises(dx.ConfigurationError, match=message):
        _experiment(tmp_path, **options)


def test_an_optimizer_arm_needs_a_trainset(tmp_path: Path) -> None:
    with pytest.raises(dx.ConfigurationError, match="trainset"):
        _experiment(tmp_path).run(devset=_examples(3))


def test_a_loaded_experiment_does_not_run_again(tmp_path: Path) -> None:
    exp = _experiment(tmp_path).run(trainset=_examples(8, "t"), devset=_examples(3))
    loaded = dx.Experiment.load(exp.id, store=tmp_path / "store")
    with pytest.raises(dx.ConfigurationError, match="loaded"):
        loaded.run(devset=_examples(3))


def test_the_store_lists_status_and_verdict(tmp_path: Path) -> None:
    exp = _experiment(tmp_path).run(trainset=_examples(8, "t"), devset=_examples(3))
    listing = dx.ExperimentStore(tmp_path / "store").list()
    assert listing.loc[0, "id"] == exp.id
    assert listing.loc[0, "status"] == "finished"
    assert listing.loc[0, "verdict"] == "supported"


def test_compare_experiments_gives_a_row_per_arm_with_the_delta(tmp_path: Path) -> None:
    first = _experiment(tmp_path).run(trainset=_examples(8, "t"), devset=_examples(4))
    never = dx.ScriptedLM(lambda r: {"answer": "no", "discussion": "-", "module_advice": {}})
    second = _experiment(tmp_path, lm=never).run(trainset=_examples(8, "t"),
                                                 devset=_examples(4))
    frame = dx.compare_experiments([first.id, second], store=tmp_path / "store").to_pandas()
    assert list(frame["arm"]) == ["baseline", "optimized", "baseline", "optimized"]
    optimized = frame[frame["arm"] == "optimized"].set_index("experiment")
    assert optimized.loc[first.id, "delta"] == 1.0
    assert optimized.loc[second.id, "delta"] == 0.0
    assert optimized.loc[second.id, "arm_verdict"] == "not supported"
    assert frame["dev_fingerprint"].nunique() == 1


def test_without_a_store_nothing_is_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                            ) -> None:
    monkeypatch.chdir(tmp_path)
    exp = _experiment(tmp_path, store=False).run(trainset=_examples(8, "t"),
                                                 devset=_examples(3))
    assert exp.path is None
    assert list(tmp_path.iterdir()) == []


def test_the_run_is_one_span_with_its_evaluations_and_optimization_inside(
        tmp_path: Path) -> None:
    events: list[dx.telemetry.Event] = []
    handler = dx.telemetry.attach(events.append, events=["experiment.*", "evaluation.start",
                                                         "optimization.start"])
    try:
        exp = _experiment(tmp_path).run(trainset=_examples(8, "t"), devset=_examples(3))
    finally:
        dx.telemetry.detach(handler)
    start = next(e for e in events if e.name == "experiment.start")
    inside = [e.name for e in events if e.trace_id == start.trace_id]
    assert inside.count("evaluation.start") == 2 and inside.count("optimization.start") == 1
    arms = [e.attrs["arm"] for e in events if e.name == "experiment.arm"]
    assert arms == ["baseline", "optimized"]
    stop = next(e for e in events if e.name == "experiment.stop")
    assert stop.attrs["verdict"] == exp.verdict == "supported"


def test_measures_taken_on_cached_answers_carry_a_caveat(tmp_path: Path) -> None:
    lm = dx.ScriptedLM(lambda r: {"answer": "yes"}, cache=True)
    program = dx.Predict("question -> answer", lm=lm)

    def run() -> dx.Experiment:
        return dx.Experiment("cached", "h", arms={"a": program, "b": program.deepcopy()},
                             metrics=[dx.metrics.answer_exact_match], store=tmp_path,
                             display="none").run(devset=_examples(4))

    first = run()  # arm b asks what arm a asked: its answers come from the cache
    assert first.record is not None
    assert [c.split(" were")[0] for c in first.record.caveats] == \
        ["4 of 4 LM calls of arm 'b'"]
    again = run()
    assert again.record is not None
    assert len(again.record.caveats) == 2
    assert "4 of 4 LM calls of arm 'a' were answered from the cache" in again.verdict_text
    assert again.record.arms["a"].lm_calls == {"evaluation": 4, "evaluation_cached": 4}


def test_running_again_stores_a_second_experiment(tmp_path: Path) -> None:
    exp = _experiment(tmp_path)
    first = exp.run(trainset=_examples(8, "t"), devset=_examples(3)).id
    second = exp.run(trainset=_examples(8, "t"), devset=_examples(3)).id
    assert first != second
    assert sorted(dx.ExperimentStore(tmp_path / "store").ids()) == sorted([first, second])


def test_ctrl_c_during_an_evaluation_keeps_the_partial_report(
    tmp_path: Path, ctrl_c: None
) -> None:
    calls = 0

    def answer(request: object) -> dict[str, str]:
        nonlocal calls
        calls += 1
        if calls == 10:  # Ctrl-C lands while both arms run, after some examples
            os.kill(os.getpid(), signal.SIGINT)
        return {"answer": "yes"}

    lm = dx.ScriptedLM(answer, latency=0.05)
    exp = dx.Experiment("interrupted", "h",
                        arms={"a": dx.Predict("question -> answer", lm=lm),
                              "b": dx.Predict("question -> answer", lm=lm)},
                        metrics=[dx.metrics.answer_exact_match], concurrency=2,
                        store=tmp_path, display="none")
    exp.run(devset=_examples(200))
    record = dx.ExperimentStore(tmp_path).load(exp.id)
    assert record.status == "interrupted"
    for arm in ("a", "b"):
        assert record.arms[arm].status == "interrupted"
        report = record.arms[arm].report
        assert report is not None and 0 < len(report.results) < 200
    assert record.comparisons == []  # partial arms are not compared


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_sees_a_line_as_each_arm_starts_a_phase(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    _experiment(tmp_path, display="text").run(trainset=_examples(8, "t"), devset=_examples(3))
    lines = [line for line in terminal.getvalue().splitlines() if line.startswith("experiment")]
    assert lines == ["experiment 'rules help': arm 'optimized' (2 of 2): optimize",
                     "experiment 'rules help': arm 'baseline' (1 of 2): evaluate",
                     "experiment 'rules help': arm 'optimized' (2 of 2): evaluate"]


def test_the_arms_are_evaluated_side_by_side_in_time(tmp_path: Path) -> None:
    order: list[str] = []

    def arm_lm(tag: str) -> dx.ScriptedLM:
        def answer(request: LMRequest) -> dict[str, str]:
            order.append(tag)
            return {"answer": "yes"}
        return dx.ScriptedLM(answer, latency=0.002)

    dx.Experiment("side by side", "h",
                  arms={"a": dx.Predict("question -> answer", lm=arm_lm("a")),
                        "b": dx.Predict("question -> answer", lm=arm_lm("b"))},
                  metrics=[dx.metrics.answer_exact_match], concurrency=2, store=False,
                  display="none").run(devset=_examples(20))
    assert sorted(order) == ["a"] * 20 + ["b"] * 20
    runs = [len(list(run)) for _, run in itertools.groupby(order)]
    assert runs == [BLOCK, BLOCK, BLOCK, BLOCK, 4, 4]  # one after the other: [20, 20]


def test_no_arm_waits_behind_another_arms_calls(tmp_path: Path) -> None:
    in_flight: dict[str, int] = {"a": 0, "b": 0}
    mixed = 0
    most = 0

    class Slow(dx.Module):
        def __init__(self, tag: str):
            self.tag = tag

        async def aforward(self, question: str) -> dx.Prediction:
            nonlocal mixed, most
            in_flight[self.tag] += 1
            mixed += all(in_flight.values())  # calls of both arms at once
            most = max(most, in_flight[self.tag])
            await asyncio.sleep(0.002)
            in_flight[self.tag] -= 1
            return dx.Prediction(answer="yes")

    exp = dx.Experiment("turns", "h", arms={"a": Slow("a"), "b": Slow("b")},
                        metrics=[dx.metrics.answer_exact_match], concurrency=3, store=False,
                        display="none").run(devset=_examples(20))
    assert exp.status == "finished"
    assert mixed == 0  # a block of one arm never overlaps the other's
    assert most == 3  # within its block, an arm runs at the experiment's concurrency


def test_an_optimized_arm_is_registered_in_one_call_with_its_experiment(
        tmp_path: Path) -> None:
    exp = _experiment(tmp_path).run(trainset=_examples(8, "t"), devset=_examples(12))
    ref = exp.register("yes-qa", arm="optimized", tags=["simba"], lm=dx.ScriptedLM(_answer),
                       store=tmp_path / "programs")
    assert ref == "yes-qa@1"
    row = dx.programs(store=tmp_path / "programs").iloc[0]
    assert (row["experiment"], row["score"], row["tags"]) == (exp.id, 1.0, ["simba"])
    loaded = dx.load(ref, store=tmp_path / "programs", lm=dx.ScriptedLM(_answer))
    assert RULE in loaded.predictors()[0].instructions
    assert loaded(question="anything").answer == "yes"
