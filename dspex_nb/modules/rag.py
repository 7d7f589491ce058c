"""`RAG`: retrieve passages, then answer from them — an ordinary module (no special case in
the harness or SIMBA), and the example to copy for your own pipelines:

    class RAG(dx.Module):
        def __init__(self, k=3, *, retriever=None):
            self.retrieve = dx.Retrieve(k, retriever=retriever)
            self.answer = dx.ChainOfThought("context: list[str], question -> answer")

        def forward(self, question):
            found = self.retrieve(question)
            result = self.answer(context=found.passages, question=question)
            return dx.Prediction(answer=result.answer, reasoning=result.reasoning,
                                 context=found.passages, documents=found.documents)

The prediction keeps the passages (`context`, which `dx.metrics.answer_passage_match` reads)
and the documents with their ids and scores (which the retrieval metrics read).
"""

from __future__ import annotations

from dspex_nb.modules.chain_of_thought import ChainOfThought
from dspex_nb.modules.module import Module
from dspex_nb.modules.retrieve import Retrieve
from dspex_nb.primitives import Prediction
from dspex_nb.retrieve.base import Retriever

ANSWER = "context: list[str], question -> answer"


class RAG(Module):
    """Retrieve `k` passages for the question, then answer from them with ChainOfThought.

    Args:
        k: passages per question.
        retriever: where they come from (default: the configured `retriever`).
    """

    def __init__(self, k: int = 3, *, retriever: Retriever | None = None):
        self.retrieve = Retrieve(k, retriever=retriever)
        self.answer = ChainOfThought(ANSWER)

    def forward(self, question: str) -> Prediction:
        found = self.retrieve(question)
        result = self.answer(context=found.passages, question=question)
        return Prediction(answer=result.answer, reasoning=result.reasoning,
                          context=found.passages, documents=found.documents)

    async def aforward(self, question: str) -> Prediction:
        found = await self.retrieve.acall(question)
        result = await self.answer.acall(context=found.passages, question=question)
        return Prediction(answer=result.answer, reasoning=result.reasoning,
                          context=found.passages, documents=found.documents)
