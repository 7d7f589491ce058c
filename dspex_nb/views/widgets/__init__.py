"""Notebook widgets (anywidget). Each is a small class over a bundled ES module in static/."""

from dspex_nb.views.widgets.dashboard import Dashboard
from dspex_nb.views.widgets.eval_table import EvalTable, LiveEvalTable
from dspex_nb.views.widgets.experiment_view import ExperimentView
from dspex_nb.views.widgets.optimization_chart import LiveOptimizationChart, OptimizationChart
from dspex_nb.views.widgets.trace_view import TraceView

__all__ = ["Dashboard", "EvalTable", "ExperimentView", "LiveEvalTable", "LiveOptimizationChart",
           "OptimizationChart", "TraceView"]
