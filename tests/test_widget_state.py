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
