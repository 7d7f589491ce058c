"""What widgets send to the browser: right figures, and never a secret."""

from __future__ import annotations

import json

import dspex_nb as dx
from dspex_nb.widgets import Dashboard, TraceView
from tests.fault_server import FaultServer, ok


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
    from dspex_nb.widgets import EvalTable

    table = EvalTable.from_report(_report(10_000))
    sent: list[dict[str, object]] = []
    table.send = sent.append  # type: ignore[method-assign]
    table._on_msg(table, {"type": "replay"}, [])
    assert [len(m["rows"]) for m in sent] == [1000] * 10  # type: ignore[arg-type]
    assert table.header["done"] == 10_000
    assert table.header["metrics"]["answer_exact_match"]["mean"] == 0.5
    assert "ci_low" in table.header["metrics"]["answer_exact_match"]


def test_eval_table_detail_has_the_exact_prompt_and_a_running_interval() -> None:
    from dspex_nb.evaluate.harness import EvaluationRun
    from dspex_nb.widgets import EvalTable

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
