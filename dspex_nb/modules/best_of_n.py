"""`dx.BestOfN`: run a module up to n times and return the attempt with the highest reward.

Why not DSPy's: its failure budget lives on the instance and shrinks across calls, and when
every attempt fails it returns None. Here every count is per call, and the caller always gets
the best attempt with its reward (`pred.attempts`), or a typed error that holds them all.
"""

from __future__ import annotations

import asyncio
from typing import Any

from dspex_nb import _checks
from dspex_nb.errors import AttemptsFailed
from dspex_nb.modules.attempts import (
    Attempt,
    Reward,
    best_attempt,
    describe_failures,
    keep_attempts,
    scored_attempt,
)
from dspex_nb.modules.module import Module
from dspex_nb.telemetry.spans import emit

ON_FAIL = ("best", "raise")


def attempt_params(index: int, temperature: float | None) -> dict[str, Any]:
    """Attempt 0 runs as a plain call would (and shares its cache entry); each later one is
    a distinct sample (its own sample id, so a cache never answers it with another's), at
    `temperature` when one is given."""
    if index == 0:
        return {}
    params: dict[str, Any] = {"sample_id": index}
    if temperature is not None:
        params["temperature"] = temperature
    return params


class BestOfN(Module):
    """`dx.BestOfN(module, n, reward, threshold=None, concurrency=1, temperature=1.0)`.

    `reward(inputs, prediction)` returns a number, a `dx.Score` or `(number, feedback)`. The
    attempts run `concurrency` at a time and stop early once one reaches `threshold`. The
    highest reward wins (the earliest among equals). An attempt that raises, or whose reward
    raises or is not a finite number, is recorded and the others go on. When none reaches
    the threshold, `on_fail="best"` returns the best one anyway (its `passed` is False) and
    `on_fail="raise"` raises `AttemptsFailed`; when no attempt could be scored at all, it is
    always `AttemptsFailed`, never None.
    """

    def __init__(self, module: Module, n: int, reward: Reward, threshold: float | None = None,
                 *, concurrency: int = 1, temperature: float | None = 1.0,
                 on_fail: str = "best"):
        self.module: Module = _checks.program("module", module)
        self.n: int = _checks.whole_number("n", n)
        self._reward = _checks.function("reward", reward)
        self.threshold = (None if threshold is None
                          else _checks.finite_number("threshold", threshold))
        self.concurrency: int = _checks.whole_number("concurrency", concurrency)
        self.temperature = (None if temperature is None
                            else _checks.finite_number("temperature", temperature))
        self.on_fail: str = _checks.one_of("on_fail", on_fail, ON_FAIL)

    async def aforward(self, **inputs: Any) -> Any:
        gate = asyncio.Semaphore(self.concurrency)
        reached = asyncio.Event()

        async def one(index: int) -> Attempt | None:
            async with gate:
                if reached.is_set():
                    return None  # an earlier attempt reached the threshold: not run
                attempt, _ = await scored_attempt(
                    self.module, inputs, index, self._reward, of="BestOfN",
                    params=attempt_params(index, self.temperature), threshold=self.threshold)
                if self.threshold is not None and attempt.passed:
                    reached.set()
                return attempt

        ran = [a for a in await asyncio.gather(*(one(i) for i in range(self.n)))
               if a is not None]
        return choose("BestOfN", ran, self.threshold, self.on_fail)

    def _init_args(self) -> dict[str, Any]:
        return {"n": self.n, "threshold": self.threshold, "concurrency": self.concurrency,
                "temperature": self.temperature, "on_fail": self.on_fail}

    def _init_unsaved(self) -> list[str]:
        return [f"module={type(self.module).__name__}", "reward"]

    def __repr__(self) -> str:
        return f"BestOfN({self.module!r}, n={self.n}, threshold={self.threshold})"


def choose(of: str, attempts: list[Attempt], threshold: float | None, on_fail: str) -> Any:
    """The prediction to return: the best attempt's, with every attempt on it."""
    best = best_attempt(attempts)
    if best is None or (not best.passed and on_fail == "raise"):
        emit(f"{of.lower()}.exhausted", attempts=len(attempts))
        message = describe_failures(of, attempts) if best is None else (
            f"{of}: no attempt of {len(attempts)} reached the threshold {threshold}; the best "
            f"scored {best.reward} (attempt {best.index + 1})")
        raise AttemptsFailed(message, attempts=attempts)
    best.chosen = True
    return keep_attempts(best.prediction, attempts)
