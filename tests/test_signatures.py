from __future__ import annotations

from typing import ClassVar, Literal

import pydantic
import pytest

import dspex_nb as dx


class Person(pydantic.BaseModel):
    name: str
    age: int


class QA(dx.Signature):
    """Answer the question from the context."""

    question: str = dx.InputField(desc="a factual question")
    context: list[str] = dx.InputField()
    answer: str = dx.OutputField(desc="a short phrase")
    confidence: float = dx.OutputField()


def test_string_form_reads_names_kinds_and_types() -> None:
    sig = dx.Signature("question, context: list[str] -> answer, confidence: float")
    assert list(sig.input_fields) == ["question", "context"]
    assert list(sig.output_fields) == ["answer", "confidence"]
    assert sig.fields["context"].annotation == list[str]
    assert sig.fields["confidence"].annotation is float
    assert sig.fields["answer"].annotation is str


def test_string_form_reads_literal_dict_bool_and_nested_types() -> None:
    sig = dx.Signature("a: dict[str, list[int]], b: bool -> label: Literal['yes', 'no'], n: int")
    assert sig.fields["a"].annotation == dict[str, list[int]]
    assert sig.fields["label"].annotation == Literal["yes", "no"]


def test_string_form_accepts_pydantic_models_by_name() -> None:
    sig = dx.Signature("text -> person: Person", types={"Person": Person})
    assert sig.fields["person"].annotation is Person
    assert sig.output_schema()["properties"]["person"]["$ref"].endswith("Person")


def test_class_form_takes_docstring_as_instructions_and_keeps_descriptions() -> None:
    assert QA.instructions == "Answer the question from the context."
    assert QA.fields["question"].desc == "a factual question"
    assert QA.signature_text == "question, context: list[str] -> answer, confidence: float"


def test_class_form_without_docstring_gets_default_instructions() -> None:
    class NoDoc(dx.Signature):
        x: str = dx.InputField()
        y: str = dx.OutputField()

    assert "`x`" in NoDoc.instructions and "`y`" in NoDoc.instructions


@pytest.mark.parametrize(
    ("text", "position", "words"),
    [
        ("question answer -> x", 0, "not a valid field name"),
        ("q -> a: lisst[str]", 8, "unknown type 'lisst'"),
        ("q -> a: flaot", 8, "unknown type 'flaot'"),
        ("q -> ", 5, "at least one output"),
        ("q a", 3, "needs '->'"),
        ("q -> a -> b", 7, "exactly one '->'"),
        ("q, q -> a", 3, "appears twice"),
        ("q -> a: list[str", 16, "unclosed '['"),
        ("q, -> a", 3, "empty field name"),
        ("q -> a:", 7, "no type"),
        ("class -> a", 0, "not a valid field name"),
        ("q -> a: int[str]", 8, "takes no parameters"),
    ],
)
def test_malformed_string_names_problem_and_position(text: str, position: int, words: str) -> None:
    with pytest.raises(dx.SignatureError) as info:
        dx.Signature(text)
    assert info.value.position == position
    assert words in str(info.value)


def test_class_field_without_marker_is_an_error() -> None:
    with pytest.raises(dx.SignatureError, match=r"needs `= dx\.InputField"):
        type("Bad", (dx.Signature,), {"__annotations__": {"x": str}})


def test_signature_without_outputs_is_an_error() -> None:
    with pytest.raises(dx.SignatureError, match="no output field"):

        class OnlyInputs(dx.Signature):
            x: str = dx.InputField()


def test_with_instructions_returns_new_signature_and_keeps_original() -> None:
    changed = QA.with_instructions("Be terse.")
    assert changed.instructions == "Be terse."
    assert QA.instructions == "Answer the question from the context."
    assert list(changed.fields) == list(QA.fields)


def test_dump_and_from_dump_round_trip_types_and_descriptions() -> None:
    sig = dx.Signature("text, tags: list[str] -> person: Person, kind: Literal['a', 'b']",
                       "Extract.", types={"Person": Person})
    again = dx.Signature.from_dump(sig.dump())
    assert again.equals(sig)
    assert again.fields["person"].annotation is Person
    assert again.fields["kind"].annotation == Literal["a", "b"]
    assert QA.equals(dx.Signature.from_dump(QA.dump()))


def test_output_schema_keeps_field_order() -> None:
    sig = dx.Signature("q -> zeta, alpha: int, mid: float")
    assert list(sig.output_schema()["properties"]) == ["zeta", "alpha", "mid"]


def test_validate_inputs_reports_missing_fields() -> None:
    with pytest.raises(dx.InputError, match=r"missing input\(s\) \['context'\]"):
        QA.validate_inputs({"question": "q"})


def test_validate_inputs_rejects_wrong_types() -> None:
    with pytest.raises(dx.InputError, match="context"):
        QA.validate_inputs({"question": "q", "context": 5})


def test_validate_inputs_accepts_numbers_for_text_fields() -> None:
    assert QA.validate_inputs({"question": 42, "context": ["a"]})["question"] == "42"


# -- names that would break a program (issue 18) -------------------------------------------------
@pytest.mark.parametrize(("spec", "why"), [
    ("_x -> y", "starts with '_'"), ("q -> model_config", "pydantic"),
    ("q -> model_dump", "pydantic"), ("config -> a", "per-call options"),
    ("lm -> a", "the LM to use"), ("q -> items", "Example.items is a method"),
    ("inputs -> a", "Example.inputs is a method"), ("q -> to_dict", "is a method"),
])
def test_a_reserved_or_shadowing_field_name_is_refused_at_definition(spec: str, why: str) -> None:
    with pytest.raises(dx.SignatureError, match=why):
        dx.Signature(spec)


def test_a_private_field_in_the_class_form_is_refused_rather_than_dropped() -> None:
    with pytest.raises(dx.SignatureError, match=r"'_x' starts with '_'.*would vanish"):
        class Private(dx.Signature):
            _x: str = dx.InputField()
            y: str = dx.OutputField()


def test_a_dunder_field_in_the_class_form_is_refused() -> None:
    with pytest.raises(dx.SignatureError, match="'__weird__' starts with '_'"):
        class Dunder(dx.Signature):
            __weird__: str = dx.InputField()
            y: str = dx.OutputField()


def test_a_shadowing_field_in_the_class_form_is_refused() -> None:
    with pytest.raises(dx.SignatureError, match="'model_config' is reserved"):
        class Shadow(dx.Signature):
            q: str = dx.InputField()
            model_config: str = dx.OutputField()


def test_an_empty_literal_is_a_signature_error_at_definition() -> None:
    with pytest.raises(dx.SignatureError, match=r"field 'y' of Empty: Literal\[\(\)\] allows"):
        class Empty(dx.Signature):
            q: str = dx.InputField()
            y: Literal[()] = dx.OutputField()  # type: ignore[valid-type]


def test_private_annotations_without_a_field_marker_are_still_allowed() -> None:
    class WithHelper(dx.Signature):
        _cache: ClassVar[int] = 0
        q: str = dx.InputField()
        a: str = dx.OutputField()

    assert list(WithHelper.fields) == ["q", "a"]


def test_string_signature_takes_a_class_name() -> None:
    sig = dx.Signature("question -> answer", "Answer briefly.", name="QA")
    assert sig.__name__ == "QA"
    assert sig.instructions == "Answer briefly."
    assert sig.dump()["name"] == "QA"


def test_string_signature_name_must_be_an_identifier() -> None:
    with pytest.raises(dx.SignatureError, match="identifier"):
        dx.Signature("question -> answer", name="not a name")
