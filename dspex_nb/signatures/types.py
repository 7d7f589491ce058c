"""Field types: parse the type text of a string signature, and print a type back as text.

The string form is parsed by hand (no eval) so a typo gets an error with its position.
"""

from __future__ import annotations

import types
import typing
from typing import Any, Literal

import pydantic

from dspex_nb.errors import SignatureError

_SIMPLE: dict[str, Any] = {
    "str": str,
    "int": int,
    "float": float,
    "bool": bool,
    "dict": dict,
    "list": list,
    "Any": Any,
}
_GENERIC = {"list": list, "dict": dict, "Literal": Literal, "Optional": typing.Optional}


class _TypeParser:
    def __init__(self, text: str, offset: int, signature: str, custom: dict[str, Any]):
        self.text = text
        self.pos = 0
        self.offset = offset
        self.signature = signature
        self.custom = custom

    def error(self, message: str) -> SignatureError:
        return SignatureError(message, signature=self.signature, position=self.offset + self.pos)

    def skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def parse(self) -> Any:
        self.skip_space()
        result = self.parse_type()
        self.skip_space()
        if self.pos != len(self.text):
            raise self.error(f"unexpected {self.text[self.pos:]!r} after the type")
        return result

    def parse_name(self) -> str:
        self.skip_space()
        start = self.pos
        while self.pos < len(self.text) and (
            self.text[self.pos].isalnum() or self.text[self.pos] in "_."
        ):
            self.pos += 1
        if start == self.pos:
            raise self.error("expected a type name")
        return self.text[start : self.pos]

    def parse_type(self) -> Any:
        start = self.pos
        name = self.parse_name()
        self.skip_space()
        if self.pos < len(self.text) and self.text[self.pos] == "[":
            if name not in _GENERIC:
                self.pos = start
                if name in _SIMPLE or name in self.custom:
                    raise self.error(f"type {name!r} takes no parameters")
                raise self.unknown(name)
            self.pos += 1
            if name == "Literal":
                args: list[Any] = self.parse_literals()
            else:
                args = [self.parse_type()]
                self.skip_space()
                while self.pos < len(self.text) and self.text[self.pos] == ",":
                    self.pos += 1
                    args.append(self.parse_type())
                    self.skip_space()
            self.expect("]")
            return self.build(name, args, start)
        if name in _SIMPLE:
            return _SIMPLE[name]
        if name in self.custom:
            return self.custom[name]
        self.pos = start
        raise self.unknown(name)

    def unknown(self, name: str) -> SignatureError:
        known = ", ".join([*_SIMPLE, "list[T]", "dict[K, V]", "Literal[...]", "Optional[T]",
                           *self.custom])
        return self.error(f"unknown type {name!r} (known: {known}; pass others with types={{...}})")

    def build(self, name: str, args: list[Any], start: int) -> Any:
        if name == "list":
            if len(args) != 1:
                self.pos = start
                raise self.error("list takes one parameter: list[T]")
            return list[args[0]]  # type: ignore[valid-type]
        if name == "dict":
            if len(args) != 2:
                self.pos = start
                raise self.error("dict takes two parameters: dict[K, V]")
            return dict[args[0], args[1]]  # type: ignore[valid-type]
        if name == "Optional":
            if len(args) != 1:
                self.pos = start
                raise self.error("Optional takes one parameter")
            return typing.Optional[args[0]]  # noqa: UP045
        return Literal[tuple(args)]

    def parse_literals(self) -> list[Any]:
        values: list[Any] = []
        while True:
            self.skip_space()
            values.append(self.parse_literal())
            self.skip_space()
            if self.pos < len(self.text) and self.text[self.pos] == ",":
                self.pos += 1
                continue
            return values

    def parse_literal(self) -> Any:
        if self.pos >= len(self.text):
            raise self.error("expected a literal value")
        quote = self.text[self.pos]
        if quote in "'\"":
            end = self.text.find(quote, self.pos + 1)
            if end < 0:
                raise self.error("unterminated string literal")
            value = self.text[self.pos + 1 : end]
            self.pos = end + 1
            return value
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] not in ",]":
            self.pos += 1
        token = self.text[start : self.pos].strip()
        for convert in (int, float):
            try:
                return convert(token)
            except ValueError:
                pass
        if token in ("True", "False"):
            return token == "True"
        if token.isidentifier():
            return token  # bare words are accepted as strings: Literal[positive, negative]
        self.pos = start
        raise self.error(f"cannot read literal {token!r}")

    def expect(self, char: str) -> None:
        self.skip_space()
        if self.pos >= len(self.text) or self.text[self.pos] != char:
            raise self.error(f"expected {char!r}")
        self.pos += 1


def parse_type(
    text: str, *, offset: int = 0, signature: str = "", custom: dict[str, Any] | None = None
) -> Any:
    """Parse the type text of a signature field, e.g. ``list[str]`` or ``Literal['a', 'b']``."""
    return _TypeParser(text, offset, signature or text, custom or {}).parse()


def type_to_text(annotation: Any) -> str:
    """The inverse of `parse_type`, used to save signatures as JSON and to show them to the LM."""
    if annotation is Any:
        return "Any"
    if isinstance(annotation, type) and not typing.get_args(annotation):
        if issubclass(annotation, pydantic.BaseModel):
            return annotation.__name__
        return annotation.__name__
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is Literal:
        return "Literal[" + ", ".join(repr(a) for a in args) + "]"
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        if len(inner) == 1 and len(args) == 2:
            return f"Optional[{type_to_text(inner[0])}]"
        return " | ".join(type_to_text(a) for a in args)
    if origin is list:
        return f"list[{type_to_text(args[0])}]" if args else "list"
    if origin is dict:
        return f"dict[{type_to_text(args[0])}, {type_to_text(args[1])}]" if args else "dict"
    return getattr(annotation, "__name__", repr(annotation))


def custom_types_of(annotation: Any) -> dict[str, str]:
    """Import paths of the pydantic models inside a type, so a saved signature can find them."""
    found: dict[str, str] = {}
    if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
        found[annotation.__name__] = f"{annotation.__module__}:{annotation.__qualname__}"
    for arg in typing.get_args(annotation):
        found.update(custom_types_of(arg))
    return found


def annotation_problem(annotation: Any) -> str | None:
    """What makes a field type unusable, found at definition rather than at the first call
    (pydantic fails on an empty Literal with a bare AssertionError); None if nothing."""
    if typing.get_origin(annotation) is Literal and not typing.get_args(annotation):
        return "Literal[()] allows no value at all"
    for arg in typing.get_args(annotation):
        if not isinstance(arg, str | int | bool | bytes | type(None)) or isinstance(arg, type):
            problem = annotation_problem(arg)
            if problem:
                return problem
    return None
