"""`JSONAdapter` (the default): the reply is one JSON object, constrained where the LM can."""

from __future__ import annotations

import functools
from typing import Any

import orjson

from dspex_nb._json import to_jsonable
from dspex_nb.adapters._render import describe_fields, render_value
from dspex_nb.adapters.base import Adapter, validate_outputs
from dspex_nb.errors import ParseError
from dspex_nb.lm.types import LMRequest
from dspex_nb.signatures import Signature


@functools.lru_cache(maxsize=4096)
def _system_prompt(signature: type[Signature]) -> str:
    """Built once per signature: it is the same text on every call."""
    keys = ", ".join(f'"{k}"' for k in signature.output_fields)
    return (
        f"{signature.instructions}\n\n"
        f"Inputs:\n{describe_fields(signature.input_fields)}\n\n"
        f"Outputs:\n{describe_fields(signature.output_fields)}\n\n"
        f"Reply with one JSON object with exactly the keys {keys}."
    )


class JSONAdapter(Adapter):
    name = "json"

    def system_prompt(self, signature: type[Signature]) -> str:
        return _system_prompt(signature)

    def user_message(self, signature: type[Signature], values: dict[str, Any]) -> str:
        return "\n".join(
            f"{k}: {render_value(values[k])}" for k in signature.input_fields if k in values
        )

    def format(self, signature: type[Signature], demos: list[dict[str, Any]],
               inputs: dict[str, Any]) -> LMRequest:
        messages: list[dict[str, Any]] = [
            {"role": "system", "content": self.system_prompt(signature)}
        ]
        for demo in demos:
            outputs = {k: to_jsonable(demo[k]) for k in signature.output_fields if k in demo}
            if not outputs or not any(k in demo for k in signature.input_fields):
                continue
            messages.append({"role": "user", "content": self.user_message(signature, demo)})
            messages.append({"role": "assistant", "content": orjson.dumps(outputs).decode()})
        messages.append({"role": "user", "content": self.user_message(signature, inputs)})
        return LMRequest(messages, response_schema=signature.output_schema(),
                         schema_name=signature.__name__)

    def format_retry(self, signature: type[Signature], demos: list[dict[str, Any]],
                     inputs: dict[str, Any], bad_reply: str, error: ParseError) -> LMRequest:
        request = self.format(signature, demos, inputs)
        reason = str(error).split("\n", 1)[0]
        request.messages.append({"role": "assistant", "content": bad_reply})
        request.messages.append({
            "role": "user",
            "content": f"That reply could not be used ({reason}). Reply again with only one "
                       f"JSON object with the keys "
                       f"{', '.join(repr(k) for k in signature.output_fields)}.",
        })
        return request

    def parse(self, signature: type[Signature], text: str) -> dict[str, Any]:
        body = text.strip()
        if body.startswith("```"):
            body = body.strip("`")
            body = body.removeprefix("json").strip()
        start, end = body.find("{"), body.rfind("}")
        if start < 0 or end <= start:
            raise ParseError("the reply is not a JSON object", raw=text)
        try:
            values = orjson.loads(body[start : end + 1])
        except orjson.JSONDecodeError as exc:
            raise ParseError(f"the reply is not valid JSON: {exc}", raw=text) from None
        if not isinstance(values, dict):
            raise ParseError("the reply is not a JSON object", raw=text)
        return validate_outputs(signature, values, text)
