"""How field values and field lists are written into prompts (shared by the adapters)."""

from __future__ import annotations

import typing
from typing import Any, Literal

import orjson

from dspex_nb._json import json_default
from dspex_nb.signatures import Field, Signature


def render_value(value: Any) -> str:
    """Strings as they are; everything else as JSON."""
    if isinstance(value, str):
        return value
    return orjson.dumps(value, default=json_default).decode()


def describe_type(field: Field) -> str:
    if typing.get_origin(field.annotation) is Literal:
        return "one of: " + ", ".join(str(a) for a in typing.get_args(field.annotation))
    return field.type_text


def describe_fields(fields: dict[str, Field]) -> str:
    lines = []
    for i, (name, field) in enumerate(fields.items(), 1):
        desc = f": {field.desc}" if field.desc else ""
        lines.append(f"{i}. `{name}` ({describe_type(field)}){desc}")
    return "\n".join(lines)


def describe_task(signature: type[Signature]) -> str:
    """The start of every adapter's system prompt: the instructions, then each input and output
    field with its type and description; the adapter adds how to format the reply."""
    return (f"{signature.instructions}\n\n"
            f"Inputs:\n{describe_fields(signature.input_fields)}\n\n"
            f"Outputs:\n{describe_fields(signature.output_fields)}\n\n")
