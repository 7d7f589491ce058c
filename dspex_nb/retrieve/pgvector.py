"""`PgVectorRetriever`: passages in a PostgreSQL table with pgvector, for a team that shares one
database. psycopg 3 with a connection pool; every value is a query parameter and every name
(schema, table, index) a quoted identifier, so no input is ever SQL.

    docs = PgVectorRetriever("postgresql://me@db/team", table="wiki")
    docs.add(passages, ids=ids, metadatas=[{"year": 2016}, ...])
    docs.retrieve("who won?", k=5, where={"year": {"$in": [2015, 2016]}}, ef_search=100)

The table (id text primary key, text, metadata jsonb, embedding vector(d)) and an HNSW index
for the metric are created when missing (`create=True`). The table's comment records the
embedder and metric that built it; a table built with another embedder, metric or dimension
is refused. Scores are similarities, higher is better, whatever the metric:

    cosine         score = 1 - (embedding <=> q)     the cosine similarity, in [-1, 1]
    l2             score = -(embedding <-> q)        minus the Euclidean distance (0 = same)
    inner_product  score = -(embedding <#> q)        the inner product (<#> is its negative)

Search options per call: `ef_search=` (HNSW candidate list; at least k, which is also what is
used when k exceeds the server's default) and `exact=True` (no index: an exact scan, for small
tables and for measuring the index's recall). With `where`, pgvector >= 0.8 scans the index
iteratively so a filter does not cut results short.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import weakref
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from dspex_nb import _checks as checks
from dspex_nb.errors import ArgumentError, ConfigurationError, DspexError, RetrievalError
from dspex_nb.retrieve.base import Document, Retriever
from dspex_nb.retrieve.passages import (
    Embedder,
    built_with_check,
    check_embedder,
    embed,
    embedder_name,
    ids_to_add,
    metadatas_to_add,
    texts_to_add,
)

try:
    import psycopg
    import psycopg_pool
    from pgvector.psycopg import register_vector
    from psycopg import sql
    from psycopg.types.json import Jsonb
except ImportError as exc:  # pragma: no cover - the extra is part of the dev install
    raise ConfigurationError("PgVectorRetriever needs psycopg, psycopg-pool and pgvector: "
                             "pip install 'dspex_nb[postgres]'") from exc

# metric -> (distance operator, HNSW operator class, distance -> score)
METRICS: dict[str, tuple[str, str, str]] = {
    "cosine": ("<=>", "vector_cosine_ops", "1 - ({d})"),
    "l2": ("<->", "vector_l2_ops", "-({d})"),
    "inner_product": ("<#>", "vector_ip_ops", "-({d})"),
}
POOL_PREFIX = "dspex_nb:"  # the names of this module's connection pools
DEFAULT_EF_SEARCH = 40  # pgvector's default hnsw.ef_search
MAX_EF_SEARCH = 1000  # pgvector's limit
_COLUMNS = {"id": "text", "text": "text", "metadata": "jsonb"}


class PgVectorRetriever(Retriever):
    """Retrieve from the table `table` (in `schema`) of the PostgreSQL database at `dsn`.

    `embedder` is any function from a list of texts to vectors (default: the offline
    all-MiniLM-L6-v2); `metric` is the distance its index uses ("cosine", "l2" or
    "inner_product"). `create=False` refuses to create a missing table or index. `adopt=True`
    accepts a non-empty table dspex_nb did not build. `pool_size` connections at most;
    `timeout` seconds to wait for one (a database that is down fails each call after it).
    """

    search_options = frozenset({"ef_search", "exact"})

    def __init__(self, dsn: str, *, table: str, embedder: Embedder | None = None,
                 metric: str = "cosine", schema: str = "public", create: bool = True,
                 adopt: bool = False, pool_size: int = 4, timeout: float = 10.0):
        if not isinstance(dsn, str) or not dsn.strip():
            raise ArgumentError(f"dsn must be a PostgreSQL connection string, not {dsn!r:.40}")
        self.table = _identifier("table", table)
        self.schema = _identifier("schema", schema)
        self.metric = checks.one_of("metric", metric, tuple(METRICS))
        self.embedder: Embedder = check_embedder(embedder)
        self.embedder_name = embedder_name(self.embedder)
        self.timeout = checks.finite_number("timeout", timeout)
        if self.timeout <= 0:
            raise ArgumentError(f"timeout must be > 0 seconds, not {timeout!r}")
        self.server = _public_dsn(dsn)
        dimension = getattr(self.embedder, "dimension", None)
        self.dimension: int = (dimension if isinstance(dimension, int)
                               else len(self._embed(["dimension probe"])[0]))
        self._relation = sql.Identifier(self.schema, self.table)
        with _db_errors(f"preparing {self.name} on {self.server}"):
            with psycopg.connect(dsn, autocommit=True, connect_timeout=_seconds(timeout)) as conn:
                self._pgvector_version = self._prepare(conn, create=create, adopt=adopt)
            self._pool_args: dict[str, Any] = {
                "conninfo": dsn, "min_size": 1, "timeout": self.timeout,
                "max_size": checks.whole_number("pool_size", pool_size),
                "configure": register_vector, "name": POOL_PREFIX + self.name,
                "check": psycopg_pool.ConnectionPool.check_connection,
                "kwargs": {"autocommit": True, "connect_timeout": _seconds(timeout)}}
            self._pool_lock = threading.Lock()
            self._pools = _Pools(psycopg_pool.ConnectionPool(open=False, **self._pool_args))
            # closed when the retriever is collected or the process exits: a pool left to
            # its own __del__ may be collected on one of its worker threads and fail there
            weakref.finalize(self, self._pools.close)
            self._pool.open(wait=True, timeout=self.timeout)

    @property
    def _pool(self) -> psycopg_pool.ConnectionPool:
        return self._pools.current

    @property
    def name(self) -> str:
        return f"pgvector:{self.schema}.{self.table}"

    # -- the table --------------------------------------------------------------------------
    def _prepare(self, conn: psycopg.Connection[Any], *, create: bool, adopt: bool
                 ) -> tuple[int, ...]:
        """Check (or create) the extension, table and index; returns pgvector's version."""
        version = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'"
                               ).fetchone()
        if version is None:
            if not create:
                raise ConfigurationError(f"pgvector is not installed in {self.server}: "
                                         f"CREATE EXTENSION vector (or create=True)")
            try:
                conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
            except psycopg.errors.InsufficientPrivilege:
                raise ConfigurationError(
                    f"pgvector is not installed in {self.server}, and this user may not "
                    f"install it: ask an administrator to CREATE EXTENSION vector") from None
            version = conn.execute("SELECT extversion FROM pg_extension "
                                   "WHERE extname = 'vector'").fetchone()
        assert version is not None
        with conn.transaction():
            # one creator at a time, across processes: CREATE ... IF NOT EXISTS can race
            conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [self.name])
            found = self._describe(conn)
            if found is None:
                if not create:
                    raise ConfigurationError(f"table {self.schema}.{self.table} does not exist "
                                             f"in {self.server} (create=True makes it)")
                self._create(conn)
                found = self._describe(conn)
                assert found is not None
            self._check(conn, found, create=create, adopt=adopt)
        return tuple(int(p) for p in str(version[0]).split(".") if p.isdigit())

    def _describe(self, conn: psycopg.Connection[Any]) -> dict[str, Any] | None:
        row = conn.execute(
            "SELECT c.oid, obj_description(c.oid, 'pg_class') FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relname = %s AND c.relkind IN ('r', 'p')",
            [self.schema, self.table]).fetchone()
        if row is None:
            return None
        oid, comment = row
        columns = dict(conn.execute(
            "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
            "WHERE attrelid = %s AND attnum > 0 AND NOT attisdropped", [oid]).fetchall())
        opclasses = [r[0] for r in conn.execute(
            "SELECT opc.opcname FROM pg_index i JOIN pg_opclass opc ON opc.oid = i.indclass[0] "
            "JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_am am ON am.oid = ic.relam "
            "WHERE i.indrelid = %s AND am.amname IN ('hnsw', 'ivfflat')", [oid]).fetchall()]
        try:
            marks = json.loads(comment) if comment else {}
        except ValueError:
            marks = {}
        return {"columns": columns, "opclasses": opclasses,
                "marks": marks if isinstance(marks, dict) else {}}

    def _create(self, conn: psycopg.Connection[Any]) -> None:
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(self.schema)))
        conn.execute(sql.SQL(
            "CREATE TABLE {} (id text PRIMARY KEY, text text NOT NULL, "
            "metadata jsonb NOT NULL DEFAULT '{{}}', embedding vector({}) NOT NULL)").format(
            self._relation, sql.Literal(self.dimension)))
        self._mark(conn)

    def _mark(self, conn: psycopg.Connection[Any]) -> None:
        marks = json.dumps({"dspex_embedder": self.embedder_name, "metric": self.metric})
        conn.execute(sql.SQL("COMMENT ON TABLE {} IS {}").format(self._relation,
                                                                  sql.Literal(marks)))

    def _check(self, conn: psycopg.Connection[Any], found: dict[str, Any], *, create: bool,
               adopt: bool) -> None:
        where = f"table {self.schema}.{self.table}"
        columns = found["columns"]
        wrong = {c: t for c, t in _COLUMNS.items() if columns.get(c) != t}
        if wrong or not str(columns.get("embedding", "")).startswith("vector"):
            raise ConfigurationError(
                f"{where} is not a passage table: it needs id text, text text, metadata jsonb "
                f"and embedding vector(d); it has {columns}")
        dimension = str(columns["embedding"]).removeprefix("vector(").rstrip(")")
        if dimension != str(self.dimension):
            raise ConfigurationError(
                f"{where} holds vector({dimension}) and the embedder {self.embedder_name} makes "
                f"{self.dimension}-dimensional vectors: use the embedder that built it, or "
                f"another table")
        marks = found["marks"]
        if marks.get("metric", self.metric) != self.metric:
            raise ConfigurationError(f"{where} was built for metric={marks['metric']!r}, not "
                                     f"{self.metric!r}: pass metric={marks['metric']!r}")
        opclass = METRICS[self.metric][1]
        others = [o for o in found["opclasses"] if o != opclass]
        if others and opclass not in found["opclasses"]:
            raise ConfigurationError(f"{where} is indexed for {others[0]}, not {opclass} "
                                     f"(metric={self.metric!r}): its index would not be used")
        empty = conn.execute(sql.SQL("SELECT NOT EXISTS (SELECT 1 FROM {})").format(
            self._relation)).fetchone()
        if built_with_check(where, marks.get("dspex_embedder"), self.embedder_name,
                            empty=bool(empty and empty[0]), adopt=adopt):
            self._mark(conn)
        if opclass not in found["opclasses"]:
            if not create:
                raise ConfigurationError(f"{where} has no HNSW index for {opclass} "
                                         f"(create=True makes it)")
            conn.execute(sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} USING hnsw "
                                 "(embedding {})").format(
                sql.Identifier(f"{self.table[:40]}_embedding_{self.metric}_hnsw"),
                self._relation, sql.SQL(opclass)))

    def __len__(self) -> int:
        with self._connection(f"counting {self.name}") as conn:
            row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(self._relation)
                               ).fetchone()
        return int(row[0]) if row else 0

    # -- writing ----------------------------------------------------------------------------
    def add(self, texts: Sequence[str], *, ids: Sequence[str] | None = None,
            metadatas: Sequence[Mapping[str, Any] | None] | None = None) -> list[str]:
        """Add (or replace, by id) passages in one transaction; returns their ids. Idempotent:
        the same ids again change nothing. Without `ids`, a passage's id is a hash of its text.
        A failed `add` leaves the table as it was."""
        texts = texts_to_add(texts)
        ids = ids_to_add(ids, texts)
        metadatas = metadatas_to_add(metadatas, len(texts))
        vectors = self._vectors(texts)
        rows = [(i, t, Jsonb(m or {}), v) for i, t, m, v in zip(ids, texts, metadatas, vectors,
                                                                  strict=True)]
        statement = sql.SQL(
            "INSERT INTO {} (id, text, metadata, embedding) VALUES (%s, %s, %s, %s) "
            "ON CONFLICT (id) DO UPDATE SET text = EXCLUDED.text, "
            "metadata = EXCLUDED.metadata, embedding = EXCLUDED.embedding").format(self._relation)
        with (self._connection(f"adding {len(ids)} passages to {self.name}") as conn,
              conn.transaction(), conn.cursor() as cursor):
            cursor.executemany(statement, rows)
        return ids

    def delete(self, ids: Sequence[str]) -> None:
        with self._connection(f"deleting from {self.name}") as conn:
            conn.execute(sql.SQL("DELETE FROM {} WHERE id = ANY(%s)").format(self._relation),
                         [ids_to_add(ids, None)])

    def _embed(self, texts: list[str]) -> list[list[float]]:
        return embed(self.embedder, self.embedder_name, texts)

    def _vectors(self, texts: list[str]) -> list[np.ndarray]:
        vectors = self._embed(texts)
        if vectors and len(vectors[0]) != self.dimension:
            raise ConfigurationError(
                f"the embedder {self.embedder_name} gave {len(vectors[0])}-dimensional vectors; "
                f"{self.name} holds vector({self.dimension})")
        return [np.asarray(v, dtype=np.float32) for v in vectors]

    # -- searching --------------------------------------------------------------------------
    def _search(self, queries: list[str], k: int, where: Mapping[str, Any] | None,
                **options: Any) -> list[list[Document]]:
        exact = options.get("exact", False)
        if not isinstance(exact, bool):
            raise ArgumentError(f"exact must be True or False, not {exact!r}")
        ef_search = checks.whole_number("ef_search", options.get("ef_search"), optional=True)
        if ef_search is not None and not k <= ef_search <= MAX_EF_SEARCH:
            raise ArgumentError(f"ef_search must be between k ({k}) and {MAX_EF_SEARCH}, not "
                                f"{ef_search}: the index returns at most ef_search passages")
        if ef_search is None and k > DEFAULT_EF_SEARCH:
            ef_search = min(k, MAX_EF_SEARCH)
        condition, params = _where(where)
        operator, _, score = METRICS[self.metric]
        distance = sql.SQL("embedding {} %(q)s").format(sql.SQL(operator))
        statement = sql.SQL(
            "SELECT id, text, metadata, {} AS score FROM {} {} ORDER BY {} LIMIT %(k)s").format(
            sql.SQL(score.format(d="{}")).format(distance), self._relation, condition, distance)
        vectors = self._vectors(queries)
        results: list[list[Document]] = []
        with self._connection(f"searching {self.name}") as conn, conn.transaction():
            if exact:
                conn.execute("SET LOCAL enable_indexscan = off")
                conn.execute("SET LOCAL enable_bitmapscan = off")
            if ef_search is not None:
                conn.execute(sql.SQL("SET LOCAL hnsw.ef_search = {}").format(
                    sql.Literal(ef_search)))
            if where and self._pgvector_version >= (0, 8):
                conn.execute("SET LOCAL hnsw.iterative_scan = strict_order")
            for vector in vectors:
                rows = conn.execute(statement, {**params, "q": vector, "k": k}).fetchall()
                results.append([Document(id=r[0], text=r[1], score=float(r[3]),
                                         metadata=dict(r[2] or {})) for r in rows])
        return results

    @contextlib.contextmanager
    def _connection(self, what: str) -> Iterator[psycopg.Connection[Any]]:
        pool = self._pool
        with _db_errors(what):
            try:
                with pool.connection() as conn:
                    yield conn
            except (psycopg_pool.PoolTimeout, psycopg.OperationalError):
                self._renew(pool)
                raise

    def _renew(self, failed: psycopg_pool.ConnectionPool) -> None:
        """After a failure, a fresh pool: psycopg's own backs off for minutes between
        reconnection attempts, so a restarted database would stay unused that long. The new
        pool connects at once, in the background."""
        with self._pool_lock:
            if self._pool is not failed:
                return  # another thread renewed it
            self._pools.current = psycopg_pool.ConnectionPool(open=True, **self._pool_args)
        failed.close(timeout=0)

    def close(self) -> None:
        """Close the connection pool (also done when the retriever is collected, or the
        process exits)."""
        self._pools.close()

    def __enter__(self) -> PgVectorRetriever:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (f"PgVectorRetriever({self.schema}.{self.table} on {self.server}, "
                f"metric={self.metric!r}, embedder={self.embedder_name})")


