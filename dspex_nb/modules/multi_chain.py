"""`dx.MultiChainComparison`: several reasoning chains for the same inputs, then one call that
reads them all and writes the final answer with its rationale.

Why not DSPy's: its comparison sees only the first line of each chain's reasoning. Here it
sees every chain whole (all of its reasoning and every output field), the chains run
concurrently, and they are kept on the prediction (`pred.chains`) and in the trace (a `chain`
span each). The chains and the comparison are ordinary predictors: SIMBA can optimize them,
and save/load round-trips them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Self

from dspex_nb import _checks
from dspex_nb.errors import ArgumentError, AttemptsFailed
from dspex_nb.lm.base import BaseLM
from dspex_nb.modules.attempts import Attempt, error_text, open_frame
from dspex_nb.modules.chain_of_thought import ChainOfThought
from dspex_nb.modules.module import Module
from dspex_nb.modules.predict import Predict
from dspex_nb.primitives import Prediction
from dspex_nb.signatures import Signature, ensure_signature
from dspex_nb.telemetry.spans import span

DEFAULT_TEMPERATURE = 0.7
COMPARE_INSTRUCTIONS = (
    "Several attempts answered the same inputs, each with its reasoning. Compare them: check "
    "each line of reasoning, note where the attempts agree and where one goes wrong, then "
    "write the answer best supported by correct reasoning (it may combine or correct them).")
RATIONALE_DESC = "Which attempts hold up and why, briefly, before the final answer."


@dataclass
class Chain:
    """One reasoning chain of a MultiChainComparison call: its `index` (from 0), its
    `prediction` or the `error` that stopped it, its sampling `temperature` and its
    `latency_s`."""

    index: int
    prediction: Prediction | None = None
    error: str | None = None
    temperature: float | None = None
    latency_s: float = 0.0

    def row(self) -> dict[str, Any]:
        outputs = self.prediction.to_dict() if self.prediction is not None else {}
        return {"chain": self.index + 1, "temperature": self.temperature,
                **{f"pred.{k}": v for k, v in outputs.items()}, "error": self.error,
                "latency_ms": round(self.latency_s * 1000, 1)}


class MultiChainComparison(Module):
    """`dx.MultiChainComparison(signature, M=3, temperatures=None, chains=None)`.

    By default the chains are M `ChainOfThought(signature)` predictors, sampled at
    `temperatures` (default 0.7 each), each a distinct sample for the cache; `lm_kwargs`
    (max_tokens, ...) apply to the chains and the comparison, run on `lm` (default: the
    configured LM). `chains=` gives
    your own modules instead (different prompts, or programs), run at their own settings
    unless `temperatures` is given. A chain that fails is shown to the comparison as failed;
    when every chain fails, the call raises `AttemptsFailed` with them all.
    """

    def __init__(self, signature: str | type[Signature], M: int = 3, *,
                 temperatures: Sequence[float] | None = None,
                 chains: Sequence[Module] | None = None, lm: BaseLM | None = None,
                 **lm_kwargs: Any):
        self._base = ensure_signature(signature)
        self._lm_kwargs = dict(lm_kwargs)
        self._custom_chains = chains is not None
        if chains is not None:
            if not isinstance(chains, list | tuple) or not chains:
                raise ArgumentError("chains must be a non-empty list of modules")
            for chain in chains:
                _checks.program("chains[...]", chain)
            if M != 3 and len(chains) != M:
                raise ArgumentError(f"M={M} but {len(chains)} chains were given; pass one")
            self.chains: list[Module] = list(chains)
        else:
            count: int = _checks.whole_number("M", M)
            self.chains = [ChainOfThought(self._base, lm=lm, **lm_kwargs)
                           for _ in range(count)]
        self.M = len(self.chains)
        if temperatures is not None:
            if not isinstance(temperatures, list | tuple) or len(temperatures) != self.M:
                raise ArgumentError(f"temperatures must be a list of {self.M} numbers, one "
                                    f"per chain, not {temperatures!r:.60}")
            self.temperatures: list[float | None] = [
                _checks.finite_number(f"temperatures[{i}]", t) for i, t in enumerate(temperatures)]
        else:
            self.temperatures = [None if chains is not None else DEFAULT_TEMPERATURE] * self.M
        compare = self._base.with_instructions(COMPARE_INSTRUCTIONS)
        for i in range(self.M):
            compare = compare.append_input(f"attempt_{i + 1}", str,
                                           f"Attempt {i + 1}: its reasoning and its answer")
        self.compare = Predict(compare.prepend_output("rationale", str, RATIONALE_DESC), lm=lm,
                               **lm_kwargs)

    async def aforward(self, **inputs: Any) -> Prediction:
        chains = await asyncio.gather(*(self._chain(i, inputs) for i in range(self.M)))
        if all(c.prediction is None for c in chains):
            raise AttemptsFailed(
                f"MultiChainComparison: all {self.M} chains failed: "
                + "; ".join(f"chain {c.index + 1}: {c.error}" for c in chains),
                attempts=[Attempt(c.index, error=c.error, latency_s=c.latency_s)
                          for c in chains])
        shown = {f"attempt_{c.index + 1}": self._describe(c) for c in chains}
        result = await self.compare.acall(**inputs, **shown)
        prediction = Prediction(result.to_dict())
        prediction.set_trail(chains=chains)
        return prediction

    async def _chain(self, index: int, inputs: dict[str, Any]) -> Chain:
        temperature = self.temperatures[index]
        params: dict[str, Any] = {"sample_id": index}
        if temperature is not None:
            params["temperature"] = temperature
        chain = Chain(index, temperature=temperature)
        start = time.perf_counter()
        with span("chain", f"chain {index + 1}", index=index, temperature=temperature) as s, \
                open_frame(params=params):
            try:
                value = await self.chains[index].acall(**inputs)
                chain.prediction = value if isinstance(value, Prediction) else Prediction(
                    {"answer": value})
            except Exception as exc:  # shown to the comparison as a failed attempt
                chain.error = error_text(exc)
            chain.latency_s = time.perf_counter() - start
            if s is not None:
                s.set(outputs=chain.prediction.to_dict() if chain.prediction else None,
                      error=chain.error)
        return chain

    def _describe(self, chain: Chain) -> str:
        """A chain as the comparison reads it: all its reasoning, then every output."""
        if chain.prediction is None:
            return f"(this attempt failed: {chain.error})"
        outputs = chain.prediction.to_dict()
        lines = [f"Reasoning: {outputs.pop('reasoning')}"] if "reasoning" in outputs else []
        lines += [f"{key}: {value}" for key, value in outputs.items()]
        return "\n".join(lines)

    def _init_args(self) -> dict[str, Any]:
        return {"signature": self._base.dump(), "M": self.M,
                "temperatures": list(self.temperatures), **self._lm_kwargs}

    def _init_unsaved(self) -> list[str]:
        return ["chains"] if self._custom_chains else []

    @classmethod
    def _from_init(cls, init: dict[str, Any]) -> Self:
        init = dict(init)
        signature, count = Signature.from_dump(init.pop("signature")), init.pop("M", 3)
        temperatures = init.pop("temperatures", None)
        return cls(signature, count,
                   temperatures=temperatures if temperatures and None not in temperatures
                   else None, **init)
