"""A loopback server speaking ColBERTv2's HTTP search API, for the DSPy bridge's tests:
GET `?query=...&k=...` or POST `{"query", "k"}` answers `{"topk": [{"text", "pid", "rank",
"score", "prob"}, ...]}` as the ColBERT server DSPy talks to does. It ranks a small corpus
with the offline embedder (real similarities, not canned answers). Every request is kept."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import numpy as np
from aiohttp import web

from dspex_nb.retrieve import MiniLMEmbedder
from tests.support.processes import free_port


class ColBERTServer:
    def __init__(self, corpus: list[str]):
        self.corpus = corpus
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/api/search"
        self.requests: list[dict[str, Any]] = []
        self._embedder = MiniLMEmbedder()
        self._vectors = np.stack(self._embedder(corpus))
        self._loop = asyncio.new_event_loop()
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def search(self, query: str, k: int) -> dict[str, Any]:
        scores = self._vectors @ self._embedder([query])[0]
        order = np.argsort(-scores)[:k]
        return {"query": query, "topk": [
            {"text": self.corpus[i], "pid": int(i), "rank": rank + 1,
             "score": float(scores[i]), "prob": 1.0 / len(order)}
            for rank, i in enumerate(order)]}

    async def _handle(self, request: web.Request) -> web.Response:
        if request.method == "POST":
            params = await request.json()
        else:
            params = dict(request.query)
        self.requests.append({"method": request.method, **params})
        if not params.get("query"):
            return web.json_response({"error": True, "message": "no query"})
        return web.json_response(self.search(str(params["query"]), int(params.get("k", 10))))

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application()
        app.router.add_get("/api/search", self._handle)
        app.router.add_post("/api/search", self._handle)
        self._runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=0.1)
        self._loop.run_until_complete(self._runner.setup())
        self._loop.run_until_complete(web.TCPSite(self._runner, "127.0.0.1", self.port).start())
        self._started.set()
        self._loop.run_forever()

    def start(self) -> ColBERTServer:
        self._thread.start()
        self._started.wait(10)
        return self

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
