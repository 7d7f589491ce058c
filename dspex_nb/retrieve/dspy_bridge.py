"""Bridges to DSPy retrieval, both ways.

    docs = DSPyRetriever(dspy.ColBERTv2(url="http://colbert:8893/api/search"))
    docs.retrieve("who won?", k=5)        # -> [Document, ...], a `retrieve` span like any other

    dspy.configure(rm=chroma_docs.as_dspy())   # a dspex_nb store serves a DSPy program
    dspy.Retrieve(k=3)("who won?").passages

`DSPyRetriever` takes any DSPy retrieval model or callable: `dspy.ColBERTv2`,
`dspy.retrievers.Embeddings` (and `EmbeddingsWithScores`), a `dspy.Retrieve` subclass, or a
function `(query, k) -> passages`. What they return is mapped to `Document`s:
- a list of strings, or of dicts (`long_text` or `text`, with `score` and `pid` or `id` when
  given), or a Prediction with `passages` (and `scores`, `indices` when given);
- the id is the store's (`pid`, `id`, corpus index) when it gives one, else a hash of the text
  (as `add` makes one);
- the score is the store's when it gives one. When it gives none (`Embeddings` without
  scores, plain strings), the score is minus the rank (0 for the first), so higher is still
  better, and `metadata["score"]` says `"rank"`.
DSPy itself is not imported here: the bridge reads what the objects give. The other way,
`retriever.as_dspy()`, is `retrieve/as_dspy.py`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

from dspex_nb.errors import ArgumentError, DspexError, RetrievalError
from dspex_nb.retrieve.base import Document, Retriever
from dspex_nb.retrieve.passages import text_id

_TEXT_KEYS = ("long_text", "text", "passage", "content")
_ID_KEYS = ("pid", "id", "index")


class DSPyRetriever(Retriever):
    """A DSPy retrieval model `rm` (any callable DSPy would call with a query and `k`) as a
    dspex_nb Retriever. `name` names it in telemetry (default:
    its class). A model that fixes its own `k` (`Embeddings(k=5)`) answers at most that many;
    asking for more is an ArgumentError rather than fewer passages than asked."""

    def __init__(self, rm: Callable[..., Any], *, name: str | None = None):
        if not callable(rm):
            raise ArgumentError(f"rm must be a DSPy retrieval model or a function, not "
                                f"{type(rm).__name__}")
        self.rm = rm
        self._name = name or type(rm).__name__
        self._takes_k = _takes_k(rm)

    @property
    def name(self) -> str:
        return f"dspy:{self._name}"

    def _search(self, queries: list[str], k: int, where: Mapping[str, Any] | None,
                **options: Any) -> list[list[Document]]:
        if where:
            raise ArgumentError(f"{self.name} takes no where= (DSPy retrievers have no "
                                f"metadata filter)")
        fixed = getattr(self.rm, "k", None)
        if not self._takes_k and isinstance(fixed, int) and k > fixed:
            raise ArgumentError(f"{self.name} was built with k={fixed} and answers at most "
                                f"that many passages; asked for {k}")
        results = []
        for query in queries:
            try:
                found = self.rm(query, k=k) if self._takes_k else self.rm(query)
            except DspexError:
                raise
            except Exception as exc:
                raise RetrievalError(f"{self.name} failed for {query!r:.60}: "
                                     f"{type(exc).__name__}: {exc}") from None
            results.append(to_documents(found, self.name)[:k])
        return results

    def __repr__(self) -> str:
        return f"DSPyRetriever({self._name})"


def _takes_k(rm: Callable[..., Any]) -> bool:
    target = getattr(rm, "forward", None) or rm
    try:
        parameters = inspect.signature(target).parameters
    except (TypeError, ValueError):
        return True
    return "k" in parameters or any(p.kind is p.VAR_KEYWORD for p in parameters.values())


def to_documents(found: Any, name: str) -> list[Document]:
    """What a DSPy retriever returned, as Documents, best first."""
    passages: Any = found
    scores: Any = None
    indices: Any = None
    if not isinstance(found, list | tuple):
        get = found.get if isinstance(found, Mapping) else (
            lambda key, default=None: getattr(found, key, default))
        passages = get("passages", None)
        if passages is None:
            raise RetrievalError(f"{name} returned a {type(found).__name__} without passages")
        scores = get("scores", None)
        indices = get("indices", None)
        if indices is None:
            indices = get("pids", None)
    documents = []
    for rank, item in enumerate(passages):
        text, score, doc_id, metadata = _item(item, name)
        if score is None and scores is not None and rank < len(scores):
            score = float(scores[rank])
        if doc_id is None and indices is not None and rank < len(indices):
            doc_id = str(indices[rank])
        if score is None:
            score, metadata = float(-rank), {**metadata, "score": "rank"}
        documents.append(Document(id=doc_id or text_id(text), text=text, score=score,
                                  metadata=metadata))
    return documents


def _item(item: Any, name: str) -> tuple[str, float | None, str | None, dict[str, Any]]:
    if isinstance(item, str):
        return item, None, None, {}
    if isinstance(item, Mapping):
        text = next((item[k] for k in _TEXT_KEYS if isinstance(item.get(k), str)), None)
        if text is None:
            raise RetrievalError(f"{name} returned a passage without text: {dict(item)!r:.100}")
        score = item.get("score")
        doc_id = next((str(item[k]) for k in _ID_KEYS if item.get(k) is not None), None)
        metadata = {k: v for k, v in item.items() if k not in (*_TEXT_KEYS, "score", *_ID_KEYS)
                    and isinstance(v, str | int | float | bool)}
        return text, float(score) if isinstance(score, int | float) else None, doc_id, metadata
    text = getattr(item, "long_text", None)
    if isinstance(text, str):
        return text, None, None, {}
    raise RetrievalError(f"{name} returned a passage that is a {type(item).__name__}, not "
                         f"text or a dict with text")
