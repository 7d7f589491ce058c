"""`Document` and the `Retriever` base: one interface for every retrieval model.

    retriever.retrieve("who won?", k=3, where={"year": 2016}) -> list[Document]
    await retriever.aretrieve(...); retriever.retrieve_many([q1, q2], k=3)

Scores are similarities: higher is better, whatever the store measures underneath (a cosine
retriever's score is the cosine similarity). Every call is a `retrieve` span (query, k, count,
top score, retriever; never the vectors). A subclass implements `_search`, batched.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from dspex_nb import _checks as checks
from dspex_nb._engine import in_thread
from dspex_nb.errors import ArgumentError
from dspex_nb.retrieve.as_dspy import AsDSPy
from dspex_nb.telemetry.spans import span


@dataclass(frozen=True)
class Document:
    """A retrieved passage: its id in the store, its text, its score (a similarity: higher is
    better) and the metadata stored with it."""

    id: str
    text: str
    score: float
    metadata: dict[str, Any] = field(default_factory=dict)


def check_query(query: Any) -> str:
    if not isinstance(query, str) or not query.strip():
        raise ArgumentError(f"a query is a non-empty string, not {query!r:.60}")
    return query


class Retriever(ABC):
    """Anything that finds passages for a query. Subclasses write `_search` (a batch of
    queries at once); this class checks arguments, times calls and records the span."""

    # Search options a store understands beyond k and where (pgvector: ef_search, exact),
    # given per call as keywords; any other keyword is an ArgumentError.
    search_options: frozenset[str] = frozenset()

    @property
    def name(self) -> str:
        return type(self).__name__

    @abstractmethod
    def _search(self, queries: list[str], k: int, where: Mapping[str, Any] | None,
                **options: Any) -> list[list[Document]]:
        """The k best documents for each query, best first."""

    def retrieve_many(self, queries: Sequence[str], *, k: int = 3,
                      where: Mapping[str, Any] | None = None, **options: Any
                      ) -> list[list[Document]]:
        """The k best documents for each query (one batched search), best first."""
        if isinstance(queries, str) or not isinstance(queries, Sequence):
            raise ArgumentError(f"queries must be a list of strings, not {queries!r:.60}")
        checked = [check_query(q) for q in queries]
        k = checks.whole_number("k", k)
        if where is not None and not isinstance(where, Mapping):
            raise ArgumentError(f"where must be a dict of metadata conditions, not {where!r:.60}")
        unknown = sorted(set(options) - self.search_options)
        if unknown:
            raise ArgumentError(
                f"{self.name} has no search option {', '.join(map(repr, unknown))}; it takes "
                f"k=, where={''.join(f', {o}=' for o in sorted(self.search_options))}")
        start = time.perf_counter()
        with span("retrieve", self.name, retriever=self.name, k=k, queries=len(checked),
                  query=checked[0] if len(checked) == 1 else None, **options) as s:
            results = self._search(checked, k, where, **options) if checked else []
            if s is not None:
                found = [d for docs in results for d in docs]
                s.set(count=len(found), top_score=max((d.score for d in found), default=None),
                      search_ms=(time.perf_counter() - start) * 1000,
                      documents=[{"id": d.id, "score": d.score, "text": d.text[:300]}
                                 for d in (results[0] if len(results) == 1 else [])])
        return results

    def retrieve(self, query: str, *, k: int = 3, where: Mapping[str, Any] | None = None,
                 **options: Any) -> list[Document]:
        """The k documents most similar to `query`, best first."""
        return self.retrieve_many([check_query(query)], k=k, where=where, **options)[0]

    async def aretrieve(self, query: str, *, k: int = 3,
                        where: Mapping[str, Any] | None = None, **options: Any
                        ) -> list[Document]:
        """`retrieve` in a worker thread (searching is CPU and disk work), this context kept."""
        return await in_thread(self.retrieve, query, k=k, where=where, **options)

    def as_dspy(self) -> Any:
        """This retriever as a DSPy retrieval model (`dspy.configure(rm=docs.as_dspy())`):
        searches still go through dspex_nb's telemetry. Needs DSPy installed."""
        return AsDSPy(self)

    def __bool__(self) -> bool:
        return True  # an empty store is still a retriever (`len` asks the store: not for `if`)

    def __deepcopy__(self, memo: dict[int, Any]) -> Retriever:
        return self  # programs are copied, the store they search is shared (as LMs are)

    def __call__(self, query: str, *, k: int = 3, where: Mapping[str, Any] | None = None,
                 **options: Any) -> list[Document]:
        return self.retrieve(query, k=k, where=where, **options)
