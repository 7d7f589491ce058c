"""Signatures: the typed inputs and outputs of an LM call, and the instructions for it.

Two forms give the same kind of object, a `Signature` subclass:

    dx.Signature("question, context: list[str] -> answer, confidence: float")

    class QA(dx.Signature):
        '''Answer the question from the context.'''
        question: str = dx.InputField()
        answer: str = dx.OutputField(desc="a short phrase")
"""

from __future__ import annotations

import functools
import sys
from dataclasses import replace
from typing import Any, ClassVar

import pydantic

from dspex_nb._imports import import_object
from dspex_nb.errors import FormatError, InputError, SignatureError
from dspex_nb.signatures.field import Field, FieldMarker, field_name_problem
from dspex_nb.signatures.parser import parse_signature
from dspex_nb.signatures.types import annotation_problem, custom_types_of, parse_type


def _ordered(fields: dict[str, Field]) -> dict[str, Field]:
    inputs = {k: f for k, f in fields.items() if f.kind == "input"}
    outputs = {k: f for k, f in fields.items() if f.kind == "output"}
    return {**inputs, **outputs}


def _side_text(fields: dict[str, Field]) -> str:
    return ", ".join(k if f.annotation is str else f"{k}: {f.type_text}" for k, f in fields.items())


def _default_instructions(fields: dict[str, Field]) -> str:
    ins = ", ".join(f"`{k}`" for k, f in fields.items() if f.kind == "input")
    outs = ", ".join(f"`{k}`" for k, f in fields.items() if f.kind == "output")
    return f"Given the fields {ins}, produce the fields {outs}."


class SignatureMeta(type):
    """Collects fields from annotations, and lets `Signature("a -> b")` build a new signature."""

    fields: dict[str, Field]
    instructions: str
    _inputs: dict[str, Field]
    _outputs: dict[str, Field]
    _text: str

    def __new__(
        mcs, name: str, bases: tuple[type, ...], namespace: dict[str, Any], **kwargs: Any
    ) -> SignatureMeta:
        annotations: dict[str, Any] = dict(namespace.get("__annotations__", {}))
        markers = {k: v for k, v in namespace.items() if isinstance(v, FieldMarker)}
        for key in markers:
            namespace.pop(key)
        cls = super().__new__(mcs, name, bases, namespace, **kwargs)
        inherited: dict[str, Field] = {}
        for base in reversed(bases):
            inherited.update(getattr(base, "fields", {}))
        fields = dict(inherited)
        for key, annotation in annotations.items():
            if key in markers and (problem := field_name_problem(key)):
                raise SignatureError(f"{name}: {problem}")
            if key.startswith("_") or getattr(annotation, "__origin__", None) is ClassVar:
                continue
            marker = markers.get(key)
            if marker is None:
                if key in ("fields", "instructions"):
                    continue
                raise SignatureError(
                    f"field {key!r} of {name} needs `= dx.InputField()` or `= dx.OutputField()`"
                )
            if isinstance(annotation, str):
                annotation = _resolve_annotation(annotation, key, namespace)
            fields[key] = Field(key, marker.kind, annotation, marker.desc)
        unannotated = set(markers) - set(annotations)
        if unannotated:
            raise SignatureError(f"fields {sorted(unannotated)} of {name} need a type annotation")
        cls.fields = _ordered(fields)
        cls._inputs = {k: f for k, f in cls.fields.items() if f.kind == "input"}
        cls._outputs = {k: f for k, f in cls.fields.items() if f.kind == "output"}
        cls._text = f"{_side_text(cls._inputs)} -> {_side_text(cls._outputs)}"
        doc = namespace.get("__doc__")
        cls.instructions = (doc or "").strip() or _default_instructions(cls.fields)
        if bases:
            _check(cls)
        return cls

    def __call__(cls, spec: str | type[Signature], instructions: str | None = None, *,
                 types: dict[str, Any] | None = None, name: str | None = None
                 ) -> type[Signature]:
        """`Signature("question -> answer")` parses the string form into a new signature;
        `name=` is its class name (default `StringSignature`), `types=` the classes its field
        types may name."""
        if name is not None and not (isinstance(name, str) and name.isidentifier()):
            raise SignatureError(f"a signature's name is a Python identifier, not {name!r}")
        if isinstance(spec, SignatureMeta):
            if name is None and instructions is None:
                return spec
            fields, default, default_name = spec.fields, spec.instructions, spec.__name__
        elif isinstance(spec, str):
            fields = parse_signature(spec, types or {})
            default, default_name = _default_instructions(fields), "StringSignature"
        else:
            raise SignatureError(f"a signature is a string or a Signature class, not {spec!r}")
        return _make(name or default_name, fields,
                     default if instructions is None else instructions)

    def __repr__(cls) -> str:
        return f"Signature({cls.signature_text!r})"

    @property
    def input_fields(cls) -> dict[str, Field]:
        """The input fields in order (computed once per signature; do not mutate)."""
        return cls._inputs

    @property
    def output_fields(cls) -> dict[str, Field]:
        """The output fields in order (computed once per signature; do not mutate)."""
        return cls._outputs

    @property
    def signature_text(cls) -> str:
        """`question, context: list[str] -> answer` (computed once per signature)."""
        return cls._text


