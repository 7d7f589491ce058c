"""`Harness`: run a program over a devset, score it with metrics, concurrently, on the engine.

Results come back in devset order whatever order they finish in. A failing example (program,
LM after retries, or metric) is recorded with its exception text and `failure_score`; it never
ends the run. `max_errors` stops early only when asked. An interrupt or cancel returns the
finished examples as a partial report.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dspex_nb import _checks as checks
from dspex_nb import _engine, _pool
from dspex_nb.data.examples import to_examples
from dspex_nb.errors import ArgumentError, DataError
from dspex_nb.evaluation._trial import Metric, failed_result, named_metrics, run_trial
from dspex_nb.evaluation.metrics import unusable_golds
from dspex_nb.evaluation.report import EvaluationReport, ExampleResult, summarize
from dspex_nb.evaluation.stats import RESAMPLES
from dspex_nb.primitives import Example
from dspex_nb.telemetry.spans import Span, emit, span
from dspex_nb.views import registry as live_views


@dataclass
class EvaluationRun:
    """The state of a run in progress, for live views: results so far, by index.

    Attributes:
        program: the program's name; `metrics`: the metric names.
        total: examples in the run; `done` of them finished, `failures` of those failed.
        results: by example index, None until that example finishes.
        span: the run's evaluation span (live views follow its events).
        finished: True once the run ended; `report` is then its `EvaluationReport`.
    """

    program: str
    metrics: list[str]
    total: int
    results: list[ExampleResult | None]
    span: Span | None = None
    done: int = 0
    failures: int = 0
    finished: bool = False
    report: EvaluationReport | None = None


class Harness:
    """Evaluate programs: `Harness(metrics=[...]).run(program, devset)`.

    `threshold` (one number or per metric) decides pass/fail; `failure_score` is what a failed
    example scores; `display` is "auto" (a live table in a notebook, a bar in a terminal),
    "widget", "text" or "none" (True and False mean "auto" and "none", as in DSPy).
    Golds the built-in metrics read are checked before the first example: one that is missing,
    None or empty after normalization is a `DataError` naming the examples, or, with
    `bad_golds="record"`, a recorded failure of that example (the others run).

    Args:
        metrics: one metric, a list, or a dict by name; each `metric(example, prediction,
            trace=None)` returns a number or bool.
        concurrency: examples run at once (`num_threads` is DSPy's name for it).
        max_errors: stop after this many failed examples (None: never stop for errors).
        failure_score: the score a failed example gets.
        threshold: the score at or above which an example passes.
        display: "auto", "widget", "text" or "none".
        input_keys: the fields passed to the program, for examples without marked inputs.
        keep_traces: keep each example's span tree on its result.
        resamples: bootstrap resamples for the intervals.
        seed: of the bootstrap.
        bad_golds: "raise" or "record".
        num_threads: DSPy's name for `concurrency`.
        slots: an async context manager entered around each example, shared with other
            harnesses run at the same time (an `asyncio.Semaphore`, or an experiment's turns),
            so several programs are measured side by side in time. None: only `concurrency`.
    """

    def __init__(self, metrics: Metric | Sequence[Metric] | Mapping[str, Metric], *,
                 concurrency: int = 16, max_errors: int | None = None,
                 failure_score: float = 0.0, threshold: float | Mapping[str, float] = 1.0,
                 display: str | bool = "auto", input_keys: Sequence[str] | None = None,
                 keep_traces: bool = True, resamples: int = RESAMPLES, seed: int = 0,
                 bad_golds: str = "raise", num_threads: int | None = None,
                 slots: contextlib.AbstractAsyncContextManager[Any] | None = None):
        self.metrics = named_metrics(metrics)
        concurrency = checks.dspy_alias("num_threads", num_threads, "concurrency",
                                        concurrency, 16)
        self.concurrency = checks.whole_number("concurrency", concurrency)
        self.max_errors = checks.whole_number("max_errors", max_errors, optional=True)
        self.failure_score = checks.finite_number("failure_score", failure_score)
        self.resamples = checks.whole_number("resamples", resamples)
        self.bad_golds = checks.one_of("bad_golds", bad_golds, ("raise", "record"))
        self.seed = checks.whole_number("seed", seed, minimum=0)
        if slots is not None and not (hasattr(slots, "__aenter__")
                                      and hasattr(slots, "__aexit__")):
            raise ArgumentError(f"slots must be an async context manager (an asyncio.Semaphore, "
                                f"for one) or None, not {slots!r:.60}")
        self.slots = slots
        if isinstance(threshold, Mapping):
            unknown = sorted(set(threshold) - set(self.metrics))
            if unknown:
                raise ArgumentError(f"threshold names metrics this harness does not have: "
                                    f"{unknown} (it has {list(self.metrics)})")
            self.thresholds = {name: checks.finite_number(f"threshold[{name!r}]",
                                                          threshold.get(name, 1.0))
                               for name in self.metrics}
        else:
            self.thresholds = dict.fromkeys(self.metrics,
                                            checks.finite_number("threshold", threshold))
        self.display = live_views.check_display(display)
        self.input_keys = input_keys
        self.keep_traces = keep_traces
        self._stops: list[Callable[[str], None]] = []
        self._stops_lock = threading.Lock()

    # -- entry points ----------------------------------------------------------------------
    def run(self, program: Any, devset: Any) -> EvaluationReport:
        """Evaluate synchronously (works inside Jupyter's running loop). Ctrl-C / the
        notebook's interrupt returns the partial report."""
        return _engine.run_stoppable(self.arun(program, devset), self.stop, grace=60)

    async def arun(self, program: Any, devset: Any) -> EvaluationReport:
        checks.program("program", program)
        examples = to_examples(checks.collection("devset", devset), self.input_keys)
        if not examples:
            raise ArgumentError("devset is empty: there is nothing to evaluate")
        bad = unusable_golds(self.metrics.values(), examples)
        if bad and self.bad_golds == "raise":
            raise DataError(_describe_bad_golds(bad, len(examples)))
        name = type(program).__name__
        run = EvaluationRun(program=name, metrics=list(self.metrics), total=len(examples),
                            results=[None] * len(examples))
        started = time.time()
        clock = time.perf_counter()
        stopper = _pool.Stopper()
        with self._stops_lock:
            self._stops.append(stopper.request)
        try:
            with live_views.open_view("evaluation", run, self.display), \
                    span("evaluation", name, program=name, n=len(examples),
                         concurrency=self.concurrency, metrics=list(self.metrics)) as eval_span:
                run.span = eval_span
                await self._run_all(program, examples, run, stopper, bad)
                report = self._report(run, started, time.perf_counter() - clock,
                                      stopper.reason)
                if eval_span is not None:
                    eval_span.set(**{f"mean.{k}": m.mean for k, m in report.metrics.items()},
                                  done=report.n, failures=report.failures,
                                  partial=report.partial)
                run.report = report
                run.finished = True
            return report
        finally:
            with self._stops_lock:
                self._stops.remove(stopper.request)

    def stop(self, reason: str = "stopped") -> None:
        """Stop the runs of this harness in progress (from any thread): each returns the
        examples finished so far as a partial report."""
        with self._stops_lock:
            for request in list(self._stops):
                request(reason)

    # -- the work --------------------------------------------------------------------------
    async def _run_all(self, program: Any, examples: list[Example], run: EvaluationRun,
                       stopper: _pool.Stopper, bad_golds: Mapping[int, str]) -> None:
        async def one(i: int) -> None:
            if i in bad_golds:  # recorded, not run: its score would mean nothing
                result = failed_result(examples[i], i, self.metrics, self.failure_score,
                                       DataError(bad_golds[i]))
            else:
                async with self.slots or contextlib.nullcontext():
                    result = await run_trial(program, examples[i], i, self.metrics,
                                             failure_score=self.failure_score,
                                             keep_trace=self.keep_traces)
            run.results[i] = result
            run.done += 1
            run.failures += result.failed
            emit("evaluation.progress", index=i, done=run.done, total=run.total,
                 failures=run.failures, scores=result.scores, error=result.error_type)
            if self.max_errors is not None and run.failures >= self.max_errors:
                stopper.request(f"max_errors={self.max_errors} reached")

        await _pool.run_pool(len(examples), one, concurrency=self.concurrency,
                             stopper=stopper)

    def _report(self, run: EvaluationRun, started: float, wall: float,
                stop_reason: str | None) -> EvaluationReport:
        finished = [r for r in run.results if r is not None]
        metrics = {name: summarize(name, finished, self.thresholds[name],
                                   resamples=self.resamples, seed=self.seed)
                   for name in self.metrics}
        return EvaluationReport(
            program=run.program, metrics=metrics, results=finished, wall_time_s=wall,
            partial=len(finished) < run.total, stop_reason=stop_reason
            if len(finished) < run.total else None, planned=run.total, started_at=started,
            settings={"concurrency": self.concurrency, "max_errors": self.max_errors,
                      "failure_score": self.failure_score, "thresholds": self.thresholds,
                      "resamples": self.resamples, "seed": self.seed})


def evaluate(program: Any, devset: Any,
             metrics: Metric | Sequence[Metric] | Mapping[str, Metric], *,
             concurrency: int = 16, max_errors: int | None = None, failure_score: float = 0.0,
             threshold: float | Mapping[str, float] = 1.0, display: str | bool = "auto",
             input_keys: Sequence[str] | None = None, keep_traces: bool = True,
             resamples: int = RESAMPLES, seed: int = 0, bad_golds: str = "raise",
             num_threads: int | None = None) -> EvaluationReport:
    """One line: `dx.evaluate(program, devset, metric)` (one metric, a list, or a dict by
    name); the options are `Harness`'s (`num_threads` is DSPy's name for `concurrency`).

    Args:
        program: any module, or a callable taking the example's inputs as keywords.
        devset: examples (`dx.Example`, dicts, a `dx.Dataset`, a DataFrame).
        metrics: one metric, a list, or a dict by name.

    The other arguments are `Harness`'s, documented there: concurrency, max_errors,
    failure_score, threshold, display, input_keys, keep_traces, resamples, seed, bad_golds,
    num_threads.
    """
    return Harness(metrics, concurrency=concurrency, max_errors=max_errors,
                   failure_score=failure_score, threshold=threshold, display=display,
                   input_keys=input_keys, keep_traces=keep_traces, resamples=resamples,
                   seed=seed, bad_golds=bad_golds, num_threads=num_threads
                   ).run(program, devset)


def _describe_bad_golds(bad: Mapping[int, str], total: int) -> str:
    shown = "; ".join(f"example {i}: {why}" for i, why in list(bad.items())[:5])
    more = f"; and {len(bad) - 5} more" if len(bad) > 5 else ""
    return (f"{len(bad)} of {total} examples have golds that cannot be scored ({shown}{more}). "
            f"Fix the data, or pass bad_golds='record' to record them as failures and "
            f"evaluate the rest")

