"""Scientific evaluation: the harness, metrics, reports with intervals, paired comparison."""

from dspex_nb.evaluate import metrics
from dspex_nb.evaluate.compare import Comparison, MetricDelta, compare
from dspex_nb.evaluate.harness import EvaluationRun, Harness, evaluate
from dspex_nb.evaluate.report import EvaluationReport, ExampleResult, MetricSummary

__all__ = [
    "Comparison",
    "EvaluationReport",
    "EvaluationRun",
    "ExampleResult",
    "Harness",
    "MetricDelta",
    "MetricSummary",
    "compare",
    "evaluate",
    "metrics",
]
