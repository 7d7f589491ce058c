"""A served program under load: what the metrics endpoint costs it, and what scraping does.

    .venv/bin/python benchmarks/serve_load.py [--requests 10000] [--concurrency 64]

A `Predict` program is registered and served with `dspex-nb serve` (its own process, cache
off) against the 50 ms loopback LM server (another process). A client in this process sends
`--requests` POST /predict at `--concurrency`. Three runs, each against a freshly started
service: metrics off (`--no-metrics`), metrics on, and metrics on while a scraper reads
/metrics once a second. Reported: requests per second, latency p50/p95, the service
process's CPU per request (from /proc), and the change in throughput each makes.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import aiohttp
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loopback_server import LoopbackServer, free_port

import dspex_nb as dx

ROOT = Path(__file__).resolve().parents[1]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Service:
    def __init__(self, store: Path, ref: str, *, metrics: bool):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        cmd = [sys.executable, "-m", "dspex_nb", "serve", ref, "--store", str(store),
               "--port", str(self.port), "--no-cache", *([] if metrics else ["--no-metrics"])]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("the service did not start")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


async def load(url: str, requests: int, concurrency: int
               ) -> tuple[float, list[float], int]:
    """(wall time, each request's latency, failed requests). aiohttp, not httpx: httpx's
    async client was the bottleneck here (about 90 requests/s, and connections dropped)."""
    latencies: list[float] = []
    failures = 0
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        gate = asyncio.Semaphore(concurrency)

        async def one(i: int) -> None:
            nonlocal failures
            async with gate:
                start = time.perf_counter()
                try:
                    async with session.post(f"{url}/predict",
                                            json={"question": f"What is item {i}?"}) as r:
                        await r.read()
                        failures += r.status != 200
                except aiohttp.ClientError:
                    failures += 1
                    return
                latencies.append(time.perf_counter() - start)

        await asyncio.gather(*(one(i) for i in range(min(500, requests))))  # warm up
        latencies.clear()
        failures = 0
        start = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(requests)))
        wall = time.perf_counter() - start
    return wall, latencies, failures


def run(store: Path, ref: str, args: argparse.Namespace, *, metrics: bool,
        scrape: bool) -> dict[str, Any]:
    service = Service(store, ref, metrics=metrics)
    stop = threading.Event()
    scrapes = 0

    def scraper() -> None:
        nonlocal scrapes
        while not stop.wait(1.0):
            try:
                httpx.get(f"{service.url}/metrics", timeout=5).raise_for_status()
                scrapes += 1
            except httpx.HTTPError:
                return  # the service is going away

    try:
        thread = threading.Thread(target=scraper, daemon=True) if scrape else None
        cpu_before = cpu_seconds(service.proc.pid)
        if thread is not None:
            thread.start()
        wall, latencies, failures = asyncio.run(load(service.url, args.requests,
                                                     args.concurrency))
        cpu = cpu_seconds(service.proc.pid) - cpu_before
        stop.set()
    finally:
        service.stop()
    latencies.sort()
    return {"rps": args.requests / wall, "p50_ms": statistics.median(latencies) * 1000,
            "p95_ms": latencies[int(0.95 * len(latencies))] * 1000,
            "cpu_ms": cpu * 1000 / args.requests, "scrapes": scrapes, "failures": failures}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=1, help="rounds of the three runs")
    args = parser.parse_args()
    print(f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"{args.requests} requests at concurrency {args.concurrency}, LM latency 50 ms")
    store = Path(tempfile.mkdtemp(prefix="bench-serve-"))
    rows: dict[str, list[dict[str, Any]]] = {"metrics off": [], "metrics on": [],
                                             "metrics on, scraped every second": []}
    with LoopbackServer(latency=0.05) as lm_url:
        program = dx.Predict("question -> answer", lm=dx.LM("bench", base_url=lm_url))
        ref = dx.save(program, "bench-qa", store=store)
        for _ in range(args.repeat):
            rows["metrics off"].append(run(store, ref, args, metrics=False, scrape=False))
            rows["metrics on"].append(run(store, ref, args, metrics=True, scrape=False))
            rows["metrics on, scraped every second"].append(
                run(store, ref, args, metrics=True, scrape=True))
    base = statistics.median(r["rps"] for r in rows["metrics off"])
    print("| run | requests/s (median; each run) | vs metrics off | p50 (ms) | p95 (ms) | "
          "service CPU per request (ms) | scrapes | failed requests |")
    print("|---|---|---|---|---|---|---|---|")
    for name, runs in rows.items():
        rps = statistics.median(r["rps"] for r in runs)
        med = {k: statistics.median(r[k] for r in runs) for k in ("p50_ms", "p95_ms", "cpu_ms")}
        each = ", ".join(f"{r['rps']:.0f}" for r in runs)
        print(f"| {name} | {rps:.0f} ({each}) | {100 * (rps / base - 1):+.1f}% | "
              f"{med['p50_ms']:.1f} | {med['p95_ms']:.1f} | {med['cpu_ms']:.3f} | "
              f"{sum(r['scrapes'] for r in runs)} | {sum(r['failures'] for r in runs)} |")


if __name__ == "__main__":
    main()
