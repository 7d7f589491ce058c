"""`Retrieve`: the retrieval step of a program, as a module.

    retrieve = dx.Retrieve(k=3)                 # uses dx.configure(retriever=...)
    found = retrieve("who won Super Bowl 50?")
    found.passages   # the texts, best first
    found.documents  # with ids, scores and metadata (DSPy drops them; they are kept here)

Its `k` is program state: saved with the program and loaded back. The retriever itself (an
object with a store behind it) is not saved: pass it again, or configure it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dspex_nb import _checks as checks
from dspex_nb import settings
from dspex_nb.errors import ArgumentError, ConfigurationError, FormatError
from dspex_nb.modules.module import Stateful
from dspex_nb.primitives import Prediction
from dspex_nb.retrieve.base import Retriever


@dataclass
class _CheckedK:
    k: int


class Retrieve(Stateful):
    """Find the `k` passages most similar to a query with the retriever given, or the one
    configured (`dx.configure(retriever=...)`)."""

    _span_kind = "module"

    def __init__(self, k: int = 3, *, retriever: Retriever | None = None):
        self.k = checks.whole_number("k", k)
        if retriever is not None and not isinstance(retriever, Retriever):
            raise ArgumentError(f"retriever must be a dx.retrieve.Retriever (such as "
                                f"ChromaRetriever), not {type(retriever).__name__}")
        self.retriever = retriever

    def _retriever(self) -> Retriever:
        found = self.retriever if self.retriever is not None else settings.get("retriever")
        if found is None:
            raise ConfigurationError("no retriever: pass Retrieve(retriever=...) or call "
                                     "dx.configure(retriever=dx.retrieve.ChromaRetriever(...))")
        return found

    def forward(self, query: str | None = None, *, k: int | None = None,
                where: dict[str, Any] | None = None, **inputs: Any) -> Prediction:
        documents = self._retriever().retrieve(_query(query, inputs),
                                               k=self.k if k is None else k, where=where)
        return Prediction(passages=[d.text for d in documents], documents=documents)

    async def aforward(self, query: str | None = None, *, k: int | None = None,
                       where: dict[str, Any] | None = None, **inputs: Any) -> Prediction:
        documents = await self._retriever().aretrieve(_query(query, inputs),
                                                      k=self.k if k is None else k, where=where)
        return Prediction(passages=[d.text for d in documents], documents=documents)

    # -- state ----------------------------------------------------------------------------------
    def dump_state(self) -> dict[str, Any]:
        return {"k": self.k}

    def check_state(self, state: Any) -> _CheckedK:
        if not isinstance(state, dict) or "k" not in state:
            raise FormatError("a Retrieve state is a JSON object with its 'k'")
        k = state["k"]
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise FormatError(f"a Retrieve's k is a whole number >= 1, not {k!r}")
        return _CheckedK(k)

    def apply_state(self, checked: _CheckedK) -> Retrieve:
        self.k = checked.k
        return self

    def _init_args(self) -> dict[str, Any]:
        return {"k": self.k}

    def __repr__(self) -> str:
        name = self.retriever.name if self.retriever is not None else "configured"
        return f"Retrieve(k={self.k}, retriever={name})"


def _query(query: str | None, inputs: dict[str, Any]) -> str:
    """The query: positional or `query=`, or the one input of an example under its own name
    (the harness calls `program(question=...)`), so Retrieve is evaluated like any program."""
    if query is not None and not inputs:
        return query
    if query is None and len(inputs) == 1:
        return next(iter(inputs.values()))  # type: ignore[no-any-return]
    raise ArgumentError(f"Retrieve takes one query (positional, query=, or one input field), "
                        f"not {sorted(inputs) + (['query'] if query is not None else [])}")
