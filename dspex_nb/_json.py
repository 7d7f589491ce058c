"""Plain JSON values from anything a program holds (pydantic models, Examples, ...)."""

from __future__ import annotations

from typing import Any

import orjson
import pydantic


def json_default(value: Any) -> Any:
    """orjson's fallback: pydantic models as their JSON dump, anything else as text."""
    if isinstance(value, pydantic.BaseModel):
        return value.model_dump(mode="json")
    return str(value)


def to_jsonable(value: Any) -> Any:
    """`value` as plain lists, dicts, strings and numbers (what JSON and widget traits hold)."""
    return orjson.loads(orjson.dumps(value, default=json_default))
