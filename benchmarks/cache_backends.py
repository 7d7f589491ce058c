"""Cache backends benchmark: CPU per hit of each layer, and what each saves an evaluation.

    .venv/bin/python benchmarks/cache_backends.py [--n 2000] [--examples 200]

Starts its own Redis (Debian's `redis-server`, on a free loopback port, no persistence) and
an OpenAI-compatible loopback server answering after 50 ms (a separate process, so neither's
CPU is counted). Measured:
  (a) client CPU (all threads of this process) per cache hit of `dx.Cache(layers=[layer])`
      for memory, disk and Redis: `await cache.aget(key)` on the engine loop, as an LM call
      does it, median of 3 runs of `--n` hits;
  (b) the same hit through a whole `Predict` call, awaited on the engine loop (what an
      evaluation does) and called synchronously (what a notebook cell does), with telemetry
      on: the core benchmark's hit rows, for each layer;
  (c) an evaluation of `--examples` questions at concurrency 16, run twice with each cache:
      the wall time of the first run (every call to the server) and of the second (every
      call a hit), and the speed-up.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from loopback_server import LoopbackServer

import dspex_nb as dx
from dspex_nb._engine import run_sync
from tests.support.redis_server import RedisServer


def layers(redis_url: str) -> dict[str, Callable[[], Any]]:
    return {
        "memory": lambda: dx.MemoryCache(maxsize=100_000),
        "disk": lambda: dx.DiskCache(directory=tempfile.mkdtemp(prefix="bench-disk-")),
        "redis": lambda: dx.RedisCache(redis_url, namespace=f"bench-{time.time_ns()}"),
    }


def cpu_per_hit_ms(make_layer: Callable[[], Any], n: int) -> float:
    cache = dx.Cache(layers=[make_layer()])
    entry = {"text": '{"answer": "42"}', "model": "bench", "usage": {}, "finish_reason": "stop"}
    keys = [f"{i:064x}" for i in range(n)]

    async def fill() -> None:
        for key in keys:
            await cache.aput(key, entry)

    async def read() -> None:
        for key in keys:
            assert await cache.aget(key) is not None

    run_sync(fill())
    samples = []
    for _ in range(3):
        start = time.process_time()
        run_sync(read())
        samples.append((time.process_time() - start) * 1000 / n)
    return statistics.median(samples)


def predict_hit_ms(make_layer: Callable[[], Any], url: str, n: int) -> tuple[float, float]:
    """(CPU per hit through Predict awaited on the engine, CPU per synchronous hit)."""
    cache = dx.Cache(layers=[make_layer()])
    predict = dx.Predict("question -> answer", lm=dx.LM("bench", base_url=url, api_key="x"))
    questions = [f"What is item {i}?" for i in range(n)]

    async def ask_all(concurrency: int) -> None:
        gate = asyncio.Semaphore(concurrency)

        async def one(q: str) -> None:
            async with gate:
                await predict.acall(question=q)

        await asyncio.gather(*(one(q) for q in questions))

    with dx.context(cache=cache):
        run_sync(ask_all(64))  # the entries the hits read
        on_engine, sync = [], []
        for _ in range(3):
            start = time.process_time()
            run_sync(ask_all(1))
            on_engine.append((time.process_time() - start) * 1000 / n)
            start = time.process_time()
            for q in questions:
                predict(question=q)
            sync.append((time.process_time() - start) * 1000 / n)
    return statistics.median(on_engine), statistics.median(sync)


def evaluation_speedup(make_layer: Callable[[], Any], url: str, examples: int
                       ) -> tuple[float, float]:
    cache = dx.Cache(layers=[make_layer()])
    predict = dx.Predict("question -> answer", lm=dx.LM("bench", base_url=url, api_key="x"))
    devset = [dx.Example(question=f"Question {i} at {time.time_ns()}?", answer="x"
                         ).with_inputs("question") for i in range(examples)]
    walls = []
    with dx.context(cache=cache):
        for _ in range(2):
            start = time.perf_counter()
            dx.evaluate(predict, devset, dx.metrics.answer_exact_match, concurrency=16,
                        display="none")
            walls.append(time.perf_counter() - start)
    return walls[0], walls[1]


def measure(name: str, make: Callable[[], Any], url: str, args: argparse.Namespace
            ) -> tuple[str, float, float, float, float, float]:
    hit = cpu_per_hit_ms(make, args.n)
    engine, sync = predict_hit_ms(make, url, min(args.n, 1000))
    first, second = evaluation_speedup(make, url, args.examples)
    return name, hit, engine, sync, first, second


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="hits per measurement")
    parser.add_argument("--examples", type=int, default=200)
    args = parser.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}; n={args.n}, examples={args.examples}")
    redis = RedisServer().start()  # the tests' Redis: loopback, its own folder, no persistence
    try:
        with LoopbackServer(latency=0.05) as url:
            rows = [measure(name, make, url, args) for name, make in layers(redis.url).items()]
    finally:
        redis.remove()
    print("| layer | CPU per hit, cache.aget (ms) | CPU per hit through Predict, on the engine "
          "(ms) | same, synchronous (ms) | evaluation, 1st run (s) | 2nd run, all hits (s) "
          "| speed-up |")
    print("|---|---|---|---|---|---|---|")
    for name, hit, engine, sync, first, second in rows:
        print(f"| {name} | {hit:.3f} | {engine:.3f} | {sync:.3f} | {first:.2f} | {second:.2f} "
              f"| {first / second:.1f}x |")


if __name__ == "__main__":
    main()