class Signature(metaclass=SignatureMeta):
    """Base class of all signatures; see the module docstring for the two forms."""

    fields: ClassVar[dict[str, Field]]
    instructions: ClassVar[str]

    @classmethod
    def with_instructions(cls, instructions: str) -> type[Signature]:
        return _make(cls.__name__, cls.fields, instructions)

    @classmethod
    def with_field_desc(cls, name: str, desc: str) -> type[Signature]:
        if name not in cls.fields:
            raise SignatureError(f"{cls.__name__} has no field {name!r}")
        fields = dict(cls.fields)
        fields[name] = replace(fields[name], desc=desc)
        return _make(cls.__name__, fields, cls.instructions)

    @classmethod
    def prepend_output(cls, name: str, annotation: Any = str, desc: str = "") -> type[Signature]:
        """A copy with a new first output field (ChainOfThought adds `reasoning` this way)."""
        return cls._with_field(Field(name, "output", annotation, desc))

    @classmethod
    def append_input(cls, name: str, annotation: Any = str, desc: str = "") -> type[Signature]:
        """A copy with a new last input field (MultiChainComparison adds the chains so)."""
        return cls._with_field(Field(name, "input", annotation, desc))

    @classmethod
    def _with_field(cls, new: Field) -> type[Signature]:
        """A copy with `new` between the inputs and the outputs: last of the inputs, or first
        of the outputs."""
        if new.name in cls.fields:
            raise SignatureError(f"{cls.__name__} already has a field {new.name!r}")
        if problem := field_name_problem(new.name):
            raise SignatureError(problem)
        fields = {**cls.input_fields, new.name: new, **cls.output_fields}
        return _make(cls.__name__, fields, cls.instructions)

    @classmethod
    def output_model(cls) -> type[pydantic.BaseModel]:
        """A pydantic model of the outputs: validation of LM answers and their JSON schema."""
        return _output_model(cls)

    @classmethod
    def output_schema(cls) -> dict[str, Any]:
        return _output_schema(cls)

    @classmethod
    def validate_inputs(cls, inputs: dict[str, Any]) -> dict[str, Any]:
        """Check presence and types of inputs; raise `InputError` before any LM call."""
        missing = [k for k in cls.input_fields if k not in inputs]
        if missing:
            raise InputError(
                f"missing input(s) {missing} for signature {cls.signature_text!r}; "
                f"got {sorted(inputs)}", fields=missing)
        try:
            validated = _input_model(cls).model_validate(
                {k: inputs[k] for k in cls.input_fields}
            )
        except pydantic.ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']} (got {e.get('input')!r:.80})"
                for e in exc.errors()
            )
            fields = sorted({str(e["loc"][0]) for e in exc.errors() if e["loc"]})
            raise InputError(f"wrong input type for {cls.signature_text!r}: {problems}",
                             fields=fields) from None
        return {k: getattr(validated, k) for k in cls.input_fields}

    @classmethod
    def dump(cls) -> dict[str, Any]:
        """A plain JSON form of the signature, enough to rebuild it with `Signature.from_dump`."""
        custom: dict[str, str] = {}
        for f in cls.fields.values():
            custom.update(custom_types_of(f.annotation))
        return {
            "name": cls.__name__,
            "instructions": cls.instructions,
            "fields": [
                {"name": f.name, "kind": f.kind, "type": f.type_text, "desc": f.desc}
                for f in cls.fields.values()
            ],
            "types": custom,
        }

    @classmethod
    def from_dump(cls, data: dict[str, Any]) -> type[Signature]:
        """The signature `dump()` described; a FormatError saying what is wrong with a dump
        that was edited or damaged (never a KeyError from inside)."""
        if not isinstance(data, dict):
            raise FormatError(f"a saved signature is a JSON object, not "
                              f"{type(data).__name__} {data!r:.60}")
        try:
            types = {name: import_object(path) for name, path in data.get("types", {}).items()}
            fields: dict[str, Field] = {}
            for f in data["fields"]:
                if f["kind"] not in ("input", "output") or not isinstance(f["name"], str):
                    raise FormatError(f"field {f!r:.80} has no name or a kind other than "
                                      f"input/output")
                if problem := field_name_problem(f["name"]):
                    raise FormatError(problem)
                fields[f["name"]] = Field(f["name"], f["kind"],
                                          parse_type(f["type"], custom=types),
                                          str(f.get("desc", "")))
            instructions = data["instructions"]
            if not isinstance(instructions, str):
                raise FormatError(f"instructions are text, not {type(instructions).__name__}")
            return _make(data.get("name", "Signature"), fields, instructions)
        except FormatError:
            raise
        except KeyError as exc:
            raise FormatError(f"a saved signature lacks {exc}") from None
        except (TypeError, AttributeError, ValueError, ImportError) as exc:
            raise FormatError(f"a saved signature that cannot be rebuilt: "
                              f"{type(exc).__name__}: {exc}") from None

    @classmethod
    def equals(cls, other: type[Signature]) -> bool:
        return cls.dump() == other.dump()


