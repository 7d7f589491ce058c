"""`retriever.as_dspy()`: a dspex_nb retriever serving DSPy (`dspy.configure(rm=...)`).

Its own module, below `base.py` (it needs only a retriever's `retrieve` and `name`), so the
base class can offer it without importing the bridge the other way (`dspy_bridge.py`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dspex_nb.errors import ConfigurationError

if TYPE_CHECKING:
    from dspex_nb.retrieve.base import Retriever


class AsDSPy:
    """A dspex_nb retriever as a DSPy retrieval model: `dspy.configure(rm=...)` or call it in
    a DSPy program. It answers as `dspy.ColBERTv2` does: a list of dicts with attribute access
    (`long_text`, `score`, `pid`, and the metadata), or the texts with `simplify=True`."""

    def __init__(self, retriever: Retriever):
        try:
            from dspy.dsp.utils import dotdict
        except ImportError as exc:
            raise ConfigurationError("as_dspy() needs DSPy: pip install 'dspex_nb[dspy]'"
                                     ) from exc
        self.retriever = retriever
        self._dotdict = dotdict

    def __call__(self, query: str, k: int = 3, simplify: bool = False, **kwargs: Any
                 ) -> list[Any]:
        documents = self.retriever.retrieve(query, k=k, **kwargs)
        if simplify:
            return [d.text for d in documents]
        return [self._dotdict({**d.metadata, "long_text": d.text, "score": d.score,
                               "pid": d.id}) for d in documents]

    def __repr__(self) -> str:
        return f"AsDSPy({self.retriever.name})"
