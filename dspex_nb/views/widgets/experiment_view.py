"""`ExperimentView`: one or more experiments — hypothesis and verdict, each dependent variable
per arm with its interval (Vega-Lite), the delta table, the examples that flipped between arms,
and each arm's instructions and demos beside the control's."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import anywidget
import traitlets

from dspex_nb._json import to_jsonable
from dspex_nb.experiments import Experiment, ExperimentComparison
from dspex_nb.modules.module import predictor_states
from dspex_nb.views.widgets._static import bundle

MAX_FLIPPED = 500  # per comparison: the widget lists at most this many examples


class ExperimentView(anywidget.AnyWidget):
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


def _programs(arm: dict[str, Any]) -> dict[str, Any]:
    doc = arm.get("program_after") or arm.get("program_before") or {}
    return {name: {"instructions": (s.get("signature") or {}).get("instructions", ""),
                   "demos": s.get("demos", [])}
            for name, s in predictor_states(doc.get("state") or {}).items()}


def experiment_view(exp: Experiment) -> dict[str, Any]:
    """The widget's data for one experiment: plain JSON, read from its record."""
    record = exp.record
    arms = record.get("arms") or {}
    points = [{"experiment": record.get("name"), "arm": name, "variable": var,
               "label": name, **summary}
              for name, arm in arms.items() for var, summary in arm.get("summary", {}).items()]
    comparisons = [{
        "arm": c["arm"], "control": c["control"], "verdict": c["verdict"],
        "statement": c["statement"], "primary": c["primary"],
        "deltas": [{"variable": var, **{k: v for k, v in d.items() if k != "metric"}}
                   for var, d in c["deltas"].items()],
        "flipped": c.get("flipped", [])[:MAX_FLIPPED], "flipped_total": len(c.get("flipped", [])),
    } for c in record.get("comparisons", [])]
    view: dict[str, Any] = to_jsonable({
        "id": record.get("id"), "name": record.get("name"),
        "hypothesis": record.get("hypothesis"), "status": record.get("status"),
        "verdict": record.get("verdict"), "verdict_text": record.get("verdict_text"),
        "control": record.get("control"),
        "dependent_variables": record.get("dependent_variables", []),
        "expect": record.get("expect", {}),
        "dataset": record.get("dataset", {}),
        "arms": [{"name": name, "status": a.get("status"), "variables": a.get("variables", {}),
                  "models": a.get("models", [])} for name, a in arms.items()],
        "points": points, "comparisons": comparisons,
        "programs": {name: _programs(a) for name, a in arms.items()},
    })
    return view
