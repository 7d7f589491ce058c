"""Attempts: what Retry, BestOfN, Refine and MultiChainComparison share.

A module that runs another one several times opens a `Frame` around each attempt. The frame
steers the predictor calls made inside it (sampling overrides such as a temperature and a
sample id, earlier replies with what was wrong with them, calls that must skip the cache) and
notes what they did (which predictor answered what, suggestions that failed). It lives in a
contextvar, so attempts running concurrently never see each other's, and every count is per
call: nothing is kept on the module between calls.
"""

from __future__ import annotations

import contextvars
import inspect
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from dspex_nb._checks import callable_name, finite_score
from dspex_nb.errors import MetricError
from dspex_nb.primitives import Prediction
from dspex_nb.telemetry.spans import span

# Reward functions: reward(inputs, prediction) -> float | (float, feedback) | dx.Score.
Reward = Callable[[dict[str, Any], Any], Any]


class CallNote(NamedTuple):
    """One predictor call made inside an attempt: its predictor, outputs and raw reply.
    (A tuple: one is made on every predictor call, the hot path.)"""

    predictor: Any
    outputs: dict[str, Any] | None  # None: the reply could not be parsed
    reply: str


@dataclass(eq=False)
class Frame:
    """How the predictor calls of one attempt are steered, and what they did."""

    params: dict[str, Any] = field(default_factory=dict)  # sampling overrides, sample_id
    revisions: dict[int, list[tuple[str, str]]] = field(default_factory=dict)
    # by id(predictor): its earlier replies, each with what was wrong with it
    fresh: frozenset[int] = frozenset()  # ids of predictors whose calls skip the cache
    fresh_all: bool = False  # every call skips the cache (no predictor to lay a failure on)
    calls: list[CallNote] = field(default_factory=list)
    suggestions: list[tuple[str, Any]] = field(default_factory=list)
    # failed Suggests: (message, the predictor it is laid on, or None)

    def last_call(self) -> CallNote | None:
        return self.calls[-1] if self.calls else None


_frame: contextvars.ContextVar[Frame | None] = contextvars.ContextVar("dspex_nb_attempt",
                                                                      default=None)
# The last predictor call in this context, attempt or not: what a failed Assert judged.
_last: contextvars.ContextVar[CallNote | None] = contextvars.ContextVar("dspex_nb_last_call",
                                                                        default=None)


def current_frame() -> Frame | None:
    return _frame.get()


@contextmanager
def open_frame(*, params: Mapping[str, Any] | None = None,
               revisions: Mapping[int, list[tuple[str, str]]] | None = None,
               fresh: frozenset[int] = frozenset(), fresh_all: bool = False) -> Iterator[Frame]:
    """A frame for one attempt; sampling overrides of an enclosing attempt carry through."""
    parent = _frame.get()
    inherited = dict(parent.params) if parent is not None else {}
    frame = Frame(params={**inherited, **(params or {})}, revisions=dict(revisions or {}),
                  fresh=fresh, fresh_all=fresh_all)
    token = _frame.set(frame)
    try:
        yield frame
    finally:
        _frame.reset(token)


def note_call(predictor: Any, outputs: dict[str, Any] | None, reply: str) -> None:
    """Predict says what it answered (or that its reply did not parse)."""
    note = CallNote(predictor, outputs, reply)
    _last.set(note)
    frame = _frame.get()
    if frame is not None:
        frame.calls.append(note)


def last_call() -> CallNote | None:
    """The last predictor call of the current attempt, else of this context."""
    frame = _frame.get()
    if frame is not None and frame.calls:
        return frame.calls[-1]
    return _last.get()


