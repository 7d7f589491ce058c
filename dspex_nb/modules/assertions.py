"""Assertions: `dx.Assert` and `dx.Suggest` inside a module's forward, and checks attached to
a module (`module.add_check(check)`).

A failed Assert stops the call: outside a `dx.Retry` it raises `dx.AssertionFailed` (with the
message and the prediction judged); inside one, the Retry catches it and asks again, giving
the failing predictor its earlier reply and the message as feedback. A failed Suggest never
stops anything: it is an event (`suggest.failed`) and, inside a Retry, a reason to try once
more if attempts remain.

A check is `check(inputs, prediction) -> bool | str`: True passes; False fails (its feedback
is the check's docstring, else its name); a string is the feedback of a failure. Anything
else (None from a forgotten `return`) is an error, never a silent pass.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from dspex_nb._checks import callable_name
from dspex_nb.errors import ArgumentError, AssertionFailed
from dspex_nb.modules.attempts import current_frame, last_call
from dspex_nb.telemetry.spans import emit

Check = Callable[[dict[str, Any], Any], "bool | str"]


def Assert(condition: Any, message: str, *, target: Any = None) -> None:
    """Fail the call unless `condition` holds. `message` is what was wrong, written for the
    LM (a Retry gives it to the failing predictor). `target` names that predictor when it is
    not the last one called."""
    if condition:
        return
    _check_message(message)
    note = last_call()
    emit("assert.failed", message=message)
    raise AssertionFailed(message, prediction=note.outputs if note is not None else None,
                          target=target if target is not None else
                          (note.predictor if note is not None else None))


def Suggest(condition: Any, message: str, *, target: Any = None) -> None:
    """Note (never fail) that `condition` does not hold: a `suggest.failed` event, and inside
    a Retry a reason to try again with `message` as feedback while attempts remain. `target`
    names the predictor the feedback is for (default: the one that made the output)."""
    if condition:
        return
    _check_message(message)
    emit("suggest.failed", message=message)
    frame = current_frame()
    if frame is not None:
        if target is None:
            note = frame.last_call()
            target = note.predictor if note is not None else None
        frame.suggestions.append((message, target))


def run_check(check: Check, inputs: dict[str, Any], prediction: Any) -> str | None:
    """None when the check passes, else the feedback of its failure."""
    verdict = check(inputs, prediction)
    if verdict is True:
        return None
    if verdict is False:
        doc = (getattr(check, "__doc__", None) or "").strip().split("\n", 1)[0]
        return doc or f"the output failed the check {callable_name(check)}"
    if isinstance(verdict, str):
        return verdict or f"the output failed the check {callable_name(check)}"
    raise ArgumentError(f"check {callable_name(check)} returned {type(verdict).__name__} "
                        f"{verdict!r:.60}; a check returns True, False or feedback text")


def check_checks(name: str, checks: Sequence[Check] | Check | None) -> list[Check]:
    """The checks given to Retry or add_check, each callable."""
    if checks is None:
        return []
    found = [checks] if callable(checks) else checks
    if not isinstance(found, list | tuple):
        raise ArgumentError(f"{name} must be a list of functions check(inputs, prediction), "
                            f"not {type(checks).__name__}")
    for check in found:
        if not callable(check):
            raise ArgumentError(f"{name}: {check!r:.60} is not a function "
                                f"check(inputs, prediction) -> bool | str")
    return list(found)


def enforce(checks: Sequence[tuple[Check, bool]], inputs: dict[str, Any],
            prediction: Any) -> None:
    """Run checks attached to a module after its call: a hard one that fails is a failed
    Assert, a soft one a failed Suggest."""
    for check, soft in checks:
        feedback = run_check(check, inputs, prediction)
        if feedback is None:
            continue
        if soft:
            Suggest(False, feedback)
        else:
            emit("assert.failed", message=feedback, check=callable_name(check))
            note = last_call()
            raise AssertionFailed(feedback, prediction=prediction,
                                  target=note.predictor if note is not None else None)


def _check_message(message: Any) -> None:
    if not isinstance(message, str) or not message.strip():
        raise ArgumentError(f"an assertion's message is the feedback text, not {message!r:.60}")
