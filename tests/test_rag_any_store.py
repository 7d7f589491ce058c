"""Same code, any store: one RAG program, unchanged, evaluated on in-process Chroma, on
PostgreSQL with pgvector, and on a DSPy retriever through the bridge, gives the same
retrieval and the same answers."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

import dspex_nb as dx
from dspex_nb.lm import LMRequest
from dspex_nb.retrieve import ChromaRetriever, MiniLMEmbedder, PgVectorRetriever, Retriever
from tests.support.corpus import CORPUS
from tests.support.dspy_required import import_dspy
from tests.support.postgres_server import PostgresServer

dspy = import_dspy()

pytestmark = pytest.mark.integration

IDS = [str(i) for i in range(len(CORPUS))]  # the corpus index: what DSPy's Embeddings returns


def _chroma(_: PostgresServer) -> Retriever:
    r = ChromaRetriever(f"any-{uuid.uuid4().hex[:8]}")
    r.add(CORPUS, ids=IDS)
    return r


def _pgvector(server: PostgresServer) -> Retriever:
    r = PgVectorRetriever(server.dsn, table=f"any_{uuid.uuid4().hex[:8]}")
    r.add(CORPUS, ids=IDS)
    return r


def _dspy(_: PostgresServer) -> Retriever:
    return dx.retrieve.DSPyRetriever(dspy.retrievers.EmbeddingsWithScores(
        corpus=CORPUS, embedder=MiniLMEmbedder(), k=2))


def _answer_from_context(request: LMRequest) -> dict[str, Any]:
    text = request.messages[-1]["content"]
    for city, country in (("Vienna", "Austria"), ("Budapest", "Hungary")):
        if f"{city} is the capital of {country}" in text and country in text.split("question")[-1]:
            return {"reasoning": "from the context", "answer": city}
    return {"reasoning": "not in the context", "answer": "unknown"}


@pytest.mark.parametrize("store", [_chroma, _pgvector, _dspy], ids=["chroma", "pgvector", "dspy"])
def test_one_rag_program_runs_unchanged_on_every_store(
        postgres_server: PostgresServer, store: Callable[[PostgresServer], Retriever]) -> None:
    dx.configure(lm=dx.ScriptedLM(_answer_from_context, cycle=True), cache=False,
                 retriever=store(postgres_server))
    devset = [dx.Example(question="What is the capital of Austria?", answer="Vienna",
                         gold_ids=["1"]).with_inputs("question"),
              dx.Example(question="What is the capital of Hungary?", answer="Budapest",
                         gold_ids=["2"]).with_inputs("question"),
              dx.Example(question="Who won Super Bowl 50?", answer="Broncos",
                         gold_ids=["4"]).with_inputs("question")]
    report = dx.evaluate(dx.RAG(k=2), devset,
                         [dx.metrics.answer_exact_match, dx.metrics.recall_at_k(1, ids="gold_ids")],
                         display="none")
    assert report.failures == 0
    assert report.scores("answer_exact_match") == [1.0, 1.0, 0.0]
    assert report.scores("recall@1") == [1.0, 1.0, 1.0]
