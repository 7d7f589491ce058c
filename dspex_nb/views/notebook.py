"""Rich display in notebooks: lower-layer result objects render as widgets without importing
them (a Trace knows nothing of TraceView; this registers how IPython should show it)."""

from __future__ import annotations

from typing import Any

from dspex_nb.data.dataset import Dataset
from dspex_nb.evaluation.report import EvaluationReport
from dspex_nb.experiments import Experiment, ExperimentComparison
from dspex_nb.optimize.result import OptimizationResult
from dspex_nb.telemetry import Trace
from dspex_nb.views import registry


def _trace_bundle(trace: Trace) -> Any:
    from dspex_nb.views.widgets.trace_view import TraceView

    return TraceView(trace)._repr_mimebundle_()


def _report_bundle(report: EvaluationReport) -> Any:
    from dspex_nb.views.widgets.eval_table import EvalTable

    return EvalTable.from_report(report)._repr_mimebundle_()


def _experiment_bundle(experiment: Experiment | ExperimentComparison) -> Any:
    from dspex_nb.views.widgets.experiment_view import ExperimentView

    return ExperimentView(experiment)._repr_mimebundle_()


def _optimization_bundle(result: OptimizationResult) -> Any:
    from dspex_nb.views.widgets.optimization_chart import OptimizationChart

    return OptimizationChart.from_result(result)._repr_mimebundle_()


def _live_eval_table(run: Any) -> Any:
    from dspex_nb.views.widgets.eval_table import LiveEvalTable

    return LiveEvalTable(run)


def _live_optimization_chart(run: Any) -> Any:
    from dspex_nb.views.widgets.optimization_chart import LiveOptimizationChart

    return LiveOptimizationChart(run)


def _live_experiment_headings(run: Any) -> Any:
    from dspex_nb.views.widgets.experiment_progress import LiveExperimentHeadings

    return LiveExperimentHeadings(run)


def _live_batch_view(run: Any) -> Any:
    from dspex_nb.views.widgets.batch_view import LiveBatchView

    return LiveBatchView(run)


def register(ipython: Any) -> None:
    """Teach IPython's display to show dspex_nb results as widgets, and long runs to show
    themselves live."""
    from dspex_nb.views import attempts_view, program_view
    from dspex_nb.views.dataset_view import display_dataset

    ipython.display_formatter.ipython_display_formatter.for_type(Dataset, display_dataset)
    attempts_view.register(ipython.display_formatter.formatters["text/html"])
    program_view.register(ipython.display_formatter.formatters["text/html"])
    formatter = ipython.display_formatter.mimebundle_formatter
    formatter.for_type(Trace, _trace_bundle)
    formatter.for_type(EvaluationReport, _report_bundle)
    formatter.for_type(OptimizationResult, _optimization_bundle)
    formatter.for_type(Experiment, _experiment_bundle)
    formatter.for_type(ExperimentComparison, _experiment_bundle)
    registry.register("evaluation", "widget", _live_eval_table)
    registry.register("optimization", "widget", _live_optimization_chart)
    registry.register("experiment", "widget", _live_experiment_headings)
    registry.register("batch", "widget", _live_batch_view)
    registry.set_notebook(True)
