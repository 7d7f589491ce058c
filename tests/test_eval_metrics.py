"""Answer metrics against the published SQuAD v1.1 evaluation behaviour, hand-checked."""

from __future__ import annotations

import pytest

import dspex_nb as dx
from dspex_nb.evaluation.metrics import exact_match, f1, normalize_answer


@pytest.mark.parametrize(
    ("text", "normalized"),
    [
        ("The  Quick, Brown fox!", "quick brown fox"),
        ("An apple a day", "apple day"),
        ("theater and anagram", "theater and anagram"),  # articles only as whole words
        ("U.S.A.", "usa"),
        ("don't stop", "dont stop"),
        ("  tabs\tand\nnewlines ", "tabs and newlines"),
        ("Café—Noir", "café—noir"),  # the em dash is not ASCII punctuation: kept, as in SQuAD
        ("¿Qué pasó?", "¿qué pasó"),  # ASCII "?" removed, "¿" kept
        ("“The Answer”", "“ answer”"),  # curly quotes kept, so "the" still goes
        ("ÜBER Straße", "über straße"),
        ("", ""),
    ],
)
def test_normalization_matches_squad_v1_1(text: str, normalized: str) -> None:
    assert normalize_answer(text) == normalized


def test_exact_match_ignores_case_punctuation_and_articles() -> None:
    assert exact_match("The Eiffel Tower.", "eiffel tower")
    assert not exact_match("Eiffel Towers", "eiffel tower")


def test_f1_counts_shared_tokens_with_multiplicity() -> None:
    assert f1("the cat sat", "cat sat on mat") == pytest.approx(2 / 3)
    assert f1("cat cat dog", "cat dog dog") == pytest.approx(2 / 3)
    assert f1("nothing shared", "other words") == 0.0
    assert f1("", "") == 0.0  # SQuAD v1.1: no shared tokens scores 0


def test_metric_takes_the_best_gold() -> None:
    example = dx.Example(question="q", answer=["Denver Broncos", "Broncos"])
    assert dx.metrics.answer_exact_match(example, dx.Prediction(answer="the Broncos")) == 1.0
    assert dx.metrics.f1_score(example, dx.Prediction(answer="Denver")) == pytest.approx(2 / 3)


def test_metric_field_can_be_chosen() -> None:
    example = dx.Example(text="t", label="Positive")
    assert dx.metrics.answer_exact_match(example, dx.Prediction(label="positive"),
                                         field="label") == 1.0


def test_passage_match_looks_inside_retrieved_passages() -> None:
    example = dx.Example(question="q", answer="Santa Clara")
    hit = dx.Prediction(context=["Levi's Stadium in Santa Clara, California."])
    miss = dx.Prediction(context=["San Francisco Bay Area."])
    assert dx.metrics.answer_passage_match(example, hit) == 1.0
    assert dx.metrics.answer_passage_match(example, miss) == 0.0


@pytest.mark.parametrize(("gold", "passage"), [
    ("18", "The cathedral was finished in 1858."),  # a number inside a longer number
    ("Rome", "Saint Jerome translated it."),  # a word inside a word
    ("80", "In 1880 the bridge opened."),
    ("art", "It was part of the collection."),
    ("New York", "a new yorker cartoon"),  # the second token only as a prefix
])
def test_passage_match_does_not_find_answers_inside_longer_tokens(gold: str, passage: str) -> None:
    example = dx.Example(question="q", answer=gold)
    assert dx.metrics.answer_passage_match(example, dx.Prediction(context=[passage])) == 0.0


@pytest.mark.parametrize(("gold", "passage"), [
    ("1858", "The cathedral was finished in 1858."),
    ("Rome", "He went to Rome, then home."),  # punctuation around it is dropped
    ("the Denver Broncos", "Denver Broncos won Super Bowl 50."),  # articles normalized away
    ("Santa Clara", "Levi's Stadium in Santa Clara, California."),
])
def test_passage_match_finds_whole_token_sequences(gold: str, passage: str) -> None:
    example = dx.Example(question="q", answer=gold)
    assert dx.metrics.answer_passage_match(example, dx.Prediction(context=[passage])) == 1.0


@pytest.mark.parametrize("gold", ["the", "an", "", " . ", None, [], ["Paris", "the"]])
@pytest.mark.parametrize("metric", [dx.metrics.answer_exact_match, dx.metrics.f1_score,
                                    dx.metrics.answer_passage_match])
def test_a_gold_that_is_missing_or_empty_after_normalization_is_a_data_error(
        gold: object, metric: object) -> None:
    example = dx.Example(question="q", answer=gold)
    prediction = dx.Prediction(answer="", context=["the an a"])
    with pytest.raises(dx.DataError, match="gold 'answer'"):
        metric(example, prediction)  # type: ignore[operator]


def test_a_none_prediction_is_an_empty_answer_not_the_text_none() -> None:
    example = dx.Example(question="q", answer="None")
    assert dx.metrics.answer_exact_match(example, dx.Prediction(answer=None)) == 0.0
    assert dx.metrics.f1_score(example, dx.Prediction(answer=None)) == 0.0