def _resolve_annotation(text: str, key: str, namespace: dict[str, Any]) -> Any:
    """String annotations (``from __future__ import annotations``) in a class-form signature."""
    module = sys.modules.get(namespace.get("__module__", ""))
    scope = dict(vars(module)) if module else {}
    custom = {k: v for k, v in scope.items() if isinstance(v, type)}
    try:
        return parse_type(text, signature=f"{key}: {text}", custom=custom)
    except SignatureError:
        try:
            return eval(text, scope)  # the user's own annotation, as typing.get_type_hints does
        except Exception:
            raise SignatureError(f"cannot resolve the type {text!r} of field {key!r}") from None


def ensure_signature(spec: str | type[Signature]) -> type[Signature]:
    """Accept either form wherever a signature is expected: `spec` is a string
    ("question -> answer") or a Signature class."""
    return SignatureMeta.__call__(Signature, spec)


def _check(cls: SignatureMeta) -> None:
    if not cls.output_fields:
        raise SignatureError(f"signature {cls.__name__} has no output field")
    for f in cls.fields.values():
        if problem := annotation_problem(f.annotation):
            raise SignatureError(f"field {f.name!r} of {cls.__name__}: {problem}")


def _pydantic_model(sig: SignatureMeta, suffix: str, fields: dict[str, Any]
                    ) -> type[pydantic.BaseModel]:
    """The pydantic model of some fields; a type pydantic cannot handle is a SignatureError
    naming the signature, not an error from inside pydantic."""
    try:
        model: type[pydantic.BaseModel] = pydantic.create_model(
            f"{sig.__name__}{suffix}",
            __config__=pydantic.ConfigDict(coerce_numbers_to_str=True,
                                           arbitrary_types_allowed=True),
            **fields)
    except (pydantic.PydanticSchemaGenerationError, pydantic.PydanticUserError, TypeError,
            ValueError, AssertionError) as exc:
        raise SignatureError(f"signature {sig.signature_text!r} has a field type that cannot "
                             f"be validated: {type(exc).__name__}: {str(exc)[:200]}") from None
    return model


def _make(name: str, fields: dict[str, Field], instructions: str) -> type[Signature]:
    namespace: dict[str, Any] = {"__doc__": instructions, "__annotations__": {}}
    for key, f in fields.items():
        namespace["__annotations__"][key] = f.annotation
        namespace[key] = FieldMarker(f.kind, f.desc)
    sig = SignatureMeta.__new__(SignatureMeta, name, (Signature,), namespace)
    return sig  # type: ignore[return-value]


@functools.lru_cache(maxsize=4096)
def _output_model(sig: SignatureMeta) -> type[pydantic.BaseModel]:
    return _pydantic_model(sig, "Outputs", {
        k: (f.annotation, pydantic.Field(description=f.desc or None))
        for k, f in sig.output_fields.items()})


@functools.lru_cache(maxsize=4096)
def _output_schema(sig: SignatureMeta) -> dict[str, Any]:
    return _output_model(sig).model_json_schema()


@functools.lru_cache(maxsize=4096)
def _input_model(sig: SignatureMeta) -> type[pydantic.BaseModel]:
    return _pydantic_model(sig, "Inputs",
                           {k: (f.annotation, ...) for k, f in sig.input_fields.items()})
