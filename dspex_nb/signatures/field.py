"""A signature's fields, and the markers that declare them in the class form."""

from __future__ import annotations

import functools
import keyword
from dataclasses import dataclass
from typing import Any, Literal

from dspex_nb.signatures.types import type_to_text

FieldKind = Literal["input", "output"]


@dataclass(frozen=True)
class Field:
    """One named, typed field of a signature: its `name`, `kind` ("input" or "output"), the
    type `annotation` its values have, and `desc`, the description the prompt shows."""

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
    """Declare an input field in a class-form signature; `desc` tells the model what it is."""
    return FieldMarker("input", desc)


def OutputField(desc: str = "") -> Any:
    """Declare an output field in a class-form signature; `desc` tells the model what to
    write."""
    return FieldMarker("output", desc)


@functools.cache
def _shadowed() -> dict[str, str]:
    """Names a field cannot have, with why: each would shadow something and be lost."""
    import pydantic

    from dspex_nb.primitives import Example, Prediction

    reserved = {"config": "a predictor call takes config= as its per-call options",
                "lm": "a predictor call takes lm= as the LM to use"}
    for cls in (Example, Prediction):
        for name in dir(cls):
            if not name.startswith("_"):
                reserved.setdefault(name, f"{cls.__name__}.{name} is a method, so "
                                          f"`result.{name}` would not be the field")
    for name in dir(pydantic.BaseModel):
        if name.startswith("model_"):
            reserved.setdefault(name, "pydantic (which validates outputs) reserves it")
    return reserved


def field_name_problem(name: str) -> str | None:
    """Why `name` cannot be a field name, or None when it can."""
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
        return f"{name!r} is not a valid field name"
    if name.startswith("_"):
        return (f"field name {name!r} starts with '_', which Python keeps private: the field "
                f"would vanish from the signature")
    why = _shadowed().get(name)
    return f"field name {name!r} is reserved: {why}; pick another name" if why else None
