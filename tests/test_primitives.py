from __future__ import annotations

import pickle

import pytest

import dspex_nb as dx


def test_example_splits_inputs_and_labels() -> None:
    ex = dx.Example(question="2+2?", answer="4", source="web").with_inputs("question")
    assert dict(ex.inputs()) == {"question": "2+2?"}
    assert dict(ex.labels()) == {"answer": "4", "source": "web"}


def test_example_fields_read_as_attributes_and_keys() -> None:
    ex = dx.Example(question="q")
    assert ex.question == "q" and ex["question"] == "q"


def test_example_inputs_require_with_inputs() -> None:
    with pytest.raises(ValueError, match="with_inputs"):
        dx.Example(question="q").inputs()


def test_with_inputs_rejects_unknown_keys() -> None:
    with pytest.raises(dx.ArgumentError, match="questoin"):
        dx.Example(question="q").with_inputs("questoin")


def test_missing_attribute_names_the_fields_there_are() -> None:
    with pytest.raises(AttributeError, match="question"):
        _ = dx.Prediction(answer="a").question


def test_example_survives_pickle_with_its_input_keys() -> None:
    ex = dx.Example(q="a", a="b").with_inputs("q")
    again = pickle.loads(pickle.dumps(ex))
    assert again == ex and again.input_keys == ("q",)
