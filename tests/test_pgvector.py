"""PgVectorRetriever on a real PostgreSQL 18 with pgvector 0.8 (started by the tests, no mock):
search and scores for each metric, filters, search options, upserts, atomic writes, the
table guard, SQL injection, secrets, and a database that stops and comes back."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Sequence
from typing import Any

import numpy as np
import psycopg
import pytest

import dspex_nb as dx
from dspex_nb.retrieve import PgVectorRetriever
from dspex_nb.telemetry import Event
from tests.support.corpus import CORPUS
from tests.support.postgres_server import PostgresServer

pytestmark = pytest.mark.integration

TOPICS = [{"topic": "geo", "year": 2015}, {"topic": "geo", "year": 2016},
          {"topic": "geo", "year": 2016}, {"topic": "bio", "year": 2015},
          {"topic": "sport", "year": 2016}]


def _table() -> str:
    return f"t_{uuid.uuid4().hex[:10]}"


def _retriever(dsn: str, **kwargs: Any) -> PgVectorRetriever:
    r = PgVectorRetriever(dsn, table=kwargs.pop("table", _table()), timeout=3, **kwargs)
    r.add(CORPUS, ids=[f"d{i}" for i in range(len(CORPUS))], metadatas=TOPICS)
    return r


def _count(server: PostgresServer, table: str) -> int:
    with psycopg.connect(server.dsn) as conn:
        row = conn.execute(psycopg.sql.SQL("SELECT count(*) FROM {}").format(
            psycopg.sql.Identifier(table))).fetchone()
    assert row is not None
    return int(row[0])


class _Tiny:
    """A 3-dimensional embedder: letters a, b, c counted."""

    name = "tiny-abc"

    def __call__(self, texts: Sequence[str]) -> list[list[float]]:
        return [[t.count("a") + 0.1, t.count("b") + 0.1, t.count("c") + 0.1] for t in texts]


# -- searching ----------------------------------------------------------------------------------
def test_the_most_similar_passage_comes_first_with_a_higher_score(
        postgres_server: PostgresServer) -> None:
    found = _retriever(postgres_server.dsn).retrieve("What is the capital of Austria?", k=3)
    assert found[0].id == "d1"
    assert found[0].metadata == TOPICS[1]
    assert [d.score for d in found] == sorted((d.score for d in found), reverse=True)


@pytest.mark.parametrize(("metric", "same_text_score"), [
    ("cosine", 1.0), ("l2", 0.0), ("inner_product", 1.0)])
def test_every_metric_scores_as_a_similarity(postgres_server: PostgresServer, metric: str,
                                             same_text_score: float) -> None:
    r = _retriever(postgres_server.dsn, metric=metric)
    found = r.retrieve(CORPUS[4], k=2)
    assert found[0].id == "d4"
    assert found[0].score == pytest.approx(same_text_score, abs=1e-4)
    assert found[1].score < found[0].score


def test_where_filters_on_equality_and_membership(postgres_server: PostgresServer) -> None:
    r = _retriever(postgres_server.dsn)
    assert {d.id for d in r.retrieve("capital", k=5, where={"topic": "geo"})} == {
        "d0", "d1", "d2"}
    assert {d.id for d in r.retrieve("capital", k=5,
                                     where={"topic": {"$in": ["bio", "sport"]}})} == {"d3", "d4"}
    assert {d.id for d in r.retrieve("capital", k=5,
                                     where={"topic": {"$eq": "geo"}, "year": 2016})} == {
        "d1", "d2"}
    assert r.retrieve("capital", k=5, where={"topic": "none"}) == []


def test_exact_search_and_ef_search_find_the_same_best_passage(
        postgres_server: PostgresServer) -> None:
    r = _retriever(postgres_server.dsn)
    hnsw = r.retrieve("Which river divides Budapest?", k=3)
    exact = r.retrieve("Which river divides Budapest?", k=3, exact=True)
    wide = r.retrieve("Which river divides Budapest?", k=3, ef_search=200)
    assert [d.id for d in exact] == [d.id for d in hnsw] == [d.id for d in wide]
    assert exact[0].id == "d2"


def test_many_queries_and_the_async_form_agree(postgres_server: PostgresServer) -> None:
    r = _retriever(postgres_server.dsn)
    queries = ["capital of Austria", "Super Bowl 50", "photosynthesis"]
    batched = r.retrieve_many(queries, k=1)

    async def concurrently() -> list[list[dx.Document]]:
        return list(await asyncio.gather(*(r.aretrieve(q, k=1) for q in queries)))

    assert [b[0].id for b in batched] == [a[0].id for a in asyncio.run(concurrently())] == [
        "d1", "d4", "d3"]


# -- writing ------------------------------------------------------------------------------------
def test_adding_the_same_ids_again_updates_in_place(postgres_server: PostgresServer) -> None:
    r = _retriever(postgres_server.dsn)
    r.add(["Vienna is Austria's capital, on the Danube."], ids=["d1"], metadatas=[{"v": 2}])
    assert len(r) == len(CORPUS)
    [top] = r.retrieve("Austria's capital on the Danube", k=1)
    assert (top.id, top.metadata) == ("d1", {"v": 2})
    r.delete(["d1"])
    assert len(r) == len(CORPUS) - 1


def test_a_write_that_the_database_refuses_changes_nothing(
        postgres_server: PostgresServer) -> None:
    r = _retriever(postgres_server.dsn)
    with pytest.raises(dx.RetrievalError, match="adding 2 passages"):
        r.add(["a new passage", "PostgreSQL stores no NUL \x00 in text"], ids=["new", "nul"])
    assert len(r) == len(CORPUS)
    assert "new" not in {d.id for d in r.retrieve("a new passage", k=5)}


def test_a_table_is_shared_by_retrievers_and_processes(postgres_server: PostgresServer) -> None:
    first = _retriever(postgres_server.dsn)
    again = PgVectorRetriever(postgres_server.dsn, table=first.table, create=False)
    assert len(again) == len(CORPUS)
    assert again.retrieve("Super Bowl", k=1)[0].id == "d4"


# -- the guard and bad input --------------------------------------------------------------------
def test_a_table_built_with_another_embedder_metric_or_dimension_is_refused(
        postgres_server: PostgresServer) -> None:
    r = _retriever(postgres_server.dsn)
    with pytest.raises(dx.ConfigurationError, match=r"holds vector\(384\).*3-dimensional"):
        PgVectorRetriever(postgres_server.dsn, table=r.table, embedder=_Tiny())
    with pytest.raises(dx.ConfigurationError, match="built for metric='cosine'"):
        PgVectorRetriever(postgres_server.dsn, table=r.table, metric="l2")
    tiny = PgVectorRetriever(postgres_server.dsn, table=_table(), embedder=_Tiny())
    tiny.add(["abc"])

    class _OtherTiny(_Tiny):
        name = "another-abc"

    with pytest.raises(dx.ConfigurationError, match="built with the embedder tiny-abc"):
        PgVectorRetriever(postgres_server.dsn, table=tiny.table, embedder=_OtherTiny())


def test_a_missing_table_is_created_only_when_asked(postgres_server: PostgresServer) -> None:
    with pytest.raises(dx.ConfigurationError, match=r"does not exist.*create=True"):
        PgVectorRetriever(postgres_server.dsn, table=_table(), create=False)


def test_an_embedder_that_changes_its_size_is_refused_before_writing(
        postgres_server: PostgresServer) -> None:
    class _Shrinking(_Tiny):
        calls = 0

        def __call__(self, texts: Sequence[str]) -> list[list[float]]:
            self.calls += 1
            return [[1.0, 2.0]] * len(texts) if self.calls > 1 else super().__call__(texts)

    r = PgVectorRetriever(postgres_server.dsn, table=_table(), embedder=_Shrinking())
    with pytest.raises(dx.ConfigurationError, match=r"2-dimensional vectors.*vector\(3\)"):
        r.add(["abc"])


@pytest.mark.parametrize(("call", "message"), [
    (lambda r: r.retrieve("q", k=5, ef_search=3), "ef_search must be between k"),
    (lambda r: r.retrieve("q", exact="yes"), "exact must be True or False"),
    (lambda r: r.retrieve("q", probes=3), "has no search option 'probes'"),
    (lambda r: r.retrieve("q", where={"$or": [{"a": 1}]}), "where keys are metadata fields"),
    (lambda r: r.retrieve("q", where={"a": {"$gt": 1}}), "supported conditions"),
    (lambda r: r.retrieve("q", where={"a": {"$in": []}}), "supported conditions"),
    (lambda r: r.retrieve("q", where={"a": [1, 2]}), "a value is a str"),
    (lambda r: r.add(["a", "b"], ids=["x", "x"]), "ids repeat within one add"),
    (lambda r: r.add(["a"], metadatas=[{"tags": ["x"]}]), "every store keeps these"),
])
def test_bad_input_is_an_argument_error(postgres_server: PostgresServer, call: Any,
                                        message: str) -> None:
    r = _retriever(postgres_server.dsn)
    with pytest.raises(dx.ArgumentError, match=message):
        call(r)
    assert len(r) == len(CORPUS)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"metric": "dot"}, "metric must be one of"),
    ({"table": ""}, "table must be a name"),
    ({"table": "x" * 64}, "table must be a name"),
    ({"timeout": 0}, "timeout must be > 0"),
    ({"pool_size": 0}, "pool_size must be a whole number"),
])
def test_bad_settings_are_refused(postgres_server: PostgresServer, kwargs: dict[str, Any],
                                  message: str) -> None:
    with pytest.raises(dx.ArgumentError, match=message):
        PgVectorRetriever(postgres_server.dsn, **{"table": _table(), **kwargs})


def test_sql_in_names_keys_and_values_is_only_data(postgres_server: PostgresServer) -> None:
    r = _retriever(postgres_server.dsn)
    attack = f"x'); DROP TABLE {r.table}; --"
    assert r.retrieve("capital", k=5, where={attack: attack}) == []
    assert r.retrieve("capital", k=5, where={"topic": {"$in": [attack, "geo"]}})
    odd = PgVectorRetriever(postgres_server.dsn, table=f'{r.table}"; DROP TABLE {r.table}; --')
    odd.add(["a passage in a table with an odd name"])
    assert len(odd) == 1
    assert _count(postgres_server, r.table) == len(CORPUS)


# -- secrets and telemetry ----------------------------------------------------------------------
def test_the_password_is_in_no_repr_error_or_event(postgres_server: PostgresServer) -> None:
    secret = "pg-SECRET-9"
    dsn = postgres_server.dsn.replace("postgres@", f"postgres:{secret}@")
    seen: list[Event] = []
    handler = dx.telemetry.attach(seen.append)
    try:
        r = _retriever(dsn)
        r.retrieve("capital", k=2)
        with pytest.raises(dx.ArgumentError) as bad:
            r.retrieve("capital", k=2, ef_search=1)
    finally:
        dx.telemetry.detach(handler)
    shown = json.dumps([repr(r), r.name, r.server, str(bad.value),
                        [e.attrs for e in seen]], default=str)
    assert secret not in shown
    assert "retrieve" in {e.name.split(".")[0] for e in seen}


# -- a database that goes away ------------------------------------------------------------------
class _StopsTheDatabase(dx.Module):
    """Retrieves; before its third call, the database is shut down."""

    def __init__(self, retriever: PgVectorRetriever, server: PostgresServer):
        self.retrieve = dx.Retrieve(k=2, retriever=retriever)
        self.server = server
        self.calls = 0

    def forward(self, question: str) -> dx.Prediction:
        self.calls += 1
        if self.calls == 3:
            self.server.stop()
        result: dx.Prediction = self.retrieve(question)
        return result


def test_a_database_stopped_mid_evaluation_fails_examples_and_comes_back(
        postgres_server: PostgresServer) -> None:
    r = _retriever(postgres_server.dsn)
    devset = [dx.Example(question=q, gold_ids=[g]).with_inputs("question") for q, g in [
        ("capital of Austria", "d1"), ("Super Bowl 50", "d4"), ("photosynthesis", "d3"),
        ("capital of Hungary", "d2"), ("Danube cities", "d0")]]
    program = _StopsTheDatabase(r, postgres_server)
    try:
        report = dx.evaluate(program, devset, dx.metrics.recall_at_k(2, ids="gold_ids"),
                             display="none", concurrency=1)
    finally:
        postgres_server.start()
    assert report.n == 5 and report.failures == 3
    errors = [res.error for res in report.results if res.error]
    assert all("RetrievalError" in e and "no connection to the database" in e for e in errors)
    again = dx.evaluate(dx.Retrieve(k=2, retriever=r), devset,
                        dx.metrics.recall_at_k(2, ids="gold_ids"), display="none")
    assert again.failures == 0, again.results[0].error
    assert again.metrics["recall@2"].mean == 1.0


def test_vectors_are_stored_as_the_embedder_made_them(postgres_server: PostgresServer) -> None:
    r = PgVectorRetriever(postgres_server.dsn, table=_table(), embedder=_Tiny())
    r.add(["abcc"], ids=["x"])
    with psycopg.connect(postgres_server.dsn) as conn:
        row = conn.execute(psycopg.sql.SQL("SELECT embedding::text FROM {}").format(
            psycopg.sql.Identifier(r.table))).fetchone()
    assert row is not None
    assert np.allclose(json.loads(row[0]), [1.1, 1.1, 2.1])
