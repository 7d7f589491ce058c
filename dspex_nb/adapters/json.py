"""`JSONAdapter` (the default): the reply is one JSON object, constrained where the LM can."""

from __future__ import annotations

from typing import Any

from dspex_nb.adapters._json_format import (
    json_request,
    parse_json_reply,
    system_prompt,
    user_message,
)
from dspex_nb.adapters.base import Adapter
from dspex_nb.lm.types import LMRequest
from dspex_nb.signatures import Signature


class JSONAdapter(Adapter):
    """The reply is one JSON object with the output fields as keys, constrained by the
    server's structured output where it has one."""

    name = "json"

    def system_prompt(self, signature: type[Signature]) -> str:
        return system_prompt(signature)

    def user_message(self, signature: type[Signature], values: dict[str, Any]) -> str:
        return user_message(signature, values)

    def format(self, signature: type[Signature], demos: list[dict[str, Any]],
               inputs: dict[str, Any]) -> LMRequest:
        return json_request(signature, demos, inputs)

    def parse(self, signature: type[Signature], text: str) -> dict[str, Any]:
        return parse_json_reply(signature, text)