@dataclass
class Attempt:
    """One attempt of a Retry, BestOfN or Refine call, kept on the returned prediction.

    `failures` are the hard checks and Asserts it failed (their feedback), `suggestions` the
    soft ones; `reward` is BestOfN/Refine's score of it; `feedback` what the next attempt was
    told. `passed` says whether it met the module's bar; `chosen` marks the one returned.
    `index` counts attempts from 0; `prediction` is the attempt's outputs, or `error` and
    `error_type` say why there are none; `latency_s` and `temperature` are the call's.
    """

    index: int
    prediction: Any = None
    error: str | None = None
    error_type: str | None = None
    failures: list[str] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)
    reward: float | None = None
    feedback: str = ""
    latency_s: float = 0.0
    temperature: float | None = None
    passed: bool = False
    chosen: bool = False

    def row(self) -> dict[str, Any]:
        """A flat row for a table (what `attempts_frame` and the notebook view show)."""
        outputs = self.prediction.to_dict() if isinstance(self.prediction, Prediction) else (
            {"output": self.prediction} if self.prediction is not None else {})
        return {"attempt": self.index + 1, "passed": self.passed, "chosen": self.chosen,
                "reward": self.reward, **{f"pred.{k}": v for k, v in outputs.items()},
                "failures": "; ".join(self.failures), "suggestions": "; ".join(self.suggestions),
                "error": self.error, "feedback": self.feedback,
                "latency_ms": round(self.latency_s * 1000, 1)}


def attempts_frame(attempts: list[Attempt]) -> Any:
    """The attempts as a pandas DataFrame, one row each."""
    import pandas as pd

    return pd.DataFrame([a.row() for a in attempts])


def keep_attempts(prediction: Any, attempts: list[Attempt]) -> Any:
    """Put the attempts on the prediction returned (a Prediction; anything else as it is)."""
    if isinstance(prediction, Prediction):
        prediction.set_trail(attempts=attempts)
    return prediction


def error_text(exc: BaseException) -> str:
    first = str(exc).split("\n", 1)[0]
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def score_of(name: str, value: Any) -> tuple[float, str]:
    """A reward's value as (finite float, feedback): a number, a `dx.Score`, or a pair
    (number, feedback text); anything else is a MetricError naming the reward."""
    feedback = ""
    if isinstance(value, tuple):
        if len(value) != 2 or not isinstance(value[1], str):
            raise MetricError(f"reward {name} returned {value!r:.80}; a pair must be "
                              f"(score, feedback text)")
        value, feedback = value
    elif hasattr(value, "feedback"):
        feedback = str(value.feedback)
    return finite_score(f"reward {name}", value), feedback


def describe_failures(module: str, attempts: list[Attempt]) -> str:
    """"Retry: all 3 attempts failed: ..." in one line; said plainly when one reason was
    behind them all."""
    reasons = [a.error or "; ".join(a.failures) or "below the threshold" for a in attempts]
    if len(set(reasons)) == 1:
        return (f"{module}: all {len(attempts)} attempts failed the same way: {reasons[0]}")
    listed = "; ".join(f"attempt {a.index + 1}: {r}" for a, r in zip(attempts, reasons,
                                                                      strict=True))
    return f"{module}: all {len(attempts)} attempts failed: {listed}"


async def scored_attempt(module: Any, inputs: dict[str, Any], index: int, reward: Reward, *,
                         of: str, params: Mapping[str, Any],
                         threshold: float | None,
                         revisions: Mapping[int, list[tuple[str, str]]] | None = None
                         ) -> tuple[Attempt, CallNote | None]:
    """One attempt of BestOfN or Refine, scored by `reward`: the attempt, and the last
    predictor call it made (what Refine lays its feedback on). An error of the module or of
    the reward is recorded in the attempt, never raised."""
    attempt = Attempt(index, temperature=params.get("temperature"))
    start = time.perf_counter()
    with span("attempt", f"attempt {index + 1}", index=index, of=of) as s, \
            open_frame(params=params, revisions=revisions) as frame:
        try:
            prediction = await module.acall(**inputs)
            attempt.prediction = prediction
            value = reward(inputs, prediction)
            if inspect.isawaitable(value):
                value = await value
            attempt.reward, attempt.feedback = score_of(callable_name(reward), value)
        except Exception as exc:  # recorded in the attempt; the others go on
            attempt.error, attempt.error_type = error_text(exc), type(exc).__name__
        attempt.passed = attempt.reward is not None and (threshold is None
                                                         or attempt.reward >= threshold)
        attempt.latency_s = time.perf_counter() - start
        if s is not None:
            s.set(reward=attempt.reward, passed=attempt.passed, error=attempt.error,
                  temperature=attempt.temperature)
    return attempt, frame.last_call()


def best_attempt(attempts: list[Attempt]) -> Attempt | None:
    """The highest reward; the earliest among equals. None when no attempt was scored."""
    scored = [a for a in attempts if a.reward is not None]
    if not scored:
        return None
    return max(scored, key=lambda a: (a.reward, -a.index))
