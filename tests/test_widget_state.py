"""What widgets send to the browser: right figures, and never a secret."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import dspex_nb as dx
from dspex_nb.views.widgets import Dashboard, ExperimentView, TraceView
from tests.support.fault_server import FaultServer, ok


def test_widget_state_holds_no_api_key(fault_server: FaultServer) -> None:
    secret = "sk-widget-SECRET-7"
    fault_server.script(ok('{"answer": "a"}'))
    lm = dx.LM("m", base_url=fault_server.url, api_key=secret, cache=False)
    board = Dashboard()
    with dx.trace() as t:
        dx.Predict("q -> answer", lm=lm)(q="x")
    board.refresh()
    view = TraceView(t)
    state = json.dumps([board.get_state(), view.get_state()], default=str)
    board.close()
    assert "m" in [row["model"] for row in board.stats["models"]]  # the call is in the state
    assert secret not in state
    assert "Bearer" not in state


def test_dashboard_streams_points_and_counts_calls() -> None:
    dx.telemetry.metrics.reset()
    board = Dashboard(window=5)
    lm = dx.ScriptedLM([{"answer": "a"}], cycle=True, model="counted")
    for i in range(7):
        dx.Predict("q -> answer", lm=lm)(q=str(i))
    assert board.refresh() is True
    assert board.stats["totals"]["calls"] == 7
    newest = dx.telemetry.metrics.seq - 1  # sequence numbers keep rising across resets
    assert [p["seq"] for p in board.latency_points] == list(range(newest - 4, newest + 1))
    assert board.refresh() is False  # nothing new: no update sent
    board.close()


def _report(n: int) -> dx.EvaluationReport:
    lm = dx.ScriptedLM(lambda r: {"answer": "yes"}, cycle=True)
    devset = [dx.Example(question=f"q{i}", answer="yes" if i % 2 else "no")
              .with_inputs("question") for i in range(n)]
    return dx.evaluate(dx.Predict("question -> answer", lm=lm), devset,
                       [dx.metrics.answer_exact_match], display="none", concurrency=64)


def test_eval_table_replays_10000_rows_in_bounded_chunks() -> None:
    from dspex_nb.views.widgets import EvalTable

    table = EvalTable.from_report(_report(10_000))
    sent: list[dict[str, object]] = []
    table.send = sent.append  # type: ignore[method-assign]
    table._on_msg(table, {"type": "replay"}, [])
    assert [len(m["rows"]) for m in sent] == [1000] * 10  # type: ignore[arg-type]
    assert table.header["done"] == 10_000
    assert table.header["metrics"]["answer_exact_match"]["mean"] == 0.5
    assert "ci_low" in table.header["metrics"]["answer_exact_match"]


def test_a_finished_eval_table_holds_its_rows_as_state_up_to_the_limit(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from dspex_nb.views.widgets import EvalTable, eval_table

    table = EvalTable.from_report(_report(40))
    assert sorted(r["index"] for r in table.final_rows) == list(range(40))
    monkeypatch.setattr(eval_table, "FINAL_ROWS_MAX", 39)
    assert EvalTable.from_report(_report(40)).final_rows == []  # bigger: replayed instead


def test_eval_table_detail_has_the_exact_prompt_and_a_running_interval() -> None:
    from dspex_nb.evaluation.harness import EvaluationRun
    from dspex_nb.views.widgets import EvalTable

    report = _report(20)
    run = EvaluationRun(program="Predict", metrics=["answer_exact_match"], total=40,
                        results=[*report.results, *[None] * 20])
    table = EvalTable(run)
    sent: list[dict[str, object]] = []
    table.send = sent.append  # type: ignore[method-assign]
    for result in report.results:
        table.add(result)
    run.done = 20
    table.flush()
    assert len(sent[0]["rows"]) == 20  # type: ignore[arg-type]
    header = table.header["metrics"]["answer_exact_match"]
    assert header["mean"] == 0.5
    assert header["ci_low"] < 0.5 < header["ci_high"]
    assert table.header["status"] == "running"
    table.detail_index = 3
    assert table.detail["index"] == 3
    assert table.detail["trace"][0]["lm_calls"][0]["messages"][-1]["content"] == "question: q3"


def _flip_lm(answers: dict[str, str]) -> dx.ScriptedLM:
    def answer(request: object) -> dict[str, str]:
        text = request.messages[-1]["content"]  # type: ignore[attr-defined]
        return {"answer": next((a for q, a in answers.items() if q in text), "no")}
    return dx.ScriptedLM(answer)


def test_experiment_view_holds_verdict_chart_points_flips_and_both_prompts(tmp_path: Path
                                                                          ) -> None:
    devset = [dx.Example(question=f"q{i}", answer="yes", tags=["t", i]).with_inputs("question")
              for i in range(6)]  # a list in the example: results pair by content all the same
    control = dx.Predict("question -> answer", lm=_flip_lm({"q0": "yes"}))
    arm = dx.Predict("question -> answer", lm=_flip_lm({"q1": "yes", "q2": "yes"}))
    arm.instructions = control.instructions + " Think of yes."
    exp = dx.Experiment("flips", "the arm answers more", arms={"control": control, "arm": arm},
                        metrics=[dx.metrics.answer_exact_match], store=tmp_path,
                        display="none").run(devset=devset)
    view = ExperimentView(exp)
    data = view.experiments[0]
    assert data["verdict"] == exp.verdict
    assert {(p["arm"], p["variable"]) for p in data["points"]} >= {
        ("control", "answer_exact_match"), ("arm", "latency")}
    flips = data["comparisons"][0]["flipped"]
    assert [(f["index"], f["direction"]) for f in flips] == [(0, "lost"), (1, "gained"),
                                                             (2, "gained")]
    assert flips[0]["inputs"] == {"question": "q0"}
    assert flips[0]["control_output"] == {"answer": "yes"}
    assert flips[0]["arm_output"] == {"answer": "no"}
    assert flips[0]["gold"] == {"answer": "yes", "tags": ["t", 0]}
    assert data["programs"]["arm"]["self"]["instructions"].endswith("Think of yes.")
    assert not data["programs"]["control"]["self"]["instructions"].endswith("Think of yes.")
    json.dumps(view.get_state(), default=str)  # all of it is plain JSON


def test_experiment_comparison_view_has_every_experiment(tmp_path: Path) -> None:
    devset = [dx.Example(question="q", answer="yes").with_inputs("question")]
    runs = [dx.Experiment(name, "h", arms={"only": dx.Predict("question -> answer",
                                                              lm=_flip_lm({}))},
                          metrics=[dx.metrics.answer_exact_match], store=tmp_path,
                          display="none").run(devset=devset) for name in ("one", "two")]
    view = ExperimentView(dx.compare_experiments(runs))
    assert [e["name"] for e in view.experiments] == ["one", "two"]
