"""Examples as every lifecycle step takes them: from any collection of rows, with inputs
marked, and one definition of an example's identity by content."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import orjson

from dspex_nb._json import to_jsonable
from dspex_nb.errors import InputError
from dspex_nb.primitives import Example


def to_examples(rows: Any, input_keys: Sequence[str] | None = None) -> list[Example]:
    """A list of Examples from Examples, dicts, a DataFrame, or any iterable of them;
    `input_keys` marks the inputs (else every row must say, through `with_inputs`)."""
    try:
        import pandas as pd

        if isinstance(rows, pd.DataFrame):
            rows = rows.to_dict("records")
    except ImportError:  # pragma: no cover - pandas is a dependency
        pass
    examples: list[Example] = []
    for i, item in enumerate(rows):
        if isinstance(item, Example):
            ex = item
        elif isinstance(item, Mapping):
            ex = Example(dict(item))
        else:
            raise InputError(f"item {i} is a {type(item).__name__}, not an Example or dict")
        if input_keys is not None:
            ex = ex.with_inputs(*input_keys)
        elif ex._input_keys is None:
            raise InputError(f"item {i} does not say which fields are inputs: call "
                             f".with_inputs(...) on the examples or pass input_keys=[...]")
        examples.append(ex)
    return examples


def content_key(example: Mapping[str, Any]) -> bytes:
    """An example's identity: its fields as canonical JSON (key order does not matter)."""
    return orjson.dumps(to_jsonable(dict(example)), option=orjson.OPT_SORT_KEYS)


def fingerprint(examples: Iterable[Mapping[str, Any]], *, ordered: bool = True) -> str:
    """SHA-256 (hex) of the examples' canonical JSON, every row: one changed row, or one more,
    gives another fingerprint. With `ordered=False` the same rows in any order give the same
    one. Experiments record it for their devset; `dx.Dataset.fingerprint` is this."""
    keys = [content_key(example) for example in examples]
    if not ordered:
        keys.sort()
    digest = hashlib.sha256(b"[")
    for i, key in enumerate(keys):
        digest.update(b"," if i else b"")
        digest.update(key)
    digest.update(b"]")
    return digest.hexdigest()
