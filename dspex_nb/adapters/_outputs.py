"""Checking parsed reply values against a signature's output types (every adapter's last step)."""

from __future__ import annotations

from typing import Any

import pydantic

from dspex_nb.errors import ParseError
from dspex_nb.signatures import Signature


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
