"""`ExperimentView`: one or more experiments — hypothesis and verdict, each dependent variable
per arm with its interval (Vega-Lite), the delta table, the examples that flipped between arms,
and each arm's instructions and demos beside the control's."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

import anywidget
import traitlets

from dspex_nb._json import to_jsonable
from dspex_nb.experiments import Experiment, ExperimentComparison
from dspex_nb.experiments.record import ArmRecord
from dspex_nb.modules.module import predictor_states
from dspex_nb.views.widgets._static import bundle

MAX_FLIPPED = 500  # per comparison: the widget lists at most this many examples


class ExperimentView(anywidget.AnyWidget):
    """One or more experiments side by side: arms, paired deltas with intervals, the verdict."""

    _esm = bundle("charts")  # one bundle for the Vega widgets: Vega ships once
    _widget = traitlets.Unicode("experiment_view").tag(sync=True)
    experiments: traitlets.List[dict[str, Any]] = traitlets.List().tag(sync=True)
    selected = traitlets.Int(0).tag(sync=True)

    def __init__(self, experiments: Experiment | ExperimentComparison | Sequence[Experiment],
                 **kwargs: Any):
        if isinstance(experiments, Experiment):
            items: list[Experiment] = [experiments]
        elif isinstance(experiments, ExperimentComparison):
            items = experiments.experiments
        else:
            items = list(experiments)
        super().__init__(experiments=[experiment_view(e) for e in items], **kwargs)


def _programs(arm: ArmRecord) -> dict[str, Any]:
    doc = arm.program_after or arm.program_before or {}
    return {name: {"instructions": (s.get("signature") or {}).get("instructions", ""),
                   "demos": s.get("demos", [])}
            for name, s in predictor_states(doc.get("state") or {}).items()
            if "signature" in s}  # predictors only: a Retrieve part has no prompt


def experiment_view(exp: Experiment) -> dict[str, Any]:
    """The widget's data for one experiment: plain JSON, read from its record."""
    record = exp.record
    if record is None:
        return {"id": exp.id, "name": exp.name, "hypothesis": exp.hypothesis,
                "status": "not run", "arms": [], "points": [], "comparisons": [],
                "programs": {}}
    arms = record.arms
    points = [{"experiment": record.name, "arm": name, "variable": var, "label": name,
               **asdict(summary)}
              for name, arm in arms.items() for var, summary in arm.summary.items()]
    comparisons = [{
        "arm": c.arm, "control": c.control, "verdict": c.verdict,
        "statement": c.statement, "primary": c.primary,
        "deltas": [{"variable": var, "p_text": d.p_text,
                    **{k: v for k, v in asdict(d).items() if k != "metric"}}
                   for var, d in c.deltas.items()],
        "flipped": [asdict(f) for f in c.flipped[:MAX_FLIPPED]],
        "flipped_total": len(c.flipped),
    } for c in record.comparisons]
    view: dict[str, Any] = to_jsonable({
        "id": record.id, "name": record.name,
        "hypothesis": record.hypothesis, "status": record.status,
        "verdict": record.verdict, "verdict_text": record.verdict_text,
        "control": record.control,
        "dependent_variables": record.dependent_variables,
        "expect": record.expect,
        "dataset": asdict(record.dataset) if record.dataset else {},
        "arms": [{"name": name, "status": a.status, "variables": a.variables,
                  "models": a.models} for name, a in arms.items()],
        "points": points, "comparisons": comparisons,
        "programs": {name: _programs(a) for name, a in arms.items()},
    })
    return view
