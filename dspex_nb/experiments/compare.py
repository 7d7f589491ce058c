"""`dx.compare_experiments([...])`: several experiments side by side, arm by arm."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dspex_nb.errors import ArgumentError
from dspex_nb.experiments.experiment import Experiment
from dspex_nb.experiments.store import ExperimentStore

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class ExperimentComparison:
    """Experiments side by side (`experiments`, in the order given): `to_pandas()` has one
    row per (experiment, arm); in a notebook it shows as the experiment view with every arm of
    every experiment."""

    experiments: list[Experiment]

    def to_pandas(self) -> pd.DataFrame:
        import pandas as pd

        rows = []
        for exp in self.experiments:
            record = exp.record
            if record is None:
                continue
            deltas = {c.arm: c for c in record.comparisons}
            dataset = record.dataset
            for arm, data in record.arms.items():
                row: dict[str, Any] = {
                    "experiment": record.id, "name": record.name, "arm": arm,
                    "status": data.status, "verdict": record.verdict,
                    "dataset": dataset.name if dataset else None,
                    "dev_fingerprint": dataset.dev_fingerprint if dataset else None,
                    **{f"var.{k}": v for k, v in data.variables.items()},
                }
                for var, s in data.summary.items():
                    row.update({var: s.mean, f"{var}_low": s.ci_low, f"{var}_high": s.ci_high})
                comparison = deltas.get(arm)
                if comparison is not None:
                    d = comparison.deltas[comparison.primary]
                    row.update({"delta_of": comparison.primary, "delta": d.delta,
                                "delta_low": d.ci_low, "delta_high": d.ci_high,
                                "p_value": d.p_value, "arm_verdict": comparison.verdict})
                rows.append(row)
        return pd.DataFrame(rows)

    def __str__(self) -> str:
        return self.to_pandas().to_string()

    def _repr_html_(self) -> str:
        return self.to_pandas().to_html(float_format=lambda v: f"{v:.4g}")


def compare_experiments(experiments: Sequence[Experiment | str], *,
                        store: ExperimentStore | str | Path | None = None
                        ) -> ExperimentComparison:
    """Experiments (objects, or ids read from `store`, default ".dspex/experiments")."""
    if isinstance(experiments, str | Experiment) or not isinstance(experiments, Sequence):
        raise ArgumentError(f"compare_experiments takes a list of experiments (or their ids), "
                            f"not {type(experiments).__name__} {experiments!r:.60}")
    loaded: list[Experiment] = []
    for item in experiments:
        if not isinstance(item, Experiment | str):
            raise ArgumentError(f"compare_experiments takes Experiments or their ids, not "
                                f"{type(item).__name__} {item!r:.60}")
        if isinstance(item, Experiment):
            loaded.append(item)
            continue
        if not isinstance(store, ExperimentStore):
            store = ExperimentStore(store) if store is not None else ExperimentStore()
        loaded.append(Experiment.load(item, store=store))
    if not loaded:
        raise ArgumentError("compare_experiments needs at least one experiment")
    return ExperimentComparison(loaded)
