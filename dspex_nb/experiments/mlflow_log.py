"""Mirror an experiment record to an MLflow tracking server, for teams that keep runs there.

One parent run per experiment (the hypothesis, verdict, paired deltas and the whole record
as an artifact) and one child run per arm (its variables, each dependent variable's mean and
interval, the optimizer's settings and best-so-far curve, its programs and evaluation report
as artifacts). Needs the `mlflow` extra (the mlflow-skinny client); the record carries no
secret, so neither does anything logged.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from dspex_nb.errors import ConfigurationError

if TYPE_CHECKING:
    from dspex_nb.experiments.experiment import Experiment

_STATUS = {"finished": "FINISHED", "failed": "FAILED", "interrupted": "KILLED"}
_MAX_PARAM = 6000  # MLflow's limit on a parameter value


def _key(text: str) -> str:
    """An MLflow key: letters, digits, and _ - . / and space only."""
    return re.sub(r"[^A-Za-z0-9_\-./ ]", "_", text)


def _param(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str, sort_keys=True)
    return text if len(text) <= _MAX_PARAM else text[: _MAX_PARAM - 3] + "..."


def _client(tracking_uri: str | None) -> Any:
    try:
        from mlflow import MlflowClient
    except ImportError:
        raise ConfigurationError("logging to MLflow needs its client: "
                                 "pip install 'dspex_nb[mlflow]'") from None
    return MlflowClient(tracking_uri=tracking_uri)


def _log(client: Any, run_id: str, *, params: dict[str, Any], metrics: dict[str, float],
         tags: dict[str, str], steps: Sequence[tuple[str, int, float]] = ()) -> None:
    from mlflow.entities import Metric, Param, RunTag

    now = int(time.time() * 1000)
    metric_list = [Metric(_key(k), float(v), now, 0) for k, v in metrics.items()
                   if isinstance(v, int | float) and math.isfinite(v)]
    metric_list += [Metric(_key(k), float(v), now, step) for k, step, v in steps
                    if math.isfinite(v)]
    client.log_batch(run_id, metrics=metric_list,
                     params=[Param(_key(k), _param(v)) for k, v in params.items()],
                     tags=[RunTag(k, _param(v)) for k, v in tags.items()])


def log_to_mlflow(experiment: Experiment, *, tracking_uri: str | None = None,
                  experiment_name: str | None = None) -> str:
    """Log the experiment; returns the parent run's id. `tracking_uri` defaults to MLflow's own
    (the MLFLOW_TRACKING_URI environment variable); the MLflow experiment is `experiment_name`,
    else "dspex_nb/<name>"."""
    if experiment.record is None:
        raise ConfigurationError("this experiment has not run: nothing to log")
    record = experiment.record.to_dict()  # MLflow gets the stored document, as JSON
    client = _client(tracking_uri)
    name = experiment_name or f"dspex_nb/{record['name']}"
    found = client.get_experiment_by_name(name)
    mlflow_experiment = found.experiment_id if found else client.create_experiment(name)
    status = _STATUS.get(str(record.get("status")), "FINISHED")
    dataset = record.get("dataset") or {}
    parent = client.create_run(mlflow_experiment, run_name=record["name"], tags={
        "dspex.experiment_id": record["id"], "dspex.kind": "experiment"}).info.run_id
    metrics: dict[str, float] = {}
    for c in record.get("comparisons", []):
        for var, d in c["deltas"].items():
            prefix = f"{c['arm']}_vs_{c['control']}.{var}"
            metrics.update({f"{prefix}.delta": d["delta"], f"{prefix}.ci_low": d["ci_low"],
                            f"{prefix}.ci_high": d["ci_high"], f"{prefix}.p_value": d["p_value"]})
    metrics.update({"tokens": record.get("tokens", 0), "cost_usd": record.get("cost_usd", 0.0),
                    "wall_time_s": (record.get("timings") or {}).get("total_s", math.nan)})
    _log(client, parent, metrics=metrics, params={
        "hypothesis": record.get("hypothesis", ""), "control": record.get("control"),
        "dependent_variables": record.get("dependent_variables"),
        "dataset": dataset.get("name"), "dev_n": dataset.get("dev_n"),
        "train_n": dataset.get("train_n"), "dev_fingerprint": dataset.get("dev_fingerprint"),
        "seed": record.get("seed"), "dspex_nb": (record.get("environment") or {}).get("dspex_nb"),
        **{f"iv.{k}": v for k, v in (record.get("independent_variables") or {}).items()},
    }, tags={"dspex.verdict": str(record.get("verdict")), "dspex.status": str(record["status"]),
             "mlflow.note.content": f"{record.get('hypothesis', '')}\n\n"
                                    f"{record.get('verdict_text', '')}"})
    client.log_text(parent, json.dumps(record, default=str, indent=2), "experiment.json")
    for arm_name, arm in (record.get("arms") or {}).items():
        _log_arm(client, mlflow_experiment, parent, record, arm_name, arm)
    client.set_terminated(parent, status=status)
    return str(parent)


def _log_arm(client: Any, mlflow_experiment: str, parent: str, record: dict[str, Any],
             name: str, arm: dict[str, Any]) -> None:
    run = client.create_run(mlflow_experiment, run_name=f"{record['name']} / {name}", tags={
        "mlflow.parentRunId": parent, "dspex.experiment_id": record["id"], "dspex.arm": name,
        "dspex.kind": "arm"}).info.run_id
    metrics: dict[str, float] = {}
    for var, s in (arm.get("summary") or {}).items():
        metrics.update({var: s["mean"], f"{var}.ci_low": s["ci_low"],
                        f"{var}.ci_high": s["ci_high"]})
    metrics.update({f"tokens.{k}": v for k, v in (arm.get("tokens") or {}).items()})
    metrics.update({f"cost_usd.{k}": v for k, v in (arm.get("cost_usd") or {}).items()})
    metrics.update({f"seconds.{k}": v for k, v in (arm.get("timings") or {}).items()})
    optimizer = arm.get("optimizer") or {}
    optimization = arm.get("optimization") or {}
    steps = [("optimizer.best_so_far", s["step"], s["best_so_far_score"])
             for s in optimization.get("steps", [])]
    _log(client, run, metrics=metrics, steps=steps, params={
        "arm": name, "models": arm.get("models"), "optimizer": optimizer.get("name", "none"),
        **{f"var.{k}": v for k, v in (arm.get("variables") or {}).items()},
        **{f"optimizer.{k}": v for k, v in (optimizer.get("settings") or {}).items()},
    }, tags={"dspex.status": str(arm.get("status"))})
    for part in ("program_before", "program_after", "report", "optimization"):
        if arm.get(part) is not None:
            client.log_text(run, json.dumps(arm[part], default=str, indent=2), f"{part}.json")
    client.set_terminated(run, status=_STATUS.get(str(arm.get("status")), "KILLED"))
