"""Run one module over many inputs concurrently: `dx.Parallel(module)(inputs)` and
`module.batch(inputs)`.

Results come back in input order, one `Outcome` each (the value, or the error, and the
latency). A failing input is recorded and the batch goes on; `max_errors` stops it, raising
`MaxErrorsReached` with the partial result; Ctrl-C (the notebook's interrupt) returns the
partial result. Every count is per call: nothing accumulates on the module. Long batches show
themselves: a bar in a terminal, a live view in a notebook.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, overload

from dspex_nb import _checks, _engine, _pool
from dspex_nb.errors import ArgumentError, MaxErrorsReached
from dspex_nb.modules.attempts import error_text
from dspex_nb.primitives import Example, Record
from dspex_nb.telemetry.spans import Span, emit, span
from dspex_nb.views import registry as live_views

if TYPE_CHECKING:
    import pandas as pd

SHOW_AFTER = 1.0  # seconds: a batch shows a live view once it has run this long


@dataclass
class Outcome:
    """One input's result: `value` when `ok`, else `error` (or "not run" after a stop).

    `index` is the input's position and `inputs` its keywords; `status` is "ok", "failed"
    or "not run"; `error_type` names the exception's class; `latency_s` is the run's time."""

    index: int
    inputs: dict[str, Any]
    value: Any = None
    error: str | None = None
    error_type: str | None = None
    latency_s: float = 0.0
    status: str = "not run"  # "ok", "failed" or "not run"

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass
class BatchResult(Sequence[Outcome]):
    """The outcomes of a batch, in input order (one per input, run or not): the `module` run
    (its name), the `wall_time_s` of the whole batch, and the `stop_reason` when it stopped
    early (Ctrl-C, `max_errors`, `.stop()`)."""

    outcomes: list[Outcome]
    module: str = ""
    wall_time_s: float = 0.0
    stop_reason: str | None = None

    @overload
    def __getitem__(self, index: int) -> Outcome: ...
    @overload
    def __getitem__(self, index: slice) -> list[Outcome]: ...
    def __getitem__(self, index: int | slice) -> Outcome | list[Outcome]:
        return self.outcomes[index]

    def __len__(self) -> int:
        return len(self.outcomes)

    def __iter__(self) -> Iterator[Outcome]:
        return iter(self.outcomes)

    @property
    def values(self) -> list[Any]:
        """Each input's value, None where it failed or did not run (see `errors`)."""
        return [o.value if o.ok else None for o in self.outcomes]

    @property
    def errors(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    @property
    def failures(self) -> int:
        return len(self.errors)

    @property
    def done(self) -> int:
        return sum(o.status != "not run" for o in self.outcomes)

    @property
    def partial(self) -> bool:
        return self.done < len(self.outcomes)

    def to_pandas(self) -> pd.DataFrame:
        """One row per input: its inputs, the value's fields, error, latency."""
        import pandas as pd

        rows = []
        for o in self.outcomes:
            row: dict[str, Any] = {"index": o.index, "status": o.status}
            row.update({f"input.{k}": v for k, v in o.inputs.items()})
            if isinstance(o.value, Record):
                row.update({f"pred.{k}": v for k, v in o.value.items()})
            elif o.value is not None:
                row["value"] = o.value
            row.update({"error": o.error, "latency_ms": round(o.latency_s * 1000, 1)})
            rows.append(row)
        return pd.DataFrame(rows)

    def __repr__(self) -> str:
        stopped = f", stopped: {self.stop_reason}" if self.partial and self.stop_reason else ""
        return (f"BatchResult({self.module}: {self.done}/{len(self)} done, "
                f"{self.failures} failed, {self.wall_time_s:.1f} s{stopped})")


@dataclass
class BatchRun:
    """A batch in progress, for live views (`views/_protocols.py` says what they read)."""

    module: str
    total: int
    concurrency: int
    span: Span | None = None
    done: int = 0
    failures: int = 0
    started: float = field(default_factory=time.perf_counter)
    error_types: dict[str, int] = field(default_factory=dict)
    finished: bool = False
    stop_reason: str | None = None


def batch_inputs(items: Any) -> list[dict[str, Any]]:
    """Each input as keyword arguments: Examples (their inputs, when marked), dicts,
    DataFrame rows or pandas Series."""
    import pandas as pd

    _checks.collection("inputs", items)
    if isinstance(items, pd.DataFrame):
        items = items.to_dict("records")
    found: list[dict[str, Any]] = []
    for i, item in enumerate(items):
        if isinstance(item, Example):
            found.append(dict(item.inputs()) if item._input_keys is not None else dict(item))
        elif isinstance(item, Mapping):
            found.append(dict(item))
        elif isinstance(item, pd.Series):
            found.append({str(k): v for k, v in item.items()})
        else:
            raise ArgumentError(f"inputs[{i}] is a {type(item).__name__}; each input is a "
                                f"dict of keyword arguments, a dx.Example or a DataFrame row")
        if not all(isinstance(k, str) for k in found[-1]):
            raise ArgumentError(f"inputs[{i}] has keys that are not names: {list(found[-1])}")
    return found


class Batch:
    """The settings of a batch, checked once: `Batch(...).run(program, inputs)`."""

    def __init__(self, *, concurrency: int = 16, max_errors: int | None = None,
                 timeout: float | None = None, display: str | bool = "auto"):
        self.concurrency: int = _checks.whole_number("concurrency", concurrency)
        self.max_errors: int | None = _checks.whole_number("max_errors", max_errors,
                                                           optional=True)
        if timeout is not None and _checks.finite_number("timeout", timeout) <= 0:
            raise ArgumentError(f"timeout must be a number of seconds > 0, not {timeout!r}")
        self.timeout = timeout
        self.display = live_views.check_display(display)

    def run(self, program: Any, items: Any) -> BatchResult:
        stopper = _pool.Stopper()
        return _engine.run_stoppable(self.arun(program, items, stopper), stopper.request,
                                     grace=60)

    async def arun(self, program: Any, items: Any,
                   stopper: _pool.Stopper | None = None) -> BatchResult:
        _checks.program("module", program)
        inputs = batch_inputs(items)
        stopper = stopper or _pool.Stopper()
        name = type(program).__name__
        outcomes = [Outcome(i, kwargs) for i, kwargs in enumerate(inputs)]
        run = BatchRun(name, len(inputs), self.concurrency)
        with span("batch", name, n=len(inputs), concurrency=self.concurrency) as batch_span:
            run.span = batch_span
            shower = asyncio.ensure_future(self._show_later(run))
            try:
                await _pool.run_pool(len(inputs), lambda i: self._one(program, outcomes[i],
                                                                      run, stopper),
                                     concurrency=self.concurrency, stopper=stopper)
            finally:
                run.finished = True
                run.stop_reason = stopper.reason if run.done < run.total else None
                shower.cancel()
                await asyncio.gather(shower, return_exceptions=True)
            if batch_span is not None:
                batch_span.set(done=run.done, failures=run.failures)
        result = BatchResult(outcomes, name, time.perf_counter() - run.started,
                             run.stop_reason)
        if self.max_errors is not None and run.failures >= self.max_errors \
                and result.partial:
            common = max(run.error_types.items(), key=lambda kv: kv[1])
            raise MaxErrorsReached(
                f"{name}: the batch stopped after {run.failures} failures (max_errors="
                f"{self.max_errors}), {run.done} of {run.total} inputs run; most were "
                f"{common[0]} ({common[1]}). The partial result is this error's .result",
                result=result)
        return result

    async def _one(self, program: Any, outcome: Outcome, run: BatchRun,
                   stopper: _pool.Stopper) -> None:
        start = time.perf_counter()
        with span("item", f"#{outcome.index}", index=outcome.index):
            try:
                call = program.acall(**outcome.inputs)
                outcome.value = await (asyncio.wait_for(call, self.timeout)
                                       if self.timeout is not None else call)
                outcome.status = "ok"
            except Exception as exc:  # recorded; the batch goes on
                outcome.status, outcome.error_type = "failed", type(exc).__name__
                outcome.error = (f"TimeoutError: no result within {self.timeout} s"
                                 if type(exc) is TimeoutError else error_text(exc))
        outcome.latency_s = time.perf_counter() - start
        run.done += 1
        if outcome.status == "failed":
            run.failures += 1
            key = outcome.error_type or "error"
            run.error_types[key] = run.error_types.get(key, 0) + 1
        emit("batch.progress", index=outcome.index, done=run.done, total=run.total,
             failures=run.failures, error=outcome.error_type)
        if self.max_errors is not None and run.failures >= self.max_errors:
            stopper.request(f"max_errors={self.max_errors} reached")

    async def _show_later(self, run: BatchRun) -> None:
        """Open the live view once the batch has run for SHOW_AFTER seconds: a short batch
        never flashes a bar."""
        await asyncio.sleep(SHOW_AFTER)
        with live_views.open_view("batch", run, self.display):
            await asyncio.get_running_loop().create_future()  # until the batch ends
