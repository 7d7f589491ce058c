"""What a live view may read of the run it shows: declared here, so the lifecycle code that
keeps these objects up to date knows exactly what it must keep stable, and a view never
reaches into private state. Views only read: every member is a read-only property here."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from dspex_nb.evaluation.report import EvaluationReport, ExampleResult
    from dspex_nb.modules.module import Module
    from dspex_nb.optimize.result import OptimizationResult
    from dspex_nb.telemetry.spans import Span


class EvaluationProgress(Protocol):
    """An evaluation in progress (`evaluation.harness.EvaluationRun`)."""

    @property
    def program(self) -> str: ...
    @property
    def metrics(self) -> list[str]: ...
    @property
    def total(self) -> int: ...
    @property
    def results(self) -> Sequence[ExampleResult | None]: ...  # by index; None until done
    @property
    def span(self) -> Span | None: ...  # its events carry this span
    @property
    def done(self) -> int: ...
    @property
    def failures(self) -> int: ...
    @property
    def report(self) -> EvaluationReport | None: ...  # set when it ends


class OptimizationProgress(Protocol):
    """An optimization in progress (SIMBA's run)."""

    @property
    def span(self) -> Span | None: ...
    @property
    def result(self) -> OptimizationResult: ...  # filled in as steps finish
    @property
    def programs(self) -> Mapping[int, Module]: ...  # candidate programs by id

    def mean(self, program_id: int) -> float: ...  # a candidate's mean score so far


class BatchProgress(Protocol):
    """A batch in progress (`modules.batch.BatchRun`): counts, read a few times a second."""

    @property
    def module(self) -> str: ...
    @property
    def total(self) -> int: ...
    @property
    def concurrency(self) -> int: ...
    @property
    def span(self) -> Span | None: ...  # its events carry this span
    @property
    def done(self) -> int: ...
    @property
    def failures(self) -> int: ...
    @property
    def started(self) -> float: ...  # time.perf_counter() at the start
    @property
    def error_types(self) -> Mapping[str, int]: ...
    @property
    def finished(self) -> bool: ...
    @property
    def stop_reason(self) -> str | None: ...


class ExperimentProgress(Protocol):
    """An experiment in progress (`dx.Experiment`): its events carry its id."""

    @property
    def id(self) -> str: ...
    @property
    def record(self) -> Any: ...


if TYPE_CHECKING:  # mypy checks that the objects lifecycle code hands to views fulfil these
    from dspex_nb.evaluation.harness import EvaluationRun
    from dspex_nb.experiments.experiment import Experiment
    from dspex_nb.modules.batch import BatchRun
    from dspex_nb.optimize.simba import _Run

    _evaluation: type[EvaluationProgress] = EvaluationRun
    _optimization: type[OptimizationProgress] = _Run
    _experiment: type[ExperimentProgress] = Experiment
    _batch: type[BatchProgress] = BatchRun
