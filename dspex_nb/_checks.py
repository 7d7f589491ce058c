"""Argument checks at the doors of the public API, so a bad value is an `ArgumentError`
naming the argument where it enters, never a `TypeError` from deep inside a run (or, worse,
a run that quietly scores zeros).

One function per kind of value; every public entry point uses these, so the same mistake
reads the same everywhere.
"""

from __future__ import annotations

import inspect
import math
import numbers
import warnings
from collections.abc import Iterable, Sequence
from typing import Any

from dspex_nb.errors import ArgumentError, DSPyNameNote, MetricError


def _shown(value: Any) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text[:60]}{'...' if len(text) > 60 else ''}"


def whole_number(name: str, value: Any, *, minimum: int = 1, optional: bool = False) -> Any:
    """An int >= minimum (bools are not numbers here); None too when `optional`."""
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ArgumentError(f"{name} must be a whole number >= {minimum}"
                            f"{' or None' if optional else ''}, not {_shown(value)}")
    return int(value)


def finite_number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) \
            or not math.isfinite(value):
        raise ArgumentError(f"{name} must be a finite number, not {_shown(value)}")
    return float(value)


def function(name: str, value: Any) -> Any:
    """Something callable (a reward, a check)."""
    if not callable(value):
        raise ArgumentError(f"{name} must be a function, not {_shown(value)}")
    return value


def callable_name(fn: Any) -> str:
    """What a metric, reward or check is called in reports and messages (a partial by its
    function's name)."""
    name = getattr(fn, "__name__", None) or getattr(getattr(fn, "func", None), "__name__", None)
    return str(name or type(fn).__name__)


def finite_score(what: str, value: Any) -> float:
    """A score a metric or reward returned, as a finite float; a MetricError saying what it
    was instead (NaN, inf, text). `what` names it: "metric accuracy", "reward length"."""
    if isinstance(value, numbers.Real):  # bool, int, float, Score, numpy numbers
        score = float(value)
        if math.isfinite(score):
            return score
        raise MetricError(f"{what} returned {score!r}, not a finite number")
    raise MetricError(f"{what} returned {type(value).__name__} {value!r:.80}, not a number")


def one_of(name: str, value: Any, options: Sequence[Any]) -> Any:
    if value not in options:
        raise ArgumentError(f"{name} must be one of {tuple(options)}, not {value!r}")
    return value


def collection(name: str, value: Any) -> Any:
    """Rows to iterate (a list, a DataFrame, a dx.Dataset...): not None, not a string."""
    if value is None:
        raise ArgumentError(f"{name} is None: pass a list of dx.Example (or dicts, or a "
                            f"DataFrame)")
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise ArgumentError(f"{name} must be a collection of examples (a list of dx.Example, "
                            f"dicts, or a DataFrame), not {_shown(value)}")
    return value


def program(name: str, value: Any) -> Any:
    """Something with `acall` (every dx.Module), so the run can call it."""
    if not callable(getattr(value, "acall", None)):
        hint = (" (a program is an object, e.g. dx.Predict('question -> answer'))"
                if isinstance(value, str) else "")
        raise ArgumentError(f"{name} must be a dx.Module (a program such as dx.Predict or "
                            f"your own Module), not {_shown(value)}{hint}")
    return value


def lm_object(name: str, value: Any) -> Any:
    """An LM client (anything with `acomplete`, as every dx LM has), or None."""
    if value is not None and not callable(getattr(value, "acomplete", None)):
        hint = f" (dx.LM({value!r}) makes one)" if isinstance(value, str) else ""
        raise ArgumentError(f"{name} must be an LM object, not {_shown(value)}{hint}")
    return value


def metric_takes_trace(name: str, metric: Any) -> bool:
    """Check a metric can be called with (example, prediction); True when it also takes the
    third `trace` argument (dx's metrics and DSPy's three-argument form), False for DSPy's
    documented two-argument form `def m(example, prediction)`."""
    if not callable(metric):
        raise ArgumentError(f"metric {name} must be a function of (example, prediction"
                            f"[, trace]), not {_shown(metric)}")
    try:
        params = list(inspect.signature(metric).parameters.values())
    except (TypeError, ValueError):  # a builtin without a signature: assume the full form
        return True
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    varargs = any(p.kind is p.VAR_POSITIONAL for p in params)
    required = [p for p in positional if p.default is p.empty]
    required_kw = [p.name for p in params if p.kind is p.KEYWORD_ONLY and p.default is p.empty]
    if len(required) > 3 or required_kw or (len(positional) < 2 and not varargs):
        raise ArgumentError(
            f"metric {name} must accept (example, prediction) or (example, prediction, "
            f"trace); its signature is {inspect.signature(metric)}")
    return varargs or len(positional) >= 3


def known_keywords(what: str, given: Iterable[str], known: Iterable[str],
                   hints: dict[str, str] | None = None) -> None:
    """Refuse keywords `what` does not take, with the closest known one (or a hint) named."""
    import difflib

    known = list(known)
    for key in given:
        if key in known:
            continue
        hint = (hints or {}).get(key)
        if hint is None:
            close = difflib.get_close_matches(key, known, n=1)
            hint = f"did you mean {close[0]!r}?" if close else ""
        raise ArgumentError(f"{what} got an unexpected keyword argument {key!r}"
                            + (f": {hint}" if hint else ""))



_noted: set[str] = set()


def dspy_alias(alias: str, alias_value: Any, name: str, value: Any, default: Any) -> Any:
    """An option given under DSPy's name (`num_threads=` for `concurrency=`): its value,
    with a note the first time each alias is used in the process. Both names at once is an
    ArgumentError (which one was meant?)."""
    if alias_value is None:
        return value
    if value != default:
        raise ArgumentError(f"pass {name}= or {alias}= (DSPy's name for it), not both")
    if alias not in _noted:
        _noted.add(alias)
        warnings.warn(f"{alias}= is DSPy's name; dspex_nb calls it {name}= (accepted here)",
                      DSPyNameNote, stacklevel=3)
    return alias_value
