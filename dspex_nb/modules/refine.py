"""`dx.Refine`: run a module until its reward reaches a threshold, each attempt told what was
wrong with the one before.

The feedback is the reward's own when it gives one (`(score, "why")` or a `dx.Score`), else a
hint written by the LM from the inputs, the outputs and the score (temperature 0, cached:
the same failure gets the same hint). It is laid on the predictor that answered last, as a
Retry lays a failed check: that predictor sees its earlier replies, each followed by its
feedback. Attempts run one after another, as each needs the last one's feedback (BestOfN
runs them concurrently).
"""

from __future__ import annotations

from typing import Any

import orjson

from dspex_nb import _checks
from dspex_nb._json import to_jsonable
from dspex_nb.errors import DspexError
from dspex_nb.modules.attempts import Attempt, CallNote, Reward, scored_attempt
from dspex_nb.modules.best_of_n import ON_FAIL, attempt_params, choose
from dspex_nb.modules.module import Module
from dspex_nb.modules.predict import Predict
from dspex_nb.signatures import ensure_signature

HINT = ensure_signature(
    "program_inputs, program_outputs, score: float, threshold: float -> hint"
).with_instructions(
    "A program's outputs for these inputs scored below the threshold. Write one short, "
    "concrete hint (one or two sentences) telling the program what to change so that its "
    "next answer scores higher. Do not write the answer itself.")


class Refine(Module):
    """`dx.Refine(module, n, reward, threshold)`: up to n attempts, stopping at the first
    whose reward reaches `threshold`. When none does, `on_fail="best"` returns the best one
    (its `passed` is False) and `on_fail="raise"` raises `AttemptsFailed`; when none could be
    scored, it is `AttemptsFailed` either way, never None. `temperature` (None: the module's
    own) applies to attempts after the first, each also a distinct sample for the cache.
    """

    def __init__(self, module: Module, n: int, reward: Reward, threshold: float, *,
                 temperature: float | None = None, on_fail: str = "best"):
        self.module: Module = _checks.program("module", module)
        self.n: int = _checks.whole_number("n", n)
        self._reward = _checks.function("reward", reward)
        self.threshold = _checks.finite_number("threshold", threshold)
        self.temperature = (None if temperature is None
                            else _checks.finite_number("temperature", temperature))
        self.on_fail: str = _checks.one_of("on_fail", on_fail, ON_FAIL)
        self._hint = Predict(HINT, temperature=0.0)  # private: not state, not optimized

    async def aforward(self, **inputs: Any) -> Any:
        attempts: list[Attempt] = []
        revisions: dict[int, list[tuple[str, str]]] = {}
        for index in range(self.n):
            attempt, last = await scored_attempt(
                self.module, inputs, index, self._reward, of="Refine",
                params=attempt_params(index, self.temperature), threshold=self.threshold,
                revisions=revisions)
            attempts.append(attempt)
            if attempt.passed or index == self.n - 1:
                break
            if last is not None:
                if attempt.reward is not None and not attempt.feedback:
                    attempt.feedback = await self._write_hint(inputs, attempt, last)
                feedback = attempt.feedback or (
                    f"the answer failed ({attempt.error})" if attempt.error else
                    f"the answer scored {attempt.reward}, below {self.threshold}")
                revisions.setdefault(id(last.predictor), []).append((last.reply, feedback))
        return choose("Refine", attempts, self.threshold, self.on_fail)

    async def _write_hint(self, inputs: dict[str, Any], attempt: Attempt,
                          last: CallNote) -> str:
        """The LM's hint for the next attempt; a plain statement of the score if it fails."""
        outputs = attempt.prediction.to_dict() if hasattr(attempt.prediction, "to_dict") \
            else attempt.prediction
        try:
            hint = await self._hint.acall(
                program_inputs=orjson.dumps(to_jsonable(inputs)).decode(),
                program_outputs=orjson.dumps(to_jsonable(outputs)).decode(),
                score=attempt.reward, threshold=self.threshold,
                lm=getattr(last.predictor, "lm", None))
            return str(hint.hint).strip()
        except DspexError:
            return f"the answer scored {attempt.reward}, below {self.threshold}"

    def _init_args(self) -> dict[str, Any]:
        return {"n": self.n, "threshold": self.threshold, "temperature": self.temperature,
                "on_fail": self.on_fail}

    def _init_unsaved(self) -> list[str]:
        return [f"module={type(self.module).__name__}", "reward"]

    def __repr__(self) -> str:
        return f"Refine({self.module!r}, n={self.n}, threshold={self.threshold})"
