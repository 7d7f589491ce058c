"""The string form of a signature: `"question, context: list[str] -> answer"`.

Parsed by hand (no eval), so a typo gets an error with its position; field types are parsed
by `types.parse_type`.
"""

from __future__ import annotations

from typing import Any

from dspex_nb.errors import SignatureError
from dspex_nb.signatures.field import Field, FieldKind, field_name_problem
from dspex_nb.signatures.types import parse_type


def parse_signature(text: str, types: dict[str, Any]) -> dict[str, Field]:
    """The fields of a string signature, in order; a `SignatureError` points at a mistake."""
    arrow = text.find("->")
    if arrow < 0:
        raise SignatureError(
            "a signature needs '->' between inputs and outputs", signature=text, position=len(text)
        )
    second = text.find("->", arrow + 2)
    if second >= 0:
        raise SignatureError("a signature has exactly one '->'", signature=text, position=second)
    fields: dict[str, Field] = {}
    for kind, start, end in (("input", 0, arrow), ("output", arrow + 2, len(text))):
        for item, offset in _split_top_level(text, start, end):
            field = _parse_item(text, item, offset, kind, types)  # type: ignore[arg-type]
            if field.name in fields:
                lead = len(item) - len(item.lstrip())
                raise SignatureError(
                    f"field {field.name!r} appears twice", signature=text, position=offset + lead
                )
            fields[field.name] = field
    if not any(f.kind == "output" for f in fields.values()):
        raise SignatureError("a signature needs at least one output field after '->'",
                             signature=text, position=len(text))
    return fields


def _split_top_level(text: str, start: int, end: int) -> list[tuple[str, int]]:
    """Split `text[start:end]` on commas outside brackets and quotes; keep each piece's offset."""
    pieces: list[tuple[str, int]] = []
    depth = 0
    quote = ""
    piece_start = start
    for i in range(start, end):
        ch = text[i]
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
            if depth < 0:
                raise SignatureError("unbalanced ']'", signature=text, position=i)
        elif ch == "," and depth == 0:
            pieces.append((text[piece_start:i], piece_start))
            piece_start = i + 1
    if depth > 0:
        raise SignatureError("unclosed '['", signature=text, position=end)
    pieces.append((text[piece_start:end], piece_start))
    if len(pieces) == 1 and not pieces[0][0].strip():
        return []
    return pieces


def _parse_item(text: str, item: str, offset: int, kind: FieldKind,
                types: dict[str, Any]) -> Field:
    lead = len(item) - len(item.lstrip())
    name_part, colon, type_part = item.partition(":")
    name = name_part.strip()
    if not name:
        raise SignatureError("empty field name", signature=text, position=offset + lead)
    problem = field_name_problem(name)
    if problem:
        raise SignatureError(problem, signature=text, position=offset + lead)
    annotation: Any = str
    if colon:
        if not type_part.strip():
            raise SignatureError(f"field {name!r} has ':' but no type", signature=text,
                                 position=offset + len(name_part) + 1)
        annotation = parse_type(type_part, offset=offset + len(name_part) + 1, signature=text,
                                custom=types)
    return Field(name, kind, annotation)
