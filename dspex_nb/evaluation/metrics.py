"""Answer metrics with SQuAD v1.1 normalization, as its official evaluation script does it:
lower case, drop ASCII punctuation, drop the articles a/an/the, collapse whitespace. Unicode
letters and non-ASCII punctuation are kept, exactly as the published script keeps them.

Metric functions follow `metric(example, prediction, trace=None) -> float`; the gold answer may
be a string or a list of strings (the best match counts). A gold that is missing, None or
empty after normalization is a `DataError`, never a pass: the harness checks the golds of these
metrics before the first example runs.
"""

from __future__ import annotations

import functools
import math
import re
import string
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from dspex_nb.errors import ArgumentError, DataError

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


def golds_of(example: Any, field: str) -> list[str]:
    """The gold answers of `example[field]` (a string or a list of them); a `DataError` when
    one is missing, None, or empty after normalization ("", "the", "..."): such a gold would
    match everything, or an empty prediction, and score a pass it never earned."""
    if field not in example:
        raise DataError(f"the example has no gold field {field!r} (it has {sorted(example)})")
    value = example[field]
    if value is None:
        raise DataError(f"gold {field!r} is None")
    golds = list(value) if isinstance(value, Iterable) and not isinstance(value, str) else [value]
    if not golds:
        raise DataError(f"gold {field!r} is an empty list")
    for gold in golds:
        if gold is None or not normalize_answer(str(gold)):
            raise DataError(f"gold {field!r} value {gold!r} is empty after normalization "
                            f"(lower case, no punctuation or articles)")
    return [str(g) for g in golds]


def _text(prediction: Any, field: str) -> str:
    """The predicted field as text; None (no answer) is the empty answer, never "None"."""
    value = prediction[field]
    return "" if value is None else str(value)


def best_over_golds(fn: Any, prediction: str, golds: Sequence[str]) -> float:
    return max((float(fn(prediction, g)) for g in golds), default=0.0)


def answer_exact_match(example: Any, prediction: Any, trace: Any = None, *,
                       field: str = "answer") -> float:
    """1.0 if the predicted `field` equals any gold `field` after normalization."""
    return best_over_golds(exact_match, _text(prediction, field), golds_of(example, field))


def f1_score(example: Any, prediction: Any, trace: Any = None, *, field: str = "answer") -> float:
    """Best token F1 of the predicted `field` against the gold `field`(s)."""
    return best_over_golds(f1, _text(prediction, field), golds_of(example, field))


def has_answer(gold: str, passage: str) -> bool:
    """Does the gold answer's token sequence appear, whole tokens in a row, in the passage?
    (both SQuAD-normalized: "18" is not found in "1858", nor "rome" in "jerome")"""
    needle = normalize_answer(gold).split()
    haystack = normalize_answer(passage).split()
    if not needle:
        return False
    first, size = needle[0], len(needle)
    return any(haystack[i:i + size] == needle
               for i in range(len(haystack) - size + 1) if haystack[i] == first)


def answer_passage_match(example: Any, prediction: Any, trace: Any = None, *,
                         field: str = "answer", passages: str = "context") -> float:
    """1.0 if any gold answer appears as whole tokens in a row (normalized) in any passage:
    the prediction's `passages` field if it has one, else the example's."""
    texts = prediction[passages] if passages in prediction else example[passages]
    texts = [texts] if isinstance(texts, str) else list(texts)
    golds = golds_of(example, field)
    return float(any(has_answer(g, str(p)) for g in golds for p in texts))


# -- retrieval -----------------------------------------------------------------------------------
def gold_ids_of(example: Any, field: str) -> list[str]:
    """The gold document ids of `example[field]` (one id or a list), compared exactly (no
    normalization); a `DataError` when missing or empty."""
    if field not in example:
        raise DataError(f"the example has no gold field {field!r} (it has {sorted(example)})")
    value = example[field]
    ids = list(value) if isinstance(value, list | tuple | set) else [value]
    if not ids:
        raise DataError(f"gold {field!r} is an empty list")
    if any(i is None or str(i) == "" for i in ids):
        raise DataError(f"gold {field!r} holds an empty id: {value!r:.80}")
    return [str(i) for i in ids]


def _relevance(example: Any, prediction: Any, field: str, ids: str | None) -> list[bool]:
    """For each retrieved passage, best first: is it relevant? With `ids`, a document is
    relevant when its id is among the example's gold ids; else when a gold answer of `field`
    appears in its text as whole tokens (`has_answer`, as DPR counts it)."""
    docs = prediction["documents"] if "documents" in prediction else prediction["passages"]
    docs = [docs] if isinstance(docs, str) else list(docs)
    if ids is not None:
        gold = set(gold_ids_of(example, ids))
        found = [getattr(d, "id", None) if not isinstance(d, dict) else d.get("id") for d in docs]
        if any(i is None for i in found):
            raise DataError("the prediction's passages have no ids to compare with the gold "
                            "ids: retrieve with dx.Retrieve (its `documents` carry ids)")
        return [i in gold for i in found]
    golds = golds_of(example, field)
    texts = [d if isinstance(d, str) else (d.get("text", "") if isinstance(d, dict)
                                           else getattr(d, "text", "")) for d in docs]
    return [any(has_answer(g, str(t)) for g in golds) for t in texts]


