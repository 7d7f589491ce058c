"""Scientific evaluation: the harness, metrics, reports with intervals, paired comparison."""

from dspex_nb.evaluation import metrics
from dspex_nb.evaluation.comparison import Comparison, MetricDelta, compare
from dspex_nb.evaluation.harness import EvaluationRun, Harness, evaluate
from dspex_nb.evaluation.report import EvaluationReport, ExampleResult, MetricSummary

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
