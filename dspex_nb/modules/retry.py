"""`dx.Retry`: run a module again when an Assert or a check fails or its reply cannot be
parsed, telling the failing predictor what it answered and what was wrong.

Why not DSPy's: its Retry halted programs, needed manual trace handling and broke saved
programs, and it was removed. Here a Retry is an ordinary module around another one: its
state is the inner module's (it saves and loads as such), every attempt is kept on the
prediction (`pred.attempts`) and in the trace (an `attempt` span each), each retried call
skips the cache (it would give the failure back), and every count is per call.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from dspex_nb import _checks
from dspex_nb._checks import callable_name
from dspex_nb.errors import AssertionFailed, AttemptsFailed, ParseError
from dspex_nb.modules.assertions import Check, check_checks, run_check
from dspex_nb.modules.attempts import (
    Attempt,
    Frame,
    describe_failures,
    error_text,
    keep_attempts,
    open_frame,
)
from dspex_nb.modules.module import Module
from dspex_nb.telemetry.spans import emit, span

ON_FAIL = ("raise", "best")


class Retry(Module):
    """`dx.Retry(module, checks=[...], max_attempts=3, on_fail="raise")`.

    An attempt fails when the module raises `AssertionFailed` (a `dx.Assert` or a hard check
    attached to it), when its reply cannot be parsed (`ParseError`), or when one of `checks`
    (each `check(inputs, prediction) -> bool | str`) fails. The next attempt re-runs the
    module; the predictor the failure is laid on (the Assert's `target`, else the last one
    called) sees each of its earlier replies followed by what was wrong with it, and skips the
    cache. A failed `dx.Suggest` also earns another attempt while any remain, but never fails
    the call. Other errors (an LM that cannot be reached) are not retried here: the LM's own
    retry policy has had them.

    When every attempt failed: `on_fail="raise"` raises `AttemptsFailed` (with every attempt);
    `on_fail="best"` returns the attempt with the fewest failures (the latest among equals),
    its `attempts[i].passed` saying it did not pass.
    """

    def __init__(self, module: Module, *, checks: Sequence[Check] | Check | None = None,
                 max_attempts: int = 3, on_fail: str = "raise"):
        self.module: Module = _checks.program("module", module)
        self._checks = check_checks("checks", checks)
        self.max_attempts: int = _checks.whole_number("max_attempts", max_attempts)
        self.on_fail: str = _checks.one_of("on_fail", on_fail, ON_FAIL)

    async def aforward(self, **inputs: Any) -> Any:
        attempts: list[Attempt] = []
        revisions: dict[int, list[tuple[str, str]]] = {}
        fresh_all = False
        for index in range(self.max_attempts):
            attempt, laid_on = await self._attempt(index, inputs, revisions, fresh_all)
            attempts.append(attempt)
            if attempt.passed and not attempt.suggestions:
                attempt.chosen = True
                return keep_attempts(attempt.prediction, attempts)
            # Lay each failure on its predictor: its reply and the feedback, for next time.
            fresh_all = not laid_on
            for predictor_id, reply, feedback in laid_on:
                revisions.setdefault(predictor_id, []).append((reply, feedback))
            attempt.feedback = "; ".join(f for _, _, f in laid_on)
        return self._exhausted(attempts)

    async def _attempt(self, index: int, inputs: dict[str, Any],
                       revisions: dict[int, list[tuple[str, str]]], fresh_all: bool
                       ) -> tuple[Attempt, list[tuple[int, str, str]]]:
        """One attempt, and the failures to lay on predictors: (id, its reply, feedback)."""
        attempt = Attempt(index)
        laid_on: list[tuple[int, str, str]] = []
        start = time.perf_counter()
        with span("attempt", f"attempt {index + 1}", index=index, of="Retry") as s, \
                open_frame(revisions=revisions, fresh=frozenset(revisions),
                           fresh_all=fresh_all) as frame:
            try:
                prediction = await self.module.acall(**inputs)
            except AssertionFailed as exc:
                attempt.prediction = exc.prediction
                attempt.failures.append(exc.message)
                target = exc.target if exc.target is not None else _last_predictor(frame)
                if target is not None:
                    laid_on.append((id(target), _reply_of(frame, target), exc.message))
            except ParseError as exc:
                attempt.error, attempt.error_type = error_text(exc), "ParseError"
                note = frame.last_call()
                if note is not None:
                    laid_on.append((id(note.predictor), exc.raw,
                                    f"the reply could not be read: {error_text(exc)}"))
            else:
                attempt.prediction = prediction
                for check in self._checks:
                    feedback = run_check(check, inputs, prediction)
                    if feedback is not None:
                        emit("assert.failed", message=feedback, check=callable_name(check))
                        attempt.failures.append(feedback)
                        note = frame.last_call()
                        if note is not None:
                            laid_on.append((id(note.predictor), note.reply, feedback))
            for message, target in frame.suggestions:
                attempt.suggestions.append(message)
                if target is not None and attempt.error is None and not attempt.failures:
                    laid_on.append((id(target), _reply_of(frame, target), message))
            attempt.passed = attempt.error is None and not attempt.failures
            attempt.latency_s = time.perf_counter() - start
            if s is not None:
                s.set(passed=attempt.passed, failures=attempt.failures,
                      suggestions=attempt.suggestions, error=attempt.error)
            emit("retry.attempt", index=index, passed=attempt.passed,
                 failures=attempt.failures, suggestions=attempt.suggestions,
                 error_type=attempt.error_type)
        return attempt, _merge(laid_on)

    def _exhausted(self, attempts: list[Attempt]) -> Any:
        usable = [a for a in attempts if a.error is None and a.prediction is not None]
        soft_only = [a for a in usable if a.passed]
        if soft_only:  # only Suggests failed: a result, never an error
            best = min(reversed(soft_only), key=lambda a: len(a.suggestions))
        elif self.on_fail == "best" and usable:
            best = min(reversed(usable), key=lambda a: (len(a.failures), len(a.suggestions)))
        else:
            emit("retry.exhausted", attempts=len(attempts))
            raise AttemptsFailed(describe_failures("Retry", attempts), attempts=attempts)
        best.chosen = True
        return keep_attempts(best.prediction, attempts)

    def _init_args(self) -> dict[str, Any]:
        return {"max_attempts": self.max_attempts, "on_fail": self.on_fail}

    def _init_unsaved(self) -> list[str]:
        return ["module=" + type(self.module).__name__] + (["checks"] if self._checks else [])

    def __repr__(self) -> str:
        return f"Retry({self.module!r}, max_attempts={self.max_attempts})"


def _last_predictor(frame: Frame) -> Any:
    note = frame.last_call()
    return note.predictor if note is not None else None


def _reply_of(frame: Frame, predictor: Any) -> str:
    """The predictor's last reply in this attempt (what it is shown it answered)."""
    for note in reversed(frame.calls):
        if note.predictor is predictor:
            return str(note.reply)
    return ""


def _merge(laid_on: list[tuple[int, str, str]]) -> list[tuple[int, str, str]]:
    """One revision per predictor: its reply once, every feedback for it in one text."""
    merged: dict[int, tuple[str, list[str]]] = {}
    for predictor_id, reply, feedback in laid_on:
        entry = merged.setdefault(predictor_id, (reply, []))
        if feedback not in entry[1]:
            entry[1].append(feedback)
    return [(pid, reply, "; ".join(fb)) for pid, (reply, fb) in merged.items()]
