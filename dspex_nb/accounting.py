"""Who spent what: the LM calls a piece of work made, collected while it runs.

Usage travels with the work, not through telemetry: `BaseLM` adds every call it answers to
the ledgers open in its context, and `Predict` groups the calls by predictor call. So an
evaluation's tokens, cost and prompts are the same with telemetry on or off; telemetry
observes the same calls, it does not own them.

    with recording() as ledger:
        await program.acall(question="...")
    ledger.totals.prompt_tokens, ledger.predictor_calls

Ledgers nest (a rule written inside an optimization counts in both) and follow the context
into tasks, threads and engine hops. With no ledger open, recording costs one contextvar read.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass
class LMCallRecord:
    """One LM call: the exact prompt and reply, what it cost, and whether the cache answered."""

    model: str
    messages: list[dict[str, Any]]
    response: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    cached: bool = False
    latency_s: float = 0.0


@dataclass
class PredictorCall:
    """One predictor call inside a program, with the LM calls it made."""

    signature: str
    inputs: dict[str, Any]
    outputs: dict[str, Any] | None
    lm_calls: list[LMCallRecord] = field(default_factory=list)
    error: str | None = None
    predictor_id: int | None = None  # id() of the predictor object, within this process


@dataclass(slots=True)
class UsageTotals:
    """The sums people ask for over some LM calls; the one place they are added up."""

    calls: int = 0
    cached: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @classmethod
    def of(cls, calls: Iterable[LMCallRecord]) -> UsageTotals:
        totals = cls()
        for c in calls:
            totals.calls += 1
            totals.cached += c.cached
            totals.prompt_tokens += c.prompt_tokens
            totals.completion_tokens += c.completion_tokens
            totals.cost_usd += c.cost_usd
        return totals

    def __add__(self, other: UsageTotals) -> UsageTotals:
        return UsageTotals(self.calls + other.calls, self.cached + other.cached,
                           self.prompt_tokens + other.prompt_tokens,
                           self.completion_tokens + other.completion_tokens,
                           self.cost_usd + other.cost_usd)


class Ledger:
    """The LM calls made inside one `recording()` block, in the order they finished."""

    def __init__(self) -> None:
        self.lm_calls: list[LMCallRecord] = []
        self.predictor_calls: list[PredictorCall] = []

    @property
    def totals(self) -> UsageTotals:
        return UsageTotals.of(self.lm_calls)


_ledgers: contextvars.ContextVar[tuple[Ledger, ...]] = contextvars.ContextVar(
    "dspex_nb_ledgers", default=())
_predictor: contextvars.ContextVar[PredictorCall | None] = contextvars.ContextVar(
    "dspex_nb_predictor_call", default=None)


@contextlib.contextmanager
def recording() -> Iterator[Ledger]:
    """Collect every LM call made inside the block (and in the tasks and threads it starts)."""
    ledger = Ledger()
    token = _ledgers.set((*_ledgers.get(), ledger))
    try:
        yield ledger
    finally:
        _ledgers.reset(token)


def add_lm_call(record: LMCallRecord) -> None:
    """Called by `BaseLM` for every answered call: into each open ledger and the predictor
    call in progress."""
    ledgers = _ledgers.get()
    if not ledgers:
        return
    for ledger in ledgers:
        ledger.lm_calls.append(record)
    call = _predictor.get()
    if call is not None:
        call.lm_calls.append(record)


def recording_active() -> bool:
    """Is anything recording here? (so callers can skip building a record nobody reads)"""
    return bool(_ledgers.get())


class PredictorScope:
    """`with PredictorScope(...) as call:` around one predictor call; `call` is None when
    nothing records. Set `call.outputs` before leaving; an exception is noted on the call."""

    __slots__ = ("call", "token")

    def __init__(self, signature: str, inputs: dict[str, Any], predictor_id: int):
        ledgers = _ledgers.get()
        self.call: PredictorCall | None = None
        self.token: contextvars.Token[PredictorCall | None] | None = None
        if ledgers:
            self.call = PredictorCall(signature=signature, inputs=inputs, outputs=None,
                                      predictor_id=predictor_id)
            for ledger in ledgers:
                ledger.predictor_calls.append(self.call)

    def __enter__(self) -> PredictorCall | None:
        if self.call is not None:
            self.token = _predictor.set(self.call)
        return self.call

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: Any) -> None:
        if self.token is not None:
            _predictor.reset(self.token)
        if exc is not None and self.call is not None:
            self.call.error = f"{type(exc).__name__}: {exc}"


