"""The DSPy retrieval bridge, with DSPy 3.4.1 really installed: dspy.ColBERTv2 against a
loopback server speaking ColBERT's HTTP API, dspy.retrievers.Embeddings with the offline
embedder, a dspy.Retrieve subclass, a plain function; and the other way, a dspex_nb store
serving dspy.Retrieve. Skipped without DSPy, except in CI, which must run it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

import dspex_nb as dx
from dspex_nb.retrieve import ChromaRetriever, DSPyRetriever, MiniLMEmbedder
from tests.support.colbert_server import ColBERTServer
from tests.support.corpus import CORPUS
from tests.support.dspy_required import import_dspy

dspy = import_dspy()


@pytest.fixture(autouse=True)
def no_dspy_cache() -> None:
    dspy.configure_cache(enable_disk_cache=False, enable_memory_cache=False)


@pytest.fixture(scope="module")
def colbert() -> Iterator[ColBERTServer]:
    server = ColBERTServer(CORPUS).start()
    yield server
    server.stop()


# -- DSPy retrievers as dspex_nb retrievers -----------------------------------------------------
@pytest.mark.parametrize("post", [False, True])
def test_colbertv2_answers_with_its_pids_scores_and_k(colbert: ColBERTServer,
                                                      post: bool) -> None:
    docs = DSPyRetriever(dspy.ColBERTv2(url=colbert.url, post_requests=post))
    found = docs.retrieve("What is the capital of Austria?", k=2)
    assert found[0].id == "1" and len(found) == 2
    assert found[0].text == CORPUS[1]
    assert found[0].score == pytest.approx(colbert.search("What is the capital of Austria?",
                                                          2)["topk"][0]["score"])
    assert found[0].metadata["rank"] == 1
    assert colbert.requests[-1]["method"] == ("POST" if post else "GET")
    assert int(colbert.requests[-1]["k"]) == 2


def test_embeddings_with_the_offline_embedder(colbert: ColBERTServer) -> None:
    plain = DSPyRetriever(dspy.retrievers.Embeddings(corpus=CORPUS, embedder=MiniLMEmbedder(),
                                                     k=3))
    found = plain.retrieve("Super Bowl 50", k=2)
    assert found[0].text == CORPUS[4] and found[0].id == "4"
    assert [d.score for d in found] == [0.0, -1.0]  # no scores from DSPy: minus the rank
    assert found[0].metadata == {"score": "rank"}
    scored = DSPyRetriever(dspy.retrievers.EmbeddingsWithScores(
        corpus=CORPUS, embedder=MiniLMEmbedder(), k=3))
    best = scored.retrieve("Super Bowl 50", k=1)[0]
    assert best.id == "4" and 0.3 < best.score <= 1.0
    with pytest.raises(dx.ArgumentError, match="built with k=3"):
        scored.retrieve("Super Bowl 50", k=4)


def test_a_dspy_retrieve_subclass_and_a_plain_function() -> None:
    class Shelf(dspy.Retrieve):
        def forward(self, query: str, k: int | None = None, **kwargs: Any) -> dspy.Prediction:
            return dspy.Prediction(passages=CORPUS[: k or self.k])

    assert [d.text for d in DSPyRetriever(Shelf(k=3)).retrieve("q", k=2)] == CORPUS[:2]

    def search(query: str, k: int) -> list[dict[str, Any]]:
        return [{"long_text": CORPUS[i], "id": f"doc-{i}", "score": 1 - i / 10}
                for i in range(k)]

    found = DSPyRetriever(search, name="wiki").retrieve("q", k=3)
    assert [d.id for d in found] == ["doc-0", "doc-1", "doc-2"]
    assert found[2].score == pytest.approx(0.8)


def test_a_failing_dspy_retriever_is_a_retrieval_error(colbert: ColBERTServer) -> None:
    def broken(query: str, k: int) -> list[str]:
        raise ConnectionError("the index is gone")

    with pytest.raises(dx.RetrievalError, match=r"dspy:broken failed.*the index is gone"):
        DSPyRetriever(broken, name="broken").retrieve("q")
    with pytest.raises(dx.RetrievalError, match="without text"):
        DSPyRetriever(lambda q, k: [{"pid": 1}], name="odd").retrieve("q")
    with pytest.raises(dx.ArgumentError, match="takes no where="):
        DSPyRetriever(dspy.ColBERTv2(url=colbert.url)).retrieve("q", where={"a": 1})


def test_a_bridged_search_is_a_retrieve_span_in_the_trace(colbert: ColBERTServer) -> None:
    docs = DSPyRetriever(dspy.ColBERTv2(url=colbert.url))
    with dx.trace() as t:
        dx.Retrieve(k=2, retriever=docs)("Which river divides Budapest?")
    [span] = t.spans("retrieve")
    assert span.attrs["retriever"] == "dspy:ColBERTv2" and span.attrs["count"] == 2


# -- dspex_nb retrievers serving DSPy -----------------------------------------------------------
def test_a_dspex_store_serves_dspy_retrieve() -> None:
    docs = ChromaRetriever(f"bridge-{os.getpid()}-{id(object())}")
    docs.add(CORPUS, ids=[f"d{i}" for i in range(len(CORPUS))])
    with dspy.context(rm=docs.as_dspy()), dx.trace() as t:
        passages = dspy.Retrieve(k=2)("What is the capital of Austria?").passages
    assert passages[0] == CORPUS[1] and len(passages) == 2
    assert len(t.spans("retrieve")) == 1
    [top] = docs.as_dspy()("Super Bowl", k=1)
    assert (top.long_text, top.pid) == (CORPUS[4], "d4") and top.score > 0
    assert docs.as_dspy()("Super Bowl", k=1, simplify=True) == [CORPUS[4]]


def test_a_dspy_program_retrieves_from_a_dspex_store() -> None:
    docs = ChromaRetriever(f"bridge-program-{os.getpid()}")
    docs.add(CORPUS)

    class Lookup(dspy.Module):
        def __init__(self) -> None:
            super().__init__()
            self.search = docs.as_dspy()

        def forward(self, question: str) -> dspy.Prediction:
            return dspy.Prediction(context=[p.long_text for p in self.search(question, k=1)])

    assert Lookup()(question="Which river divides Budapest?").context == [CORPUS[2]]
