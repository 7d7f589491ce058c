"""The JSON wire format: a system prompt naming the keys, demos as turns, one JSON object back.

`JSONAdapter` speaks it, and every adapter falls back to it for its one retry (`Adapter.acall`).
"""

from __future__ import annotations

import functools
from typing import Any

import orjson

from dspex_nb._json import to_jsonable
from dspex_nb.adapters._outputs import validate_outputs
from dspex_nb.adapters._render import describe_task, render_value
from dspex_nb.errors import ParseError
from dspex_nb.lm.types import LMRequest
from dspex_nb.signatures import Signature


@functools.lru_cache(maxsize=4096)
def system_prompt(signature: type[Signature]) -> str:
    """Built once per signature: it is the same text on every call."""
    keys = ", ".join(f'"{k}"' for k in signature.output_fields)
    return f"{describe_task(signature)}Reply with one JSON object with exactly the keys {keys}."


def user_message(signature: type[Signature], values: dict[str, Any]) -> str:
    return "\n".join(
        f"{k}: {render_value(values[k])}" for k in signature.input_fields if k in values
    )


def json_request(signature: type[Signature], demos: list[dict[str, Any]],
                 inputs: dict[str, Any]) -> LMRequest:
    messages: list[dict[str, Any]] = [{"role": "system", "content": system_prompt(signature)}]
    for demo in demos:
        outputs = {k: to_jsonable(demo[k]) for k in signature.output_fields if k in demo}
        if not outputs or not any(k in demo for k in signature.input_fields):
            continue
        messages.append({"role": "user", "content": user_message(signature, demo)})
        messages.append({"role": "assistant", "content": orjson.dumps(outputs).decode()})
    messages.append({"role": "user", "content": user_message(signature, inputs)})
    return LMRequest(messages, response_schema=signature.output_schema(),
                     schema_name=signature.__name__)


def parse_json_reply(signature: type[Signature], text: str) -> dict[str, Any]:
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