def _retrieval_metric(name: str, score: Any, field: str, ids: str | None) -> Any:
    def metric(example: Any, prediction: Any, trace: Any = None) -> float:
        return float(score(example, _relevance(example, prediction, field, ids)))

    metric.__name__ = metric.__qualname__ = name
    # What the harness checks before the first example (see unusable_golds).
    metric.gold_fields = [] if ids else [field]  # type: ignore[attr-defined]
    metric.id_fields = [ids] if ids else []  # type: ignore[attr-defined]
    return metric


def recall_at_k(k: int, *, field: str = "answer", ids: str | None = None) -> Any:
    """A metric named `recall@k`: with `ids` (an example field of gold document ids), the
    share of the gold ids among the first k documents; else 1.0 when a gold answer appears in
    one of the first k passages (DPR's top-k accuracy, the usual open-domain QA "recall")."""
    k = _k(k)

    def score(example: Any, relevant: list[bool]) -> float:
        if ids is not None:
            return sum(relevant[:k]) / len(set(gold_ids_of(example, ids)))
        return float(any(relevant[:k]))

    return _retrieval_metric(f"recall@{k}", score, field, ids)


def mrr(*, field: str = "answer", ids: str | None = None, k: int | None = None) -> Any:
    """A metric named `mrr` (or `mrr@k`): 1 / the rank of the first relevant passage, 0 when
    none of the retrieved (first k) is relevant. Relevance as in `recall_at_k`."""
    limit = _k(k) if k is not None else None

    def score(example: Any, relevant: list[bool]) -> float:
        ranked = relevant[:limit] if limit is not None else relevant
        return next((1.0 / (rank + 1) for rank, hit in enumerate(ranked) if hit), 0.0)

    return _retrieval_metric("mrr" if limit is None else f"mrr@{limit}", score, field, ids)


def ndcg_at_k(k: int, *, field: str = "answer", ids: str | None = None) -> Any:
    """A metric named `ndcg@k`, binary relevance: DCG of the first k over the ideal DCG. With
    `ids`, the ideal ranks min(k, number of gold ids) relevant documents first; with answers
    (where relevant passages outside the results are unknown), the ideal is the relevant
    passages that were retrieved, ranked first."""
    k = _k(k)

    def score(example: Any, relevant: list[bool]) -> float:
        gains = [1.0 / math.log2(rank + 2) for rank in range(k)]
        dcg = sum(g for g, hit in zip(gains, relevant[:k], strict=False) if hit)
        ideal_hits = (min(k, len(set(gold_ids_of(example, ids)))) if ids is not None
                      else min(k, sum(relevant)))
        ideal = sum(gains[:ideal_hits])
        return dcg / ideal if ideal else 0.0

    return _retrieval_metric(f"ndcg@{k}", score, field, ids)


def _k(k: Any) -> int:
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ArgumentError(f"k must be a whole number >= 1, not {k!r}")
    return k


# The built-in metrics that read a gold field (named by their `field` keyword): the harness
# checks those golds before the first example runs. Retrieval metrics say theirs in
# `metric.gold_fields`.
_GOLD_METRICS = (answer_exact_match, f1_score, answer_passage_match)


def gold_fields(metric: Any) -> list[str]:
    """The gold fields a metric reads, if it is a built-in one (directly or through
    `functools.partial(metric, field=...)`); [] for any other metric."""
    keywords: dict[str, Any] = {}
    while isinstance(metric, functools.partial):
        keywords = {**metric.keywords, **keywords}
        metric = metric.func
    if metric in _GOLD_METRICS:
        return [keywords.get("field", "answer")]
    return list(getattr(metric, "gold_fields", []))


def unusable_golds(metrics: Iterable[Any], examples: Sequence[Any]) -> dict[int, str]:
    """Example index -> what is wrong with its gold, for the golds the metrics will read."""
    metrics = list(metrics)
    checks = [(golds_of, f) for f in sorted({f for m in metrics for f in gold_fields(m)})]
    checks += [(gold_ids_of, f) for f in sorted({f for m in metrics
                                                 for f in getattr(m, "id_fields", [])})]
    problems: dict[int, str] = {}
    for i, example in enumerate(examples):
        for check, name in checks:
            try:
                check(example, name)
            except DataError as exc:
                problems[i] = str(exc)
                break
    return problems
