"""Class-form signatures in a module that uses `from __future__ import annotations`."""

from __future__ import annotations

from typing import Literal

import pydantic

import dspex_nb as dx


class Item(pydantic.BaseModel):
    name: str


class Extract(dx.Signature):
    """Extract items."""

    text: str = dx.InputField()
    found: list[Item] = dx.OutputField()
    mood: Literal["good", "bad"] = dx.OutputField()


def test_string_annotations_resolve_to_real_types() -> None:
    assert Extract.fields["found"].annotation == list[Item]
    assert Extract.fields["mood"].annotation == Literal["good", "bad"]
