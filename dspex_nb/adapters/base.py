"""`Adapter`: turns a signature, demos and inputs into a chat request, and the reply into fields.

The shared `acall` holds the one recovery rule: a reply that does not parse is retried once as
JSON (with the error shown to the model) before it becomes a `ParseError` carrying the raw text.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

from dspex_nb.adapters._json_format import json_request, parse_json_reply
from dspex_nb.errors import ParseError
from dspex_nb.lm.base import BaseLM
from dspex_nb.lm.types import LMRequest, LMResponse
from dspex_nb.signatures import Signature


@dataclass(slots=True)
class LMCall:
    """One LM call made on behalf of a predictor: the exact `request` and `response`."""

    request: LMRequest
    response: LMResponse


@dataclass(slots=True)
class AdapterResult:
    outputs: dict[str, Any]
    calls: list[LMCall] = field(default_factory=list)


class Adapter(ABC):
    """How a signature becomes chat messages and a reply becomes outputs; subclasses give the
    format (`ChatAdapter`, `JSONAdapter`)."""

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
        request = self.request(signature, demos, inputs, params=params, sample_id=sample_id,
                               cache=cache)
        response = await lm.acomplete(request)
        return await self.finish(lm, signature, demos, inputs, request, response)

    def request(self, signature: type[Signature], demos: list[dict[str, Any]],
                inputs: dict[str, Any], *, params: dict[str, Any] | None = None,
                sample_id: int | None = None, cache: bool = True) -> LMRequest:
        """The request for one call, with its sampling parameters and cache options."""
        request = self.format(signature, demos, inputs)
        request.params = params or {}
        request.sample_id = sample_id
        request.cache = cache
        return request

    def parse_first(self, signature: type[Signature], request: LMRequest,
                    response: LMResponse) -> AdapterResult | None:
        """The reply parsed, or None when it needs the retry (`finish` makes it)."""
        try:
            return AdapterResult(self.parse(signature, response.text),
                                 [LMCall(request, response)])
        except ParseError:
            return None

    async def finish(self, lm: BaseLM, signature: type[Signature], demos: list[dict[str, Any]],
                     inputs: dict[str, Any], request: LMRequest, response: LMResponse
                     ) -> AdapterResult:
        """Parse the reply; one that does not parse is retried once, in JSON."""
        calls = [LMCall(request, response)]
        try:
            return AdapterResult(self.parse(signature, response.text), calls)
        except ParseError as first:
            retry = self.format_retry(signature, demos, inputs, response.text, first)
            retry.params, retry.sample_id, retry.cache = (request.params, request.sample_id,
                                                          request.cache)
            second = await lm.acomplete(retry)
            calls.append(LMCall(retry, second))
            try:
                return AdapterResult(parse_json_reply(signature, second.text), calls)
            except ParseError as exc:
                exc.calls = calls
                raise

    def revise(self, request: LMRequest, revisions: list[tuple[str, str]]) -> None:
        """Ask again after answers that failed a check (a `dx.Retry` or `dx.Refine` attempt):
        each earlier reply as the assistant's turn, then what was wrong with it, after the
        question, so the system prompt and demos stay as they were."""
        for reply, feedback in revisions:
            request.messages.append({"role": "assistant", "content": reply})
            request.messages.append({
                "role": "user",
                "content": f"That answer was not accepted: {feedback}\nAnswer again for the "
                           f"same inputs, fixing this.",
            })

    def format_retry(self, signature: type[Signature], demos: list[dict[str, Any]],
                     inputs: dict[str, Any], bad_reply: str, error: ParseError) -> LMRequest:
        """The one retry, in JSON whatever this adapter speaks: the JSON request, the bad
        reply, and what was wrong with it."""
        request = json_request(signature, demos, inputs)
        reason = str(error).split("\n", 1)[0]
        request.messages.append({"role": "assistant", "content": bad_reply})
        request.messages.append({
            "role": "user",
            "content": f"That reply could not be used ({reason}). Reply again with only one "
                       f"JSON object with the keys "
                       f"{', '.join(repr(k) for k in signature.output_fields)}.",
        })
        return request
