"""`Adapter`: turns a signature, demos and inputs into a chat request, and the reply into fields.

The shared `acall` holds the one recovery rule: a reply that does not parse is retried once as
JSON (with the error shown to the model) before it becomes a `ParseError` carrying the raw text.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

import pydantic

from dspex_nb.errors import ParseError
from dspex_nb.lm.base import BaseLM
from dspex_nb.lm.types import LMRequest, LMResponse
from dspex_nb.signatures import Signature


@dataclass(slots=True)
class LMCall:
    """One LM call made on behalf of a predictor: the exact request and reply."""

    request: LMRequest
    response: LMResponse


@dataclass(slots=True)
class AdapterResult:
    outputs: dict[str, Any]
    calls: list[LMCall] = field(default_factory=list)


class Adapter(ABC):
    name: str = "adapter"

    @abstractmethod
    def format(self, signature: type[Signature], demos: list[dict[str, Any]],
               inputs: dict[str, Any]) -> LMRequest:
        """The request for these inputs; params and sample id are filled in by `acall`."""

    @abstractmethod
    def parse(self, signature: type[Signature], text: str) -> dict[str, Any]:
        """The output fields from the reply text; raises ParseError."""

    async def acall(self, lm: BaseLM, signature: type[Signature], demos: list[dict[str, Any]],
                    inputs: dict[str, Any], *, params: dict[str, Any] | None = None,
                    sample_id: int | None = None, cache: bool = True) -> AdapterResult:
        request = self.format(signature, demos, inputs)
        request.params = params or {}
        request.sample_id = sample_id
        request.cache = cache
        response = await lm.acomplete(request)
        calls = [LMCall(request, response)]
        try:
            return AdapterResult(self.parse(signature, response.text), calls)
        except ParseError as first:
            from dspex_nb.adapters.json import JSONAdapter

            retry = JSONAdapter().format_retry(signature, demos, inputs, response.text, first)
            retry.params, retry.sample_id, retry.cache = request.params, sample_id, cache
            second = await lm.acomplete(retry)
            calls.append(LMCall(retry, second))
            try:
                return AdapterResult(JSONAdapter().parse(signature, second.text), calls)
            except ParseError as exc:
                exc.calls = calls  # type: ignore[attr-defined]
                raise


def validate_outputs(signature: type[Signature], values: dict[str, Any],
                     raw: str) -> dict[str, Any]:
    """Check the parsed values against the output types; raise ParseError naming the field."""
    missing = [k for k in signature.output_fields if k not in values]
    if missing:
        raise ParseError(f"the reply has no value for output field(s) {missing}", raw=raw,
                         field=missing[0])
    try:
        model = signature.output_model().model_validate(
            {k: values[k] for k in signature.output_fields})
    except pydantic.ValidationError as exc:
        err = exc.errors()[0]
        name = str(err["loc"][0]) if err["loc"] else None
        raise ParseError(
            f"output field {name!r}: {err['msg']} (got {err.get('input')!r:.100})",
            raw=raw, field=name) from None
    return {k: getattr(model, k) for k in signature.output_fields}
