"""Answer metrics with SQuAD v1.1 normalization, as its official evaluation script does it:
lower case, drop ASCII punctuation, drop the articles a/an/the, collapse whitespace. Unicode
letters and non-ASCII punctuation are kept, exactly as the published script keeps them.

Metric functions follow `metric(example, prediction, trace=None) -> float`; the gold answer may
be a string or a list of strings (the best match counts).
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

_PUNCTUATION = frozenset(string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b")


def normalize_answer(text: str) -> str:
    text = text.lower()
    text = "".join(ch for ch in text if ch not in _PUNCTUATION)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def exact_match(prediction: str, gold: str) -> bool:
    return normalize_answer(prediction) == normalize_answer(gold)


def f1(prediction: str, gold: str) -> float:
    """Token-level F1 of normalized answers (0 when nothing is shared, as in SQuAD v1.1)."""
    pred_tokens = normalize_answer(prediction).split()
    gold_tokens = normalize_answer(gold).split()
    common = Counter(pred_tokens) & Counter(gold_tokens)
    same = sum(common.values())
    if same == 0:
        return 0.0
    precision = same / len(pred_tokens)
    recall = same / len(gold_tokens)
    return 2 * precision * recall / (precision + recall)


def _golds(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Iterable):
        return [str(v) for v in value]
    return [str(value)]


def best_over_golds(fn: Any, prediction: str, golds: str | Sequence[str]) -> float:
    return max((float(fn(prediction, g)) for g in _golds(golds)), default=0.0)


def answer_exact_match(example: Any, prediction: Any, trace: Any = None, *,
                       field: str = "answer") -> float:
    """1.0 if the predicted `field` equals any gold `field` after normalization."""
    return best_over_golds(exact_match, str(prediction[field]), example[field])


def f1_score(example: Any, prediction: Any, trace: Any = None, *, field: str = "answer") -> float:
    """Best token F1 of the predicted `field` against the gold `field`(s)."""
    return best_over_golds(f1, str(prediction[field]), example[field])


def answer_passage_match(example: Any, prediction: Any, trace: Any = None, *,
                         field: str = "answer", passages: str = "context") -> float:
    """1.0 if any gold answer appears (normalized) inside any retrieved passage."""
    texts = prediction[passages] if passages in prediction else example[passages]
    normalized = [normalize_answer(str(p)) for p in _golds(texts)]
    return float(any(normalize_answer(g) in p for g in _golds(example[field])
                     for p in normalized))
