"""Core client benchmark: client CPU per Predict call, and efficiency under concurrency.

    .venv/bin/python benchmarks/core_client.py              # dspex_nb alone
    .venv-bench/bin/python benchmarks/core_client.py        # with DSPy side by side

Against a loopback OpenAI-compatible server (a separate process, so its CPU is not counted)
that answers after a fixed latency. Measured, for the same signature `question -> answer`:
  (a) client CPU (all threads of this process) per uncached call, per cache miss that writes
      the memory+disk cache, and per cache hit;
  (b) efficiency = (N x latency / concurrency) / wall time, for N calls at each concurrency;
      1.0 is the physical limit;
  (c) client CPU per call made synchronously from the main thread (`predict(question=...)`,
      as in a notebook cell), uncached and cache hit, against a second server that answers
      at once (the condition the sync targets are stated for), and the uncached call again
      against the slow server: a thread that slept through the server's latency wakes to
      cold CPU caches, so the same work costs more CPU (a bare aiohttp request too).
Figures go to stdout as a table; `--json PATH` also writes them as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loopback_server import LoopbackServer

Call = Callable[[int], Awaitable[Any]]


async def run_calls(call: Call, ids: range, concurrency: int) -> float:
    """Run call(i) for every id with at most `concurrency` in flight; return wall seconds."""
    sem = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        async with sem:
            await call(i)

    start = time.perf_counter()
    await asyncio.gather(*(one(i) for i in ids))
    return time.perf_counter() - start


REPEATS = 3


async def cpu_ms_per_call(call: Call, n: int, concurrency: int, *, fresh: bool) -> float:
    """Median over REPEATS runs of process CPU (all threads) per call, in ms.

    `fresh`: every run asks new questions (cache misses); else the same ones (cache hits).
    """
    samples = []
    for r in range(REPEATS):
        base = 1_000_000 * (r + 1) if fresh else 0
        start = time.process_time()
        await run_calls(call, range(base, base + n), concurrency)
        samples.append((time.process_time() - start) * 1000 / n)
    return statistics.median(samples)


async def efficiency_at(call: Call, n: int, latency: float, concurrency: int) -> float:
    """Median over REPEATS runs of (N x latency / concurrency) / wall."""
    samples = []
    for _ in range(REPEATS):
        wall = await run_calls(call, range(n), concurrency)
        samples.append(efficiency(n, latency, concurrency, wall))
    return statistics.median(samples)


def sync_cpu_ms_per_call(call: Callable[[int], Any], n: int, *, fresh: bool) -> float:
    """Median over REPEATS runs of process CPU per call made synchronously from this (the
    main) thread, one after another: how a notebook user calls `program(question=...)`."""
    samples = []
    for r in range(REPEATS):
        base = 2_000_000 * (r + 1) if fresh else 0
        start = time.process_time()
        for i in range(base, base + n):
            call(i)
        samples.append((time.process_time() - start) * 1000 / n)
    return statistics.median(samples)


def efficiency(n: int, latency: float, concurrency: int, wall: float) -> float:
    return (n * latency / concurrency) / wall


# -- dspex_nb ------------------------------------------------------------------------------
def bench_dspex(url: str, fast_url: str, n: int, latency: float,
                levels: list[int]) -> dict[str, Any]:
    import dspex_nb as dx
    from dspex_nb._engine import run_sync

    dx.configure(cache=dx.Cache(directory=tempfile.mkdtemp(prefix="bench-dspex-")))
    uncached = dx.Predict("question -> answer", lm=dx.LM("bench", base_url=url, api_key="x",
                                                         cache=False))
    cached = dx.Predict("question -> answer", lm=dx.LM("bench", base_url=url, api_key="x"))
    fast = dx.Predict("question -> answer", lm=dx.LM("bench", base_url=fast_url, api_key="x",
                                                     cache=False))

    def call(predict: dx.Predict) -> Call:
        return lambda i: predict.acall(question=f"What is item {i}?")

    async def main() -> dict[str, Any]:
        await run_calls(call(uncached), range(256), 128)  # warm up connections
        await run_calls(call(cached), range(n), 64)  # the entries the cache-hit runs read
        out: dict[str, Any] = {
            "cpu_uncached_ms": await cpu_ms_per_call(call(uncached), n, 64, fresh=True),
            "cpu_miss_write_ms": await cpu_ms_per_call(call(cached), n, 64, fresh=True),
            "cpu_hit_ms": await cpu_ms_per_call(call(cached), n, 1, fresh=False),
        }
        for c in levels:
            out[f"eff_{c}"] = await efficiency_at(call(uncached), n, latency, c)
        dx.telemetry.disable()
        try:
            out["cpu_uncached_no_telemetry_ms"] = await cpu_ms_per_call(
                call(uncached), n, 64, fresh=True)
        finally:
            dx.telemetry.enable()
        return out

    # On the engine loop, as the library's own bulk work (evaluation, optimization) runs.
    result = run_sync(main())

    async def from_user_loop() -> float:
        return await cpu_ms_per_call(call(uncached), n, 64, fresh=True)

    # Awaited from another loop (a notebook cell's): each LM call hops to the engine.
    result["cpu_uncached_user_loop_ms"] = asyncio.run(from_user_loop())
    # Called synchronously from the main thread, as a notebook user does.
    result["cpu_sync_uncached_ms"] = sync_cpu_ms_per_call(
        lambda i: fast(question=f"What is item {i}?"), n, fresh=True)
    result["cpu_sync_uncached_slow_ms"] = sync_cpu_ms_per_call(
        lambda i: uncached(question=f"What is item {i}?"), n // 5, fresh=True)
    result["cpu_sync_hit_ms"] = sync_cpu_ms_per_call(
        lambda i: cached(question=f"What is item {i}?"), n, fresh=False)
    result["cpu_sync_bare_ms"] = sync_bare_aiohttp_ms(fast_url, n)
    return result


def sync_bare_aiohttp_ms(url: str, n: int) -> float:
    """The rig's floor for a sync call: a bare aiohttp POST of a similar body, handed to a
    loop in another thread and awaited from this one (no library at all). The machines this
    runs on vary by 2-3x from hour to hour; this row, measured in the same run, says how fast
    the machine was."""
    import threading

    import aiohttp

    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, daemon=True).start()

    async def make() -> aiohttp.ClientSession:
        return aiohttp.ClientSession()

    session = asyncio.run_coroutine_threadsafe(make(), loop).result()
    headers = {"Content-Type": "application/json", "Authorization": "Bearer x"}

    async def post(i: int) -> bytes:
        body = json.dumps({"model": "bench", "temperature": 0.0, "messages": [
            {"role": "system", "content": "x" * 600},
            {"role": "user", "content": f"What is item {i}?"}]})
        async with session.post(f"{url}/chat/completions", data=body, headers=headers) as r:
            return await r.read()

    try:
        return sync_cpu_ms_per_call(
            lambda i: asyncio.run_coroutine_threadsafe(post(i), loop).result(), n, fresh=True)
    finally:
        asyncio.run_coroutine_threadsafe(session.close(), loop).result()
        loop.call_soon_threadsafe(loop.stop)


# -- DSPy ----------------------------------------------------------------------------------
def bench_dspy(url: str, fast_url: str, n: int, latency: float,
               levels: list[int]) -> dict[str, Any] | None:
    os.environ.setdefault("DSPY_CACHEDIR", tempfile.mkdtemp(prefix="bench-dspy-"))
    try:
        import dspy
    except ImportError:
        return None

    uncached_lm = dspy.LM("openai/bench", api_base=url, api_key="x", cache=False)
    fast_lm = dspy.LM("openai/bench", api_base=fast_url, api_key="x", cache=False)
    cached_lm = dspy.LM("openai/bench", api_base=url, api_key="x", cache=True)
    predict = dspy.Predict("question -> answer")
    adapter = dspy.JSONAdapter()

    def call(lm: Any) -> Call:
        async def go(i: int) -> Any:
            with dspy.context(lm=lm, adapter=adapter):
                return await predict.acall(question=f"What is item {i}?")

        return go

    async def main() -> dict[str, Any]:
        await run_calls(call(uncached_lm), range(256), 128)
        await run_calls(call(cached_lm), range(n), 64)
        out: dict[str, Any] = {
            "cpu_uncached_ms": await cpu_ms_per_call(call(uncached_lm), n, 64, fresh=True),
            "cpu_miss_write_ms": await cpu_ms_per_call(call(cached_lm), n, 64, fresh=True),
            "cpu_hit_ms": await cpu_ms_per_call(call(cached_lm), n, 1, fresh=False),
        }
        for c in levels:
            out[f"eff_{c}"] = await efficiency_at(call(uncached_lm), n, latency, c)
        return out

    result = asyncio.run(main())

    def sync_call(lm: Any) -> Callable[[int], Any]:
        def go(i: int) -> Any:
            with dspy.context(lm=lm, adapter=adapter):
                return predict(question=f"What is item {i}?")

        return go

    result["cpu_sync_uncached_ms"] = sync_cpu_ms_per_call(sync_call(fast_lm), n, fresh=True)
    result["cpu_sync_uncached_slow_ms"] = sync_cpu_ms_per_call(sync_call(uncached_lm), n // 5,
                                                               fresh=True)
    result["cpu_sync_hit_ms"] = sync_cpu_ms_per_call(sync_call(cached_lm), n, fresh=False)
    result["version"] = dspy.__version__
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[8, 64, 128])
    parser.add_argument("--json", type=Path)
    parser.add_argument("--skip-dspy", action="store_true")
    args = parser.parse_args()

    with LoopbackServer(args.latency) as url, LoopbackServer(0.0) as fast_url:
        results = {"dspex_nb": bench_dspex(url, fast_url, args.calls, args.latency,
                                           args.concurrency)}
        if not args.skip_dspy:
            dspy_result = bench_dspy(url, fast_url, args.calls, args.latency, args.concurrency)
            if dspy_result is not None:
                results["dspy"] = dspy_result

    rows = [
        ("CPU per uncached call (ms)", "cpu_uncached_ms"),
        ("  same, telemetry off (ms)", "cpu_uncached_no_telemetry_ms"),
        ("  same, awaited from another loop (ms)", "cpu_uncached_user_loop_ms"),
        ("CPU per cache miss + write (ms)", "cpu_miss_write_ms"),
        ("CPU per cache hit (ms)", "cpu_hit_ms"),
        ("CPU per sync uncached call (ms)", "cpu_sync_uncached_ms"),
        ("  same, server latency as above (ms)", "cpu_sync_uncached_slow_ms"),
        ("CPU per sync cache hit (ms)", "cpu_sync_hit_ms"),
        ("(floor) sync bare aiohttp POST (ms)", "cpu_sync_bare_ms"),
        *[(f"efficiency at concurrency {c}", f"eff_{c}") for c in args.concurrency],
    ]
    names = list(results)
    print(f"{args.calls} calls (median of {REPEATS} runs), loopback latency "
          f"{args.latency * 1000:.0f} ms (sync rows: 0 ms unless stated), "
          f"{os.cpu_count()} cores, Python {platform.python_version()}")
    header = f"| {'measure':40} | " + " | ".join(f"{n:>10}" for n in names) + " |"
    print(header)
    print("|" + "-" * 42 + "|" + "|".join("-" * 12 for _ in names) + "|")
    for label, key in rows:
        cells = []
        for name in names:
            value = results[name].get(key)
            cells.append(f"{value:>10.3f}" if isinstance(value, float) else f"{'-':>10}")
        print(f"| {label:40} | " + " | ".join(cells) + " |")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