class _Pools:
    """The retriever's current pool (a failure renews it), closed once."""

    def __init__(self, pool: psycopg_pool.ConnectionPool):
        self.current = pool

    def close(self) -> None:
        self.current.close(timeout=1)


class _QuietPools(logging.Filter):
    """psycopg's pool logs a warning for every failed reconnection attempt: a wall of lines
    in a notebook while a database restarts. For this module's pools the calls that fail
    raise a RetrievalError saying so, which is enough; other pools log as before."""

    def filter(self, record: logging.LogRecord) -> bool:
        return POOL_PREFIX not in record.getMessage()


logging.getLogger("psycopg.pool").addFilter(_QuietPools())


def _where(where: Mapping[str, Any] | None) -> tuple[sql.Composable, dict[str, Any]]:
    """`where` as SQL over the metadata column: each key an equality (`{"year": 2016}` or
    `{"year": {"$eq": 2016}}`) or a membership (`{"year": {"$in": [2015, 2016]}}`), all keys
    together. Keys and values are parameters (JSON containment), never SQL."""
    if not where:
        return sql.SQL(""), {}
    parts: list[sql.Composable] = []
    params: dict[str, Any] = {}
    for n, (key, condition) in enumerate(where.items()):
        if not isinstance(key, str) or key.startswith("$"):
            raise ArgumentError(f"where keys are metadata fields, not {key!r} (supported: "
                                f"{{field: value}}, {{field: {{'$eq': v}}}}, "
                                f"{{field: {{'$in': [...]}}}})")
        if isinstance(condition, Mapping):
            if set(condition) == {"$eq"}:
                values = [condition["$eq"]]
            elif set(condition) == {"$in"} and isinstance(condition["$in"], Sequence) and not (
                    isinstance(condition["$in"], str)) and condition["$in"]:
                values = list(condition["$in"])
            else:
                raise ArgumentError(f"where[{key!r}]: supported conditions are a value, "
                                    f"{{'$eq': v}} and {{'$in': [non-empty list]}}, not "
                                    f"{dict(condition)!r:.80}")
        else:
            values = [condition]
        for value in values:
            if not isinstance(value, str | int | float | bool):
                raise ArgumentError(f"where[{key!r}]: a value is a str, int, float or bool, not "
                                    f"{type(value).__name__}")
        names = [f"w{n}_{i}" for i in range(len(values))]
        params.update({name: Jsonb({key: value}) for name, value in zip(names, values,
                                                                       strict=True)})
        parts.append(sql.SQL("({})").format(sql.SQL(" OR ").join(
            sql.SQL("metadata @> {}").format(sql.Placeholder(name)) for name in names)))
    return sql.SQL("WHERE ") + sql.SQL(" AND ").join(parts), params


