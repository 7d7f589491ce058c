"""The cache key: a hash of the canonical request, never of anything secret."""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

# Only these parts of a request decide its answer. API keys, headers and base URLs with
# credentials are not among them, so they cannot leak into a key or an entry.
KEY_VERSION = 1


def request_key(
    *,
    model: str,
    messages: list[dict[str, Any]],
    params: dict[str, Any],
    response_schema: dict[str, Any] | None,
    sample_id: int | None,
) -> str:
    """The cache key of a request: SHA-256 of the canonical JSON of the model, messages,
    params (no secrets: keys are never in a request), response_schema and sample_id (which
    of several samples at one temperature)."""
    canonical = {
        "v": KEY_VERSION,
        "model": model,
        "messages": messages,
        "params": params,
        "schema": response_schema,
        "sample": sample_id,
    }
    blob = orjson.dumps(canonical, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
    return hashlib.sha256(blob).hexdigest()
