"""`OptimizationChart`: a SIMBA run live — candidate scores per step, best so far, baseline,
and the best program's instructions and demos. Fed by optimization.* events."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

import anywidget
import traitlets

from dspex_nb._json import to_jsonable
from dspex_nb.optimize.result import OptimizationResult, calls_text
from dspex_nb.telemetry import Event
from dspex_nb.views._protocols import OptimizationProgress
from dspex_nb.views.live import LiveView
from dspex_nb.views.widgets._static import bundle


class OptimizationChart(anywidget.AnyWidget):
    """SIMBA's live chart: candidate scores per step, the best so far, the baseline, the budget."""

    _esm = bundle("charts")  # one bundle for the Vega widgets: Vega ships once
    _widget = traitlets.Unicode("optimization_chart").tag(sync=True)
    points: traitlets.List[dict[str, Any]] = traitlets.List().tag(sync=True)
    best_line: traitlets.List[dict[str, Any]] = traitlets.List().tag(sync=True)
    baseline = traitlets.Float(None, allow_none=True).tag(sync=True)
    best_program = traitlets.Dict().tag(sync=True)
    status = traitlets.Unicode("").tag(sync=True)

    @classmethod
    def from_result(cls, result: OptimizationResult) -> OptimizationChart:
        """The chart of a finished run, from its result alone (`simba.result`, or
        `program.optimization` of a returned or loaded program): for a run in another
        kernel, or a chart placed in your own layout."""
        points = [candidate_point(step.step, vars(c)) for step in result.steps
                  for c in step.candidates]
        baselines = [c.score for step in result.steps for c in step.candidates
                     if c.strategy == "baseline" and c.score is not None]
        state = result.programs.get(result.final_program_id) or {}
        if "signature" in state:  # a lone predictor's state is its own, not keyed by name
            state = {"self": state}
        parts = {name: (part["signature"]["instructions"], part["demos"])
                 for name, part in state.items()
                 if isinstance(part, dict) and "signature" in part}  # predictors only
        return cls(points=points,
                   best_line=[{"step": s.step, "score": s.best_so_far_score}
                              for s in result.steps],
                   baseline=sum(baselines) / len(baselines) if baselines else None,
                   best_program=program_view(result.final_program_id, result.final_score,
                                             parts) if parts else {},
                   status=final_status(result))


POINT_FIELDS = ("program_id", "strategy", "score", "rules", "demos")


def candidate_point(step: int, candidate: Mapping[str, Any]) -> dict[str, Any]:
    """One candidate as the chart draws it, from an optimization.candidate event's attributes
    or a CandidateRecord's fields."""
    point: dict[str, Any] = to_jsonable({"step": step,
                                         **{k: candidate[k] for k in POINT_FIELDS}})
    return point


def program_view(program_id: int, score: float | None,
                 parts: Mapping[str, tuple[str, list[Any]]]) -> dict[str, Any]:
    """The chosen program as the chart shows it: instructions and demos by predictor."""
    view: dict[str, Any] = to_jsonable({
        "program_id": program_id, "score": score,
        "predictors": {name: {"instructions": instructions, "demos": demos}
                       for name, (instructions, demos) in parts.items()}})
    return view


def best_program_view(run: OptimizationProgress, program_id: int) -> dict[str, Any]:
    program = run.programs.get(program_id)
    if program is None:
        return {}
    return program_view(program_id, run.mean(program_id),
                        {name: (p.instructions, p.demos) for name, p in program.named_predictors()})


def final_status(result: OptimizationResult) -> str:
    """The status line once a run ended: its verdict, or its final scores, and the calls."""
    spent = calls_text(result.lm_calls, result.max_lm_calls)
    if result.verdict is not None:
        return f"{'stopped' if result.partial else 'done'}: {result.verdict.message} ({spent})"
    if result.final_score is not None:
        return (f"done: baseline {result.baseline_score:.3f} -> final {result.final_score:.3f} "
                f"(program {result.final_program_id}, {spent})")
    if result.partial:
        return f"stopped ({result.stop_reason}, {spent}): best program so far returned"
    return f"done ({spent})"


def step_status(a: dict[str, Any]) -> str:
    """The status line after a step: where the run is, its best, and the calls spent."""
    best = (f"best on validation {a['val_best_score']:.3f}" if a.get("val_best_score")
            is not None else f"best so far {a['best_so_far_score']:.3f}")
    return (f"step {a['step'] + 1} of {a['max_steps']}: {best}, "
            f"{calls_text(a['lm_calls'], a.get('max_lm_calls'))}")


class LiveOptimizationChart(LiveView):
    """The notebook view of a running optimization `run`: shows the chart, feeds it from
    events."""

    EVENTS = ("optimization.candidate", "optimization.step")

    def __init__(self, run: OptimizationProgress):
        super().__init__(run)
        self.chart = OptimizationChart(status="starting")
        self._lock = threading.Lock()

    def _on(self, event: Event) -> None:
        if not self.mine(event):
            return
        a = event.attrs
        with self._lock:
            if event.name == "optimization.candidate":
                self.chart.points = [*self.chart.points, candidate_point(a["step"], a)]
            else:  # optimization.step
                with self.chart.hold_sync():
                    self.chart.best_line = [*self.chart.best_line,
                                            {"step": a["step"], "score": a["best_so_far_score"]}]
                    self.chart.baseline = a["baseline_mean"]
                    self.chart.best_program = best_program_view(self.run, a["best_so_far_id"])
                    self.chart.status = step_status(a)

    def _show(self) -> None:
        from IPython.display import display

        display(self.chart)  # type: ignore[no-untyped-call]

    def _close(self) -> None:
        result = self.run.result
        if result.verdict is not None or result.final_score is not None or result.partial:
            self.chart.status = final_status(result)
        if result.verdict is not None or result.final_score is not None:
            self.chart.best_program = best_program_view(self.run, result.final_program_id)
