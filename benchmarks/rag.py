"""RAG benchmark on SQuAD v1.1's Super_Bowl_50 article: the retriever alone, then the RAG
program on the embedded model.

    .venv/bin/python benchmarks/rag.py                 # retrieval, and RAG on 50 questions
    .venv/bin/python benchmarks/rag.py --rag-n 0       # retrieval only

Retrieval: every paragraph (54) is indexed in an in-process Chroma with the default offline
embedder; for each of the 810 questions the gold paragraph is the one the question was written
on. Reported: recall@1 and recall@5 of that paragraph, MRR over the first 5, indexing
throughput (passages/s; paragraphs, and the same text cut into sentences), and query latency
p50/p95 (embedding plus search, one query at a time). A BM25 ranking of the same paragraphs
in the same run is the reference point (lexical matching is strong on SQuAD, whose questions
were written while looking at the paragraph).

RAG: `dx.RAG(k=3)` on the embedded SmolLM2-135M (cache off), scored with answer exact match,
F1 and `answer_passage_match` (is a gold answer in the retrieved passages).
"""

from __future__ import annotations

import argparse
import json
import math
import re
import statistics
import sys
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "datasets" / \
    "squad_superbowl50" / "dev.json"
REPEATS = 3


def load(path: Path) -> tuple[list[str], list[tuple[str, int, list[str]]]]:
    article = json.loads(path.read_text())["data"]
    paragraphs: list[str] = []
    questions: list[tuple[str, int, list[str]]] = []
    for a in article:
        for p in a["paragraphs"]:
            paragraphs.append(p["context"])
            for qa in p["qas"]:
                questions.append((qa["question"], len(paragraphs) - 1,
                                  [x["text"] for x in qa["answers"]]))
    return paragraphs, questions


def ranks_summary(ranks: list[int | None]) -> dict[str, float]:
    """recall@1, recall@5 and MRR@5 from the 1-based rank of each gold (None: not in top 5)."""
    n = len(ranks)
    return {"recall@1": sum(r == 1 for r in ranks) / n,
            "recall@5": sum(r is not None and r <= 5 for r in ranks) / n,
            "mrr@5": sum(1 / r for r in ranks if r is not None and r <= 5) / n}


def bm25_ranks(paragraphs: list[str], questions: list[tuple[str, int, list[str]]],
               k1: float = 1.5, b: float = 0.75) -> list[int | None]:
    def tokens(text: str) -> list[str]:
        return re.findall(r"\w+", text.lower())

    docs = [Counter(tokens(p)) for p in paragraphs]
    lengths = [sum(d.values()) for d in docs]
    avg = sum(lengths) / len(lengths)
    df = Counter(t for d in docs for t in d)
    idf = {t: math.log(1 + (len(docs) - f + 0.5) / (f + 0.5)) for t, f in df.items()}
    ranks: list[int | None] = []
    for question, gold, _ in questions:
        scores = []
        for d, length in zip(docs, lengths, strict=True):
            s = sum(idf[t] * d[t] * (k1 + 1) / (d[t] + k1 * (1 - b + b * length / avg))
                    for t in set(tokens(question)) if t in d)
            scores.append(s)
        order = sorted(range(len(docs)), key=lambda i: -scores[i])
        ranks.append(order.index(gold) + 1 if gold in order[:5] else None)
    return ranks


def retrieval(paragraphs: list[str], questions: list[tuple[str, int, list[str]]]
              ) -> dict[str, Any]:
    from dspex_nb.retrieve import ChromaRetriever, default_embedder

    embedder = default_embedder()
    embedder(["warm up: load the model before timing"])
    sentences = [s for p in paragraphs for s in re.split(r"(?<=[.!?])\s+", p) if s.strip()]
    out: dict[str, Any] = {"paragraphs": len(paragraphs), "sentences": len(sentences),
                           "questions": len(questions)}
    for name, texts in (("paragraphs", paragraphs), ("sentences", sentences)):
        rates = []
        for _ in range(REPEATS):
            fresh = ChromaRetriever(f"bench-{uuid.uuid4().hex[:10]}")
            start = time.perf_counter()
            fresh.add(texts, ids=[f"t{i}" for i in range(len(texts))])
            rates.append(len(texts) / (time.perf_counter() - start))
        out[f"index_{name}_per_s"] = statistics.median(rates)
    retriever = ChromaRetriever(f"bench-{uuid.uuid4().hex[:10]}")
    retriever.add(paragraphs, ids=[f"p{i}" for i in range(len(paragraphs))])
    ranks: list[int | None] = []
    latencies = []
    for question, gold, _ in questions:
        start = time.perf_counter()
        docs = retriever.retrieve(question, k=5)
        latencies.append(time.perf_counter() - start)
        ids = [d.id for d in docs]
        ranks.append(ids.index(f"p{gold}") + 1 if f"p{gold}" in ids else None)
    latencies.sort()
    out["dense"] = ranks_summary(ranks)
    out["bm25"] = ranks_summary(bm25_ranks(paragraphs, questions))
    out["query_p50_ms"] = latencies[len(latencies) // 2] * 1000
    out["query_p95_ms"] = latencies[int(len(latencies) * 0.95)] * 1000
    return out


def rag(paragraphs: list[str], questions: list[tuple[str, int, list[str]]], n: int
        ) -> dict[str, Any]:
    import dspex_nb as dx
    from dspex_nb.retrieve import ChromaRetriever

    retriever = ChromaRetriever(f"bench-{uuid.uuid4().hex[:10]}")
    retriever.add(paragraphs, ids=[f"p{i}" for i in range(len(paragraphs))])
    step = max(1, len(questions) // n)
    chosen = questions[::step][:n]  # spread over the article's paragraphs
    devset = [dx.Example(question=q, answer=answers, gold_ids=[f"p{gold}"]).with_inputs(
        "question") for q, gold, answers in chosen]
    dx.configure(cache=False)
    report = dx.evaluate(dx.RAG(k=3, retriever=retriever), devset,
                         [dx.metrics.answer_exact_match, dx.metrics.f1_score,
                          dx.metrics.answer_passage_match,
                          dx.metrics.recall_at_k(3, ids="gold_ids")],
                         concurrency=2, display="text")
    return {"n": report.n, "failures": report.failures, "wall_s": report.wall_time_s,
            **{name: {"mean": m.mean, "ci": [m.ci_low, m.ci_high]}
               for name, m in report.metrics.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--rag-n", type=int, default=50)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    paragraphs, questions = load(args.data)
    results: dict[str, Any] = {"retrieval": retrieval(paragraphs, questions)}
    r = results["retrieval"]
    print(f"{r['paragraphs']} paragraphs ({r['sentences']} sentences), {r['questions']} "
          f"questions; median of {REPEATS} indexing runs")
    print("| measure | dense (MiniLM int8) | BM25 |\n|---|---|---|")
    for key in ("recall@1", "recall@5", "mrr@5"):
        print(f"| {key} | {r['dense'][key]:.3f} | {r['bm25'][key]:.3f} |")
    print(f"| indexing, paragraphs/s | {r['index_paragraphs_per_s']:.0f} | |")
    print(f"| indexing, sentences/s | {r['index_sentences_per_s']:.0f} | |")
    print(f"| query p50 / p95 (ms) | {r['query_p50_ms']:.1f} / {r['query_p95_ms']:.1f} | |")
    if args.rag_n > 0:
        results["rag"] = rag(paragraphs, questions, args.rag_n)
        print(json.dumps(results["rag"], indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
