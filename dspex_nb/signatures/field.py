"""A signature's fields, and the markers that declare them in the class form."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from dspex_nb.signatures.types import type_to_text

FieldKind = Literal["input", "output"]


@dataclass(frozen=True)
class Field:
    """One named, typed field of a signature."""

    name: str
    kind: FieldKind
    annotation: Any = str
    desc: str = ""

    @property
    def type_text(self) -> str:
        return type_to_text(self.annotation)


@dataclass(frozen=True)
class FieldMarker:
    """What `InputField()` / `OutputField()` return before the class gives them a name and type."""

    kind: FieldKind
    desc: str = ""


def InputField(desc: str = "") -> Any:
    """Declare an input field in a class-form signature."""
    return FieldMarker("input", desc)


def OutputField(desc: str = "") -> Any:
    """Declare an output field in a class-form signature."""
    return FieldMarker("output", desc)
