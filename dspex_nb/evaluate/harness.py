"""`Harness`: run a program over a devset, score it with metrics, concurrently, on the engine.

Results come back in devset order whatever order they finish in. A failing example (program,
LM after retries, or metric) is recorded with its exception text and `failure_score`; it never
ends the run. `max_errors` stops early only when asked. An interrupt or cancel returns the
finished examples as a partial report.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dspex_nb import _engine, _live
from dspex_nb.errors import InputError
from dspex_nb.evaluate.report import (
    EvaluationReport,
    ExampleResult,
    LMCallRecord,
    PredictorCall,
    summarize,
)
from dspex_nb.evaluate.stats import RESAMPLES
from dspex_nb.primitives import Example, Record
from dspex_nb.telemetry.spans import Span, emit, span

Metric = Callable[..., Any]
PREVIEW = 160  # characters of each field shown in a table row


def _metric_name(metric: Metric) -> str:
    name = getattr(metric, "__name__", None) or getattr(getattr(metric, "func", None),
                                                         "__name__", None)
    return str(name or type(metric).__name__)


def _preview(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= PREVIEW else text[: PREVIEW - 1] + "…"


def to_examples(devset: Any, input_keys: Sequence[str] | None) -> list[Example]:
    """A list of Examples from Examples, dicts, a DataFrame, or any iterable of them."""
    try:
        import pandas as pd

        if isinstance(devset, pd.DataFrame):
            devset = devset.to_dict("records")
    except ImportError:  # pragma: no cover - pandas is a dependency
        pass
    examples: list[Example] = []
    for i, item in enumerate(devset):
        if isinstance(item, Example):
            ex = item
        elif isinstance(item, Mapping):
            ex = Example(dict(item))
        else:
            raise InputError(f"devset item {i} is a {type(item).__name__}, not an Example or dict")
        if input_keys is not None:
            ex = ex.with_inputs(*input_keys)
        elif ex._input_keys is None:
            raise InputError(f"devset item {i} does not say which fields are inputs: call "
                             f".with_inputs(...) on the examples or pass input_keys=[...]")
        examples.append(ex)
    return examples


@dataclass
class EvaluationRun:
    """The state of a run in progress, for live views: results so far, by index."""

    program: str
    metrics: list[str]
    total: int
    results: list[ExampleResult | None]
    span: Span | None = None
    done: int = 0
    failures: int = 0
    finished: bool = False
    report: EvaluationReport | None = None

    def row(self, result: ExampleResult) -> dict[str, Any]:
        """A table row: short previews of inputs, outputs and gold, scores, error."""
        gold = {k: v for k, v in result.example.items() if k not in result.input_keys}
        return {
            "index": result.index,
            "inputs": {k: _preview(result.example.get(k)) for k in result.input_keys},
            "outputs": {k: _preview(v) for k, v in (result.prediction or {}).items()},
            "gold": {k: _preview(v) for k, v in gold.items()},
            "scores": result.scores,
            "error": result.error_type,
            "latency_ms": result.latency_s * 1000,
            "tokens": result.prompt_tokens + result.completion_tokens,
        }


class Harness:
    """Evaluate programs: `Harness(metrics=[...]).run(program, devset)`.

    `threshold` (one number or per metric) decides pass/fail; `failure_score` is what a failed
    example scores; `display` is "auto" (a live table in a notebook, a bar in a terminal),
    "widget", "text" or "none".
    """

    def __init__(self, metrics: Sequence[Metric] | Mapping[str, Metric], *, concurrency: int = 16,
                 max_errors: int | None = None, failure_score: float = 0.0,
                 threshold: float | Mapping[str, float] = 1.0, display: str = "auto",
                 input_keys: Sequence[str] | None = None, keep_traces: bool = True,
                 resamples: int = RESAMPLES, seed: int = 0):
        if isinstance(metrics, Mapping):
            self.metrics = dict(metrics)
        else:
            self.metrics = {_metric_name(m): m for m in metrics}
        if not self.metrics:
            raise ValueError("a Harness needs at least one metric")
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.concurrency = concurrency
        self.max_errors = max_errors
        self.failure_score = failure_score
        self.thresholds = {name: float(threshold[name]) if isinstance(threshold, Mapping)
                           else float(threshold) for name in self.metrics}
        self.display = display
        self.input_keys = input_keys
        self.keep_traces = keep_traces
        self.resamples = resamples
        self.seed = seed
        self._stops: list[Callable[[str], None]] = []
        self._stops_lock = threading.Lock()

    # -- entry points ----------------------------------------------------------------------
    def run(self, program: Any, devset: Any) -> EvaluationReport:
        """Evaluate synchronously (works inside Jupyter's running loop). Ctrl-C / the
        notebook's interrupt returns the partial report."""
        return _engine.run_stoppable(self.arun(program, devset), self.stop, grace=60)

    async def arun(self, program: Any, devset: Any) -> EvaluationReport:
        examples = to_examples(devset, self.input_keys)
        name = type(program).__name__
        run = EvaluationRun(program=name, metrics=list(self.metrics), total=len(examples),
                            results=[None] * len(examples))
        started = time.time()
        clock = time.perf_counter()
        stop_reason: list[str] = []
        loop = asyncio.get_running_loop()
        stop_event = asyncio.Event()

        def request_stop(reason: str) -> None:
            if not stop_reason:
                stop_reason.append(reason)
            loop.call_soon_threadsafe(stop_event.set)

        with self._stops_lock:
            self._stops.append(request_stop)
        try:
            with _live.open_view("evaluation", run, self.display), \
                    span("evaluation", name, program=name, n=len(examples),
                         concurrency=self.concurrency, metrics=list(self.metrics)) as eval_span:
                run.span = eval_span
                await self._run_all(program, examples, run, stop_event, request_stop)
                report = self._report(run, started, time.perf_counter() - clock, stop_reason)
                if eval_span is not None:
                    eval_span.set(**{f"mean.{k}": m.mean for k, m in report.metrics.items()},
                                  done=report.n, failures=report.failures,
                                  partial=report.partial)
                run.report = report
                run.finished = True
            return report
        finally:
            with self._stops_lock:
                self._stops.remove(request_stop)

    def stop(self, reason: str = "stopped") -> None:
        """Stop the runs of this harness in progress (from any thread): each returns the
        examples finished so far as a partial report."""
        with self._stops_lock:
            for request in list(self._stops):
                request(reason)

    # -- the work --------------------------------------------------------------------------
    async def _run_all(self, program: Any, examples: list[Example], run: EvaluationRun,
                       stop_event: asyncio.Event, request_stop: Callable[[str], None]) -> None:
        queue = iter(range(len(examples)))

        async def worker() -> None:
            for i in queue:
                result = await self._one(program, i, examples[i])
                run.results[i] = result
                run.done += 1
                run.failures += result.failed
                emit("evaluation.progress", index=i, done=run.done, total=run.total,
                     failures=run.failures, scores=result.scores, error=result.error_type)
                if self.max_errors is not None and run.failures >= self.max_errors:
                    request_stop(f"max_errors={self.max_errors} reached")

        workers = [asyncio.ensure_future(worker())
                   for _ in range(min(self.concurrency, len(examples)))]
        stopper: asyncio.Future[Any] = asyncio.ensure_future(stop_event.wait())
        try:
            pending: set[asyncio.Future[Any]] = set(workers)
            while pending:
                done, pending = await asyncio.wait(pending | {stopper},
                                                   return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    if task is not stopper and task.exception() is not None:
                        raise task.exception()  # type: ignore[misc]  # a bug of ours, not an example
                pending.discard(stopper)
                if stopper in done:
                    break
        except asyncio.CancelledError:
            request_stop("cancelled")
        finally:
            stopper.cancel()
            for task in workers:
                task.cancel()
            await asyncio.gather(*workers, stopper, return_exceptions=True)

    async def _one(self, program: Any, index: int, example: Example) -> ExampleResult:
        start = time.perf_counter()
        prediction: Any = None
        error: BaseException | None = None
        with span("example", f"#{index}", index=index) as ex_span:
            try:
                prediction = await program.acall(**example.inputs())
            except Exception as exc:  # recorded, never the end of the run
                error = exc
        latency = time.perf_counter() - start
        scores: dict[str, float] = {}
        feedback: dict[str, str] = {}
        if error is None:
            for name, metric in self.metrics.items():
                try:
                    value = metric(example, prediction, None)
                    if inspect.isawaitable(value):
                        value = await value
                    scores[name] = float(value)
                    if getattr(value, "feedback", ""):
                        feedback[name] = value.feedback
                except Exception as exc:
                    error = RuntimeError(f"metric {name} raised {type(exc).__name__}: {exc}")
                    break
        if error is not None:
            scores = dict.fromkeys(self.metrics, self.failure_score)
        calls, tokens, cost = trace_of(ex_span) if ex_span is not None else ([], (0, 0), 0.0)
        return ExampleResult(
            index=index,
            example=example.to_dict(),
            input_keys=list(example.input_keys),
            prediction=_as_dict(prediction),
            scores=scores,
            feedback=feedback,
            error=None if error is None else f"{type(error).__name__}: {error}",
            error_type=None if error is None else type(error).__name__,
            latency_s=latency,
            prompt_tokens=tokens[0],
            completion_tokens=tokens[1],
            cost_usd=cost,
            trace=calls if self.keep_traces else [],
        )

    def _report(self, run: EvaluationRun, started: float, wall: float,
                stop_reason: list[str]) -> EvaluationReport:
        finished = [r for r in run.results if r is not None]
        metrics = {name: summarize(name, finished, self.thresholds[name],
                                   resamples=self.resamples, seed=self.seed)
                   for name in self.metrics}
        return EvaluationReport(
            program=run.program, metrics=metrics, results=finished, wall_time_s=wall,
            partial=len(finished) < run.total, stop_reason=stop_reason[0] if stop_reason
            and len(finished) < run.total else None, planned=run.total, started_at=started,
            settings={"concurrency": self.concurrency, "max_errors": self.max_errors,
                      "failure_score": self.failure_score, "thresholds": self.thresholds,
                      "resamples": self.resamples, "seed": self.seed})


def _as_dict(prediction: Any) -> dict[str, Any] | None:
    if prediction is None:
        return None
    if isinstance(prediction, Record):
        return prediction.to_dict()
    if isinstance(prediction, Mapping):
        return dict(prediction)
    return {"output": prediction}


def trace_of(root: Span) -> tuple[list[PredictorCall], tuple[int, int], float]:
    """The predictor calls (with their LM calls) under one example's span, and its totals."""
    calls: list[PredictorCall] = []
    prompt = completion = 0
    cost = 0.0
    for s in root.walk():
        if s.kind == "predict":
            lm_calls = [
                LMCallRecord(
                    model=str(c.attrs.get("model", "")), messages=c.attrs.get("messages", []),
                    response=str(c.attrs.get("response", "")),
                    prompt_tokens=int(c.attrs.get("prompt_tokens", 0)),
                    completion_tokens=int(c.attrs.get("completion_tokens", 0)),
                    cost_usd=float(c.attrs.get("cost_usd", 0.0)),
                    cached=bool(c.attrs.get("cached", False)), latency_s=c.duration or 0.0)
                for c in s.walk() if c.kind == "lm"
            ]
            calls.append(PredictorCall(signature=str(s.attrs.get("signature", s.name)),
                                       inputs=dict(s.attrs.get("inputs", {})),
                                       outputs=s.attrs.get("outputs"), lm_calls=lm_calls,
                                       error=s.error, predictor_id=s.attrs.get("predictor_id")))
        elif s.kind == "lm":
            prompt += int(s.attrs.get("prompt_tokens", 0))
            completion += int(s.attrs.get("completion_tokens", 0))
            cost += float(s.attrs.get("cost_usd", 0.0))
    return calls, (prompt, completion), cost


def evaluate(program: Any, devset: Any, metrics: Sequence[Metric] | Mapping[str, Metric],
             **options: Any) -> EvaluationReport:
    """One line: `dx.evaluate(program, devset, [metric])`; options as for `Harness`."""
    return Harness(metrics, **options).run(program, devset)

