"""Retrieval on a real in-process Chroma with the real offline embedder (no mocks): adding,
searching, filters, scores, persistence across processes, the embedder guard, bad input, the
Retrieve module, RAG in the harness and SIMBA, retrieval metrics, and the retrieve span."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import dspex_nb as dx
from dspex_nb.lm import LMRequest
from dspex_nb.retrieve import ChromaRetriever, Document, MiniLMEmbedder, TruncationWarning
from tests.support.corpus import CORPUS


def _name() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def retriever() -> ChromaRetriever:
    r = ChromaRetriever(_name())
    r.add(CORPUS, ids=[f"d{i}" for i in range(len(CORPUS))],
          metadatas=[{"topic": "geo"}] * 3 + [{"topic": "bio"}, {"topic": "sport"}])
    return r


# -- the embedder -------------------------------------------------------------------------------
def test_the_embedder_gives_unit_vectors_where_paraphrases_are_closest() -> None:
    vectors = np.array(MiniLMEmbedder()(["A man is eating food.",
                                         "A man is eating a piece of bread.",
                                         "A monkey is playing drums."]))
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    similarity = vectors @ vectors.T
    assert similarity[0, 1] > 0.7 > 0.2 > similarity[0, 2]


def test_batching_does_not_change_the_vectors() -> None:
    texts = [t * (i + 1) for i, t in enumerate(CORPUS)]
    one = np.array(MiniLMEmbedder(batch_size=1)(texts))
    many = np.array(MiniLMEmbedder(batch_size=4)(texts))
    assert np.allclose(one, many, atol=1e-4)


def test_a_text_over_the_token_window_is_truncated_with_one_warning() -> None:
    embedder = MiniLMEmbedder()
    long = "word " * 600
    with pytest.warns(TruncationWarning, match="longer than 256 tokens"):
        first = embedder([long])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        second = embedder([long + "more words at the end"])  # the same first 256 tokens
    assert np.allclose(first[0], second[0], atol=1e-5)


# -- searching ------------------------------------------------------------------------------------
def test_the_most_similar_passage_comes_first_with_a_higher_score(
    retriever: ChromaRetriever,
) -> None:
    docs = retriever.retrieve("Which city is the capital of Austria?", k=3)
    assert [type(d) for d in docs] == [Document] * 3
    assert docs[0].id == "d1" and docs[0].metadata == {"topic": "geo"}
    assert docs[0].score > docs[1].score >= docs[2].score
    assert -1.0 <= docs[-1].score <= docs[0].score <= 1.0


def test_where_filters_on_metadata(retriever: ChromaRetriever) -> None:
    docs = retriever.retrieve("capital city", k=5, where={"topic": "sport"})
    assert [d.id for d in docs] == ["d4"]


def test_many_queries_are_searched_in_one_batch(retriever: ChromaRetriever) -> None:
    results = retriever.retrieve_many(["Super Bowl 50 winner", "how do plants make sugar"], k=1)
    assert [r[0].id for r in results] == ["d4", "d3"]


def test_the_async_form_gives_the_same_documents(retriever: ChromaRetriever) -> None:
    import asyncio

    query = "Which river flows through Belgrade?"
    assert asyncio.run(retriever.aretrieve(query, k=2)) == retriever.retrieve(query, k=2)


def test_an_empty_collection_finds_nothing() -> None:
    assert ChromaRetriever(_name()).retrieve("anything", k=3) == []


# -- writing ---------------------------------------------------------------------------------------
def test_adding_the_same_ids_again_changes_nothing(retriever: ChromaRetriever) -> None:
    retriever.add(CORPUS, ids=[f"d{i}" for i in range(len(CORPUS))])
    assert len(retriever) == len(CORPUS)


def test_without_ids_a_passage_is_known_by_its_text() -> None:
    r = ChromaRetriever(_name())
    first = r.add(CORPUS[:2])
    assert r.add(CORPUS[:2]) == first and len(r) == 2


@pytest.mark.parametrize(("call", "message"), [
    (lambda r: r.add(["a", "b"], ids=["x"]), "2 texts but 1 ids"),
    (lambda r: r.add(["a", "b"], ids=["x", "x"]), "ids repeat within one add"),
    (lambda r: r.add(["same", "same"]), "the same text twice"),
    (lambda r: r.add(["a", ""]), "text 1 is not a non-empty string"),
    (lambda r: r.add("one text"), "texts must be a list"),
    (lambda r: r.add(["a"], metadatas=[{"tags": ["x"]}]), "every store keeps these"),
    (lambda r: r.add(["a", "b"], metadatas=[{}]), "2 texts but 1 metadatas"),
    (lambda r: r.retrieve("", k=3), "a query is a non-empty string"),
    (lambda r: r.retrieve(None, k=3), "a query is a non-empty string"),
    (lambda r: r.retrieve("q", k=0), "k must be a whole number >= 1"),
    (lambda r: r.retrieve("q", k=2.5), "k must be a whole number >= 1"),
    (lambda r: r.retrieve("q", where="topic=geo"), "where must be a dict"),
    (lambda r: r.retrieve("q", where={"topic": {"$nope": 1}}), "search in"),
    (lambda r: r.retrieve("q", ef_search=64), "has no search option 'ef_search'"),
])
def test_bad_input_is_an_argument_error_and_changes_nothing(
    retriever: ChromaRetriever, call: Any, message: str,
) -> None:
    with pytest.raises(dx.ArgumentError, match=message):
        call(retriever)
    assert len(retriever) == len(CORPUS)


def test_a_write_that_fails_part_way_is_undone(retriever: ChromaRetriever,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    before = retriever.collection.get(ids=["d0"], include=["documents"])["documents"]
    real_upsert = retriever.collection.upsert
    calls = []

    def failing_second_batch(**kwargs: Any) -> None:
        calls.append(kwargs["ids"])
        if len(calls) == 2:
            raise RuntimeError("disk full")
        real_upsert(**kwargs)

    monkeypatch.setattr(retriever.client, "get_max_batch_size", lambda: 1)
    monkeypatch.setattr(retriever.collection, "upsert", failing_second_batch)
    with pytest.raises(dx.RetrievalError, match="failed and was undone: RuntimeError: disk full"):
        retriever.add(["replaced text", "a new passage"], ids=["d0", "new"])
    monkeypatch.undo()
    assert len(retriever) == len(CORPUS)
    assert retriever.collection.get(ids=["d0"], include=["documents"])["documents"] == before


# -- persistence and the embedder guard -------------------------------------------------------
READ_BACK = """
import json, sys
from dspex_nb.retrieve import ChromaRetriever
r = ChromaRetriever("kept", path=sys.argv[1])
print(json.dumps([[d.id, round(d.score, 6)] for d in r.retrieve(sys.argv[2], k=3)]))
"""


class _Cheap:
    """A 4-dimensional embedder from character counts: fast enough for 40,000 passages."""

    name = "cheap-4"

    def __call__(self, texts: list[str]) -> list[list[float]]:
        return [[len(t) + 1.0, t.count("1") + 1.0, t.count("2") + 1.0, t.count("3") + 1.0]
                for t in texts]


@pytest.mark.integration  # slow: 40,000 passages through Chroma (about 35 s here)
def test_an_add_or_delete_larger_than_one_sqlite_query_works() -> None:
    r = ChromaRetriever(_name(), embedder=_Cheap())
    texts = [f"passage {i}" for i in range(40_000)]  # SQLite: at most 32,766 ids per query
    r.add(texts[:35_000], ids=[str(i) for i in range(35_000)])
    assert len(r) == 35_000
    r.add(texts, ids=[str(i) for i in range(40_000)])
    assert len(r) == 40_000
    r.delete([str(i) for i in range(34_000)])
    assert len(r) == 6_000


def test_a_persistent_collection_answers_the_same_in_a_new_process(tmp_path: Path) -> None:
    r = ChromaRetriever("kept", path=tmp_path / "db")
    r.add(CORPUS, ids=[f"d{i}" for i in range(len(CORPUS))])
    query = "What divides Budapest?"
    here = [[d.id, round(d.score, 6)] for d in r.retrieve(query, k=3)]
    out = subprocess.run([sys.executable, "-c", READ_BACK, str(tmp_path / "db"), query],
                         capture_output=True, text=True, check=True, timeout=120)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == here


class _OtherEmbedder:
    name = "someone-else/another-model"

    def __call__(self, texts: list[str]) -> list[list[float]]:
        return [[float(len(t)), 1.0, 0.0] for t in texts]


def test_a_collection_built_with_another_embedder_is_refused(tmp_path: Path) -> None:
    ChromaRetriever("guarded", path=tmp_path).add(CORPUS)
    with pytest.raises(dx.ConfigurationError, match="was built with the embedder "
                                                    "dspex_nb/all-MiniLM-L6-v2-int8"):
        ChromaRetriever("guarded", path=tmp_path, embedder=_OtherEmbedder())


def test_a_collection_not_built_by_dspex_nb_needs_adopt(tmp_path: Path) -> None:
    import chromadb

    client = chromadb.PersistentClient(path=str(tmp_path))
    foreign = client.create_collection("foreign", embedding_function=None)
    foreign.add(ids=["a"], documents=["x"], embeddings=[[0.1] * 384])
    with pytest.raises(dx.ConfigurationError, match="adopt=True"):
        ChromaRetriever("foreign", client=client)
    assert len(ChromaRetriever("foreign", client=client, adopt=True)) == 1


def test_a_custom_embedder_is_used_for_both_adding_and_searching() -> None:
    r = ChromaRetriever(_name(), embedder=_OtherEmbedder())
    r.add(["short", "a much longer passage"], ids=["s", "l"])
    assert r.embedder_name == "someone-else/another-model"
    assert {d.id for d in r.retrieve("q", k=2)} == {"s", "l"}


# -- the Retrieve module and RAG ---------------------------------------------------------------
def test_retrieve_gives_passages_and_documents(retriever: ChromaRetriever) -> None:
    found = dx.Retrieve(k=2, retriever=retriever)("Which city is Austria's capital?")
    assert found.passages[0] == CORPUS[1]
    assert found.documents[0].id == "d1" and found.documents[0].score > 0


def test_retrieve_uses_the_configured_retriever(retriever: ChromaRetriever) -> None:
    dx.configure(retriever=retriever)
    assert dx.Retrieve(k=1)("Super Bowl 50").documents[0].id == "d4"


def test_retrieve_without_a_retriever_says_how_to_give_one() -> None:
    with pytest.raises(dx.ConfigurationError, match="configure\\(retriever="):
        dx.Retrieve()("anything")


def test_a_retriever_is_evaluated_like_any_program(retriever: ChromaRetriever) -> None:
    devset = [dx.Example(question="Which city is Austria's capital?",
                         gold_ids=["d1"]).with_inputs("question"),
              dx.Example(question="Who won Super Bowl 50?",
                         gold_ids=["d4"]).with_inputs("question")]
    report = dx.evaluate(dx.Retrieve(k=2, retriever=retriever), devset,
                         dx.metrics.recall_at_k(2, ids="gold_ids"), display="none")
    assert report.failures == 0 and report.metrics["recall@2"].mean == 1.0


def test_retrieve_refuses_a_query_given_twice(retriever: ChromaRetriever) -> None:
    with pytest.raises(dx.ArgumentError, match="one query"):
        dx.Retrieve(retriever=retriever)("q", question="q")
    with pytest.raises(dx.ArgumentError, match="one query"):
        dx.Retrieve(retriever=retriever)(question="q", title="t")


def test_k_is_saved_with_the_program(tmp_path: Path, retriever: ChromaRetriever) -> None:
    rag = dx.RAG(k=2, retriever=retriever)
    rag.retrieve.k = 4
    path = rag.save(tmp_path / "rag.json")
    assert json.loads(path.read_text())["state"]["retrieve"] == {"k": 4}
    fresh = dx.RAG(retriever=retriever).load(path)
    assert fresh.retrieve.k == 4


def _answer_from_context(request: LMRequest) -> dict[str, Any]:
    """Answers with the first word of the last context passage's second sentence... simply:
    the capital named in the first passage that names one, else 'unknown'."""
    text = request.messages[-1]["content"]
    answer = "Vienna" if "Vienna is the capital" in text else "unknown"
    props = list((request.response_schema or {}).get("properties", {}))
    if "module_advice" in props:
        return {"discussion": "d", "module_advice": {"answer.predict": "Read the context."}}
    return {"reasoning": "from the context", "answer": answer}


def test_rag_is_evaluated_and_optimized_like_any_program(retriever: ChromaRetriever) -> None:
    dx.configure(lm=dx.ScriptedLM(_answer_from_context, cycle=True), cache=False)
    devset = [dx.Example(question="What is the capital of Austria?", answer="Vienna",
                         gold_ids=["d1"]).with_inputs("question"),
              dx.Example(question="Which river flows through Budapest?", answer="Danube",
                         gold_ids=["d0", "d2"]).with_inputs("question")]
    rag = dx.RAG(k=2, retriever=retriever)
    report = dx.evaluate(rag, devset, [dx.metrics.answer_exact_match,
                                       dx.metrics.answer_passage_match,
                                       dx.metrics.recall_at_k(2, ids="gold_ids"),
                                       dx.metrics.mrr(ids="gold_ids")], display="none")
    assert report.failures == 0
    assert report.scores("answer_exact_match") == [1.0, 0.0]
    assert report.scores("answer_passage_match") == [1.0, 1.0]
    assert report.metrics["recall@2"].mean == 1.0
    better = dx.SIMBA(dx.metrics.answer_exact_match, bsize=2, num_candidates=2, max_steps=1,
                      display="none").compile(rag, trainset=devset)
    assert isinstance(better, dx.RAG) and better.retrieve.k == 2


def test_the_retrieve_span_sits_in_the_program_trace(retriever: ChromaRetriever) -> None:
    dx.configure(lm=dx.ScriptedLM(_answer_from_context, cycle=True), cache=False)
    with dx.trace() as t:
        dx.RAG(k=2, retriever=retriever)(question="What is the capital of Austria?")
    [retrieve] = t.spans("retrieve")
    assert retrieve.attrs["k"] == 2 and retrieve.attrs["count"] == 2
    assert retrieve.attrs["query"] == "What is the capital of Austria?"
    assert retrieve.attrs["top_score"] == pytest.approx(retrieve.attrs["documents"][0]["score"])
    assert retrieve.attrs["retriever"] == retriever.name
    assert "embedding" not in json.dumps(retrieve.attrs, default=str)


# -- retrieval metrics ----------------------------------------------------------------------------
def _found(*ids: str) -> dx.Prediction:
    return dx.Prediction(documents=[Document(i, f"text of {i}", 1.0) for i in ids])


def test_recall_with_gold_ids_is_the_share_found_in_the_first_k() -> None:
    example = dx.Example(q="x", gold_ids=["a", "b"]).with_inputs("q")
    recall = dx.metrics.recall_at_k(2, ids="gold_ids")
    assert recall.__name__ == "recall@2"
    assert recall(example, _found("a", "c", "b")) == 0.5
    assert dx.metrics.recall_at_k(3, ids="gold_ids")(example, _found("a", "c", "b")) == 1.0


def test_recall_with_answers_counts_whole_token_matches_in_passages() -> None:
    example = dx.Example(q="x", answer="18").with_inputs("q")
    passages = dx.Prediction(passages=["born in 1858", "it was 18 degrees"])
    assert dx.metrics.recall_at_k(1)(example, passages) == 0.0
    assert dx.metrics.recall_at_k(2)(example, passages) == 1.0


def test_mrr_is_one_over_the_first_relevant_rank() -> None:
    example = dx.Example(q="x", gold_ids=["c"]).with_inputs("q")
    assert dx.metrics.mrr(ids="gold_ids")(example, _found("a", "b", "c")) == pytest.approx(1 / 3)
    assert dx.metrics.mrr(ids="gold_ids", k=2)(example, _found("a", "b", "c")) == 0.0


def test_ndcg_rewards_relevant_documents_ranked_first() -> None:
    example = dx.Example(q="x", gold_ids=["a", "b"]).with_inputs("q")
    ndcg = dx.metrics.ndcg_at_k(3, ids="gold_ids")
    assert ndcg(example, _found("a", "b", "c")) == 1.0
    worse = 1 / (1 / np.log2(2) + 1 / np.log2(3)) * (1 / np.log2(3) + 1 / np.log2(4))
    assert ndcg(example, _found("c", "a", "b")) == pytest.approx(worse)


def test_retrieval_metrics_refuse_empty_golds_before_the_run(retriever: ChromaRetriever) -> None:
    devset = [dx.Example(question="q", gold_ids=[]).with_inputs("question")]
    with pytest.raises(dx.DataError, match="gold 'gold_ids' is an empty list"):
        dx.evaluate(dx.Retrieve(retriever=retriever), devset,
                    dx.metrics.recall_at_k(3, ids="gold_ids"), display="none")


# -- a team's Chroma server ---------------------------------------------------------------------
@pytest.mark.integration
def test_the_same_code_works_against_a_chroma_server(tmp_path: Path) -> None:
    from tests.support.chroma_server import ChromaServer

    server = ChromaServer(tmp_path).start(timeout=60)
    try:
        shared = ChromaRetriever("team-docs", client=server.client())
        shared.add(CORPUS, ids=[f"d{i}" for i in range(len(CORPUS))],
                   metadatas=[{"topic": "geo"}] * 3 + [{"topic": "bio"}, {"topic": "sport"}])
        local = ChromaRetriever(_name())
        local.add(CORPUS, ids=[f"d{i}" for i in range(len(CORPUS))])
        query = "Which city is the capital of Austria?"
        remote_docs = shared.retrieve(query, k=3)
        assert [d.id for d in remote_docs] == [d.id for d in local.retrieve(query, k=3)]
        assert remote_docs[0].score == pytest.approx(local.retrieve(query, k=1)[0].score,
                                                     abs=1e-4)
        assert [d.id for d in shared.retrieve(query, k=5, where={"topic": "sport"})] == ["d4"]
        # A second client (another teammate) sees the same collection, and the guard.
        again = ChromaRetriever("team-docs", client=server.client())
        assert len(again) == len(CORPUS)
        with pytest.raises(dx.ConfigurationError, match="was built with the embedder"):
            ChromaRetriever("team-docs", client=server.client(), embedder=_OtherEmbedder())
    finally:
        server.stop()


@pytest.mark.integration
def test_a_server_that_went_away_is_a_retrieval_error(tmp_path: Path) -> None:
    from tests.support.chroma_server import ChromaServer

    server = ChromaServer(tmp_path).start(timeout=60)
    client = server.client()
    retriever = ChromaRetriever("going-away", client=client)
    retriever.add(CORPUS[:2])
    server.stop()
    with pytest.raises(dx.RetrievalError, match="cannot open collection 'other-docs'"):
        ChromaRetriever("other-docs", client=client)
    with pytest.raises(dx.RetrievalError, match="counting 'going-away' failed: ConnectError"):
        retriever.retrieve("Vienna", k=1)
