"""`ChainOfThought`: a Predict that writes its reasoning before the answer."""

from __future__ import annotations

from typing import Any, Self

from dspex_nb.lm.base import BaseLM
from dspex_nb.modules.module import Module
from dspex_nb.modules.predict import Predict
from dspex_nb.primitives import Prediction
from dspex_nb.signatures import Signature, ensure_signature

REASONING_DESC = "Think step by step, briefly, to reach the answer."


class ChainOfThought(Module):
    """Adds a `reasoning` output field in front of the signature's outputs.

    Args:
        signature: the string or class form.
        lm: this module's LM (default: the configured one).
        reasoning_desc: the description of the `reasoning` field the model sees.
    """

    def __init__(self, signature: str | type[Signature], *, lm: BaseLM | None = None,
                 reasoning_desc: str = REASONING_DESC, **lm_kwargs: Any):
        self._base = ensure_signature(signature)
        extended = self._base.prepend_output("reasoning", str, reasoning_desc)
        self.predict = Predict(extended, lm=lm, **lm_kwargs)

    def forward(self, **kwargs: Any) -> Prediction:
        """Sync calls go straight to the predictor (a memory-cache hit needs no engine hop)."""
        result: Prediction = self.predict(**kwargs)
        return result

    async def aforward(self, **kwargs: Any) -> Prediction:
        result: Prediction = await self.predict.acall(**kwargs)
        return result

    def _init_args(self) -> dict[str, Any]:
        return {"signature": self._base.dump()}

    @classmethod
    def _from_init(cls, init: dict[str, Any]) -> Self:
        return cls(Signature.from_dump(init["signature"]))
