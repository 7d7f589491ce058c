"""`EvalTable`: the live evaluation table.

While a run is live, rows travel as batched custom messages (a few per second), not a trait:
resending 10,000 rows whole on every update would flood the kernel and the browser. Messages
can be missed (a view that renders late, a busy comm), so when the run ends every row is set
once more as state (`final_rows`, up to FINAL_ROWS_MAX), which always arrives; past that, a
view with rows missing asks for a replay. The header (aggregates, intervals, status) and the
detail of the clicked row are traits; the detail is computed only when a row is clicked.
"""

from __future__ import annotations

import math
import threading
from dataclasses import asdict
from typing import Any

import anywidget
import traitlets

from dspex_nb._json import to_jsonable
from dspex_nb.evaluation.harness import EvaluationRun
from dspex_nb.evaluation.report import EvaluationReport, ExampleResult
from dspex_nb.telemetry import Event
from dspex_nb.views._protocols import EvaluationProgress
from dspex_nb.views.live import LiveView, Ticker
from dspex_nb.views.widgets._static import bundle

FLUSH_INTERVAL = 0.3  # seconds between batches while a run is live
REPLAY_CHUNK = 1000
FINAL_ROWS_MAX = 20_000  # a finished table's rows sent as state; a bigger one replays
PREVIEW = 160  # characters of each field shown in a table row


def _preview(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= PREVIEW else text[: PREVIEW - 1] + "…"


def table_row(result: ExampleResult) -> dict[str, Any]:
    """A table row: short previews of inputs, outputs and gold, scores, error."""
    gold = {k: v for k, v in result.example.items() if k not in result.input_keys}
    row: dict[str, Any] = to_jsonable({
        "index": result.index,
        "inputs": {k: _preview(result.example.get(k)) for k in result.input_keys},
        "outputs": {k: _preview(v) for k, v in (result.prediction or {}).items()},
        "gold": {k: _preview(v) for k, v in gold.items()},
        "scores": result.scores,
        "error": result.error_type,
        "latency_ms": result.latency_s * 1000,
        "tokens": result.prompt_tokens + result.completion_tokens,
    })
    return row


class EvalTable(anywidget.AnyWidget):
    """An evaluation's live table: rows as examples finish, scores with intervals, details
    per row. `run` is the evaluation followed (an `EvaluationRun`, or a finished report's);
    `thresholds`, per metric, mark a row passed or failed."""

    _esm = bundle("eval_table")
    header = traitlets.Dict().tag(sync=True)
    detail_index = traitlets.Int(-1).tag(sync=True)
    detail = traitlets.Dict().tag(sync=True)
    final_rows: traitlets.List[dict[str, Any]] = traitlets.List().tag(sync=True)

    def __init__(self, run: EvaluationProgress, thresholds: dict[str, float] | None = None,
                 **kwargs: Any):
        super().__init__(**kwargs)
        self._run = run
        self._thresholds = thresholds or dict.fromkeys(run.metrics, 1.0)
        self._pending: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._sums: dict[str, float] = dict.fromkeys(run.metrics, 0.0)
        self._squares: dict[str, float] = dict.fromkeys(run.metrics, 0.0)
        self.on_msg(self._on_msg)
        self.observe(self._on_detail, names="detail_index")
        self.refresh_header()

    @classmethod
    def from_report(cls, report: EvaluationReport) -> EvalTable:
        run = EvaluationRun(program=report.program, metrics=list(report.metrics),
                            total=report.planned or report.n, results=list(report.results))
        run.done, run.failures, run.finished, run.report = report.n, report.failures, True, report
        return cls(run, {k: m.threshold for k, m in report.metrics.items()})

    # -- rows --------------------------------------------------------------------------------
    def add(self, result: ExampleResult) -> None:
        row = table_row(result)
        with self._lock:
            self._pending.append(row)
            for name, value in result.scores.items():
                self._sums[name] = self._sums.get(name, 0.0) + value
                self._squares[name] = self._squares.get(name, 0.0) + value * value

    def flush(self) -> None:
        with self._lock:
            rows, self._pending = self._pending, []
        if rows:
            self.send({"type": "rows", "rows": rows})
        self.refresh_header()

    def _on_msg(self, widget: Any, content: Any, buffers: Any) -> None:
        if isinstance(content, dict) and content.get("type") == "replay":
            finished = [r for r in self._run.results if r is not None]
            for start in range(0, len(finished), REPLAY_CHUNK):
                chunk = finished[start:start + REPLAY_CHUNK]
                self.send({"type": "rows", "rows": [table_row(r) for r in chunk]})

    def _on_detail(self, change: dict[str, Any]) -> None:
        index = change["new"]
        results = self._run.results
        result = results[index] if 0 <= index < len(results) else None
        if result is None:
            self.detail = {}
            return
        gold = {k: v for k, v in result.example.items() if k not in result.input_keys}
        self.detail = to_jsonable({
            "index": result.index,
            "inputs": {k: result.example.get(k) for k in result.input_keys},
            "prediction": result.prediction, "gold": gold, "scores": result.scores,
            "feedback": result.feedback, "error": result.error,
            "trace": [asdict(call) for call in result.trace],
        })

    # -- header ------------------------------------------------------------------------------
    def refresh_header(self) -> None:
        run = self._run
        report = run.report
        metrics: dict[str, dict[str, float | None]]
        if report is not None:
            finished = [r for r in run.results if r is not None]
            if len(finished) <= FINAL_ROWS_MAX and len(self.final_rows) != len(finished):
                self.final_rows = [table_row(r) for r in finished]
            metrics = {k: {"mean": m.mean, "ci_low": m.ci_low, "ci_high": m.ci_high,
                           "pass_rate": m.pass_rate} for k, m in report.metrics.items()}
            status = (f"partial: {report.stop_reason}" if report.partial
                      else f"done in {report.wall_time_s:.1f} s")
            if report.warning:
                status = f"{status}. {report.warning}"
        else:
            metrics = {k: _running_interval(s, self._squares[k], run.done)
                       for k, s in self._sums.items()}
            status = "running"
        self.header = to_jsonable({
            "program": run.program, "done": run.done, "total": run.total,
            "failures": run.failures, "metric_names": run.metrics, "thresholds": self._thresholds,
            "metrics": metrics, "status": status,
        })


def _running_interval(total: float, squares: float, n: int) -> dict[str, float | None]:
    """Mean and a normal-approximation 95% interval from running sums: cheap enough for every
    header update while a run is live (the final report replaces it with the bootstrap one)."""
    if n == 0:
        return {"mean": None}
    mean = total / n
    if n < 2:
        return {"mean": mean}
    variance = max(0.0, (squares - n * mean * mean) / (n - 1))
    half = 1.96 * math.sqrt(variance / n)
    return {"mean": mean, "ci_low": mean - half, "ci_high": mean + half}


class LiveEvalTable(LiveView):
    """The notebook view of a running evaluation `run`: shows the table, feeds it from
    events."""

    EVENTS = ("evaluation.progress",)

    def __init__(self, run: EvaluationProgress):
        super().__init__(run)
        self.table = EvalTable(run)
        self._ticker = Ticker(self.table.flush, FLUSH_INTERVAL, "dspex_nb-eval-table")

    def _on(self, event: Event) -> None:
        if self.mine(event):
            result = self.run.results[event.attrs["index"]]
            if result is not None:
                self.table.add(result)

    def _show(self) -> None:
        from IPython.display import display

        display(self.table)  # type: ignore[no-untyped-call]
        self._ticker.start()

    def _close(self) -> None:
        self._ticker.stop()
        self.table.flush()
