"""One way to run an example: call the program, score it, and keep what it cost.

The harness, SIMBA (and so experiments) all run examples through `run_trial`, so a result
means the same everywhere: the prediction or the error, every metric's score (sync or async
metrics alike), the LM calls each predictor made, tokens, cost and latency. Usage comes from
an accounting ledger (`dspex_nb.accounting`), so it is right with telemetry off too.
"""

from __future__ import annotations

import contextlib
import inspect
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from dspex_nb._checks import callable_name, finite_score, metric_takes_trace
from dspex_nb.accounting import recording
from dspex_nb.errors import ArgumentError, DataError, MetricError
from dspex_nb.evaluation.report import ExampleResult
from dspex_nb.primitives import Example, Record
from dspex_nb.telemetry.spans import span

Metric = Callable[..., Any]


def metric_name(metric: Metric) -> str:
    return callable_name(metric)


def named_metrics(metrics: Metric | Sequence[Metric] | Mapping[str, Metric]
                  ) -> dict[str, Metric]:
    """Metrics by name, each checked callable as (example, prediction[, trace]): a mapping as
    given, a list named after each function, one function (DSPy's `metric=`) alone."""
    if isinstance(metrics, Mapping):
        named = dict(metrics)
    elif callable(metrics):
        named = {metric_name(metrics): metrics}
    elif isinstance(metrics, list | tuple):
        named = {metric_name(m): m for m in metrics}
    else:
        raise ArgumentError(f"metrics must be a metric function, a list of them or a dict "
                            f"of them by name, not {type(metrics).__name__} {metrics!r:.60}")
    if not named:
        raise ArgumentError("at least one metric is needed")
    for name, metric in named.items():
        metric_takes_trace(name, metric)  # refuses what cannot be called as a metric
    return named


_takes_trace: weakref.WeakKeyDictionary[Any, bool] = weakref.WeakKeyDictionary()


def call_metric(name: str, metric: Metric, example: Example, prediction: Any) -> Any:
    """Call a metric as it is written: with `trace=None` when it takes a third argument,
    without it for DSPy's two-argument form (remembered per metric: this is the hot path)."""
    try:
        takes = _takes_trace.get(metric)
    except TypeError:  # unhashable or not weak-referenceable: look each time
        takes = None
    if takes is None:
        takes = metric_takes_trace(name, metric)
        with contextlib.suppress(TypeError):
            _takes_trace[metric] = takes
    return metric(example, prediction, None) if takes else metric(example, prediction)


async def run_trial(program: Any, example: Example, index: int, metrics: Mapping[str, Metric],
                    *, failure_score: float = 0.0, keep_trace: bool = True,
                    span_kind: str = "example", **span_attrs: Any) -> ExampleResult:
    """Run `program` on one example and score it; a failure (program, LM or metric) is
    recorded in the result with its exception text and `failure_score`, never raised."""
    start = time.perf_counter()
    prediction: Any = None
    error: BaseException | None = None
    with recording() as ledger, span(span_kind, f"#{index}", index=index, **span_attrs):
        try:
            prediction = await program.acall(**example.inputs())
        except Exception as exc:  # recorded, never the end of the run
            error = exc
    latency = time.perf_counter() - start
    scores: dict[str, float] = {}
    feedback: dict[str, str] = {}
    if error is None:
        for name, metric in metrics.items():
            try:
                value = call_metric(name, metric, example, prediction)
                if inspect.isawaitable(value):
                    value = await value
                scores[name] = finite_score(f"metric {name}", value)
                if getattr(value, "feedback", ""):
                    feedback[name] = value.feedback
            except (MetricError, DataError) as exc:  # a bad score, or a gold it cannot use
                error = exc
                break
            except Exception as exc:
                error = MetricError(f"metric {name} raised {type(exc).__name__}: {exc}")
                break
    totals = ledger.totals
    measured: dict[str, Any] = {"prediction": _as_dict(prediction), "latency_s": latency,
                "prompt_tokens": totals.prompt_tokens,
                "completion_tokens": totals.completion_tokens, "cost_usd": totals.cost_usd,
                "lm_calls": totals.calls, "cached_calls": totals.cached,
                "trace": ledger.predictor_calls if keep_trace else []}
    if error is not None:
        return failed_result(example, index, metrics, failure_score, error, **measured)
    return ExampleResult(index=index, example=example.to_dict(),
                         input_keys=list(example.input_keys), scores=scores, feedback=feedback,
                         **measured)


def failed_result(example: Example, index: int, metrics: Mapping[str, Metric],
                  failure_score: float, error: BaseException, **measured: Any) -> ExampleResult:
    """An example recorded as failed: every metric at `failure_score`, the error's text, and
    whatever was measured before it failed."""
    measured.setdefault("prediction", None)
    return ExampleResult(index=index, example=example.to_dict(),
                         input_keys=list(example.input_keys),
                         scores=dict.fromkeys(metrics, failure_score),
                         error=f"{type(error).__name__}: {error}",
                         error_type=type(error).__name__, **measured)


def _as_dict(prediction: Any) -> dict[str, Any] | None:
    if prediction is None:
        return None
    if isinstance(prediction, Record):
        return prediction.to_dict()
    if isinstance(prediction, Mapping):
        return dict(prediction)
    return {"output": prediction}