def _identifier(what: str, name: Any) -> str:
    if not isinstance(name, str) or not name or "\x00" in name or len(name.encode()) > 63:
        raise ArgumentError(f"{what} must be a name of 1 to 63 bytes, not {name!r:.80}")
    return name


def _seconds(timeout: float) -> int:
    return max(1, round(timeout))


def _public_dsn(dsn: str) -> str:
    """The DSN without its password, for messages and repr."""
    try:
        parts = psycopg.conninfo.conninfo_to_dict(dsn)
    except psycopg.ProgrammingError as exc:
        raise ArgumentError(f"dsn is not a PostgreSQL connection string: {exc}") from None
    host = parts.get("host") or "localhost"
    port = f":{parts['port']}" if parts.get("port") else ""
    user = f"{parts['user']}@" if parts.get("user") else ""
    return f"postgresql://{user}{host}{port}/{parts.get('dbname', '')}"


@contextlib.contextmanager
def _db_errors(what: str) -> Iterator[None]:
    """A database failure (down, restarted, refusing) as a RetrievalError saying what was
    being done; dspex_nb's own errors pass through."""
    try:
        yield
    except DspexError:
        raise
    except psycopg_pool.PoolTimeout:
        raise RetrievalError(f"{what} failed: no connection to the database (is it running?)"
                             ) from None
    except psycopg.Error as exc:
        raise RetrievalError(f"{what} failed: {type(exc).__name__}: "
                             f"{str(exc).strip()[:300]}") from None
