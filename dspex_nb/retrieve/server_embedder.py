"""`ServerEmbedder`: embeddings from an OpenAI-compatible `/v1/embeddings` endpoint (OpenAI,
vLLM, llama.cpp, Ollama), for a team that serves its own embedding model.

    embedder = ServerEmbedder("text-embedding-3-small")              # OPENAI_API_KEY, OpenAI
    embedder = ServerEmbedder("bge-m3", base_url="http://gpu:8000/v1")
    docs = ChromaRetriever("docs", embedder=embedder)

Requests go through `dx.LM`'s transport (`LM.post_json`): the same credentials handling (the
key stays in memory, never in a collection, event or repr), connection pool, timeout, retries
and typed errors as chat calls. Texts are sent in batches of `batch_size`, a few batches at a
time; the vectors come back in the order of the texts.

The collection records the embedder's `name` (the model, and `dimensions` if set), so a
collection built with one model is refused by a retriever with another. The server itself is
not part of the name: the same model behind another URL gives the same vectors.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

from dspex_nb import _checks as checks
from dspex_nb._engine import run_sync
from dspex_nb.errors import ArgumentError, BadResponseError
from dspex_nb.lm.openai import LM

POOLING = ("server", "mean")
BATCH = 64  # texts per request
IN_FLIGHT = 4  # requests sent at once


class ServerEmbedder:
    """`embedder(texts) -> list of float32 vectors` from an OpenAI-compatible server:
    `model` at `base_url` (default `$OPENAI_BASE_URL`) with `api_key` (default
    `$OPENAI_API_KEY`; never stored with anything saved). Texts go `batch_size` per request
    (default 64; 1 with `pooling="mean"`), each request waits `timeout` seconds and is
    retried `max_retries` times on a transient error; `dimensions` asks the server for shorter
    vectors.

    `pooling="server"` expects one vector per text, as OpenAI, vLLM and `llama-server
    --pooling mean` send. A llama-cpp-python server running a model without pooling sends one
    vector per token instead: that is refused with a clear error, unless `pooling="mean"`,
    which averages them (what `--pooling mean` would have done on the server). With
    `pooling="mean"` each request carries one text: measured against llama-cpp-python 0.3's
    server, every text after the first of a batch came back with wrong token vectors.
    """

    def __init__(self, model: str, base_url: str | None = None, api_key: str | None = None, *,
                 batch_size: int | None = None, dimensions: int | None = None,
                 pooling: Literal["server", "mean"] = "server", timeout: float = 120.0,
                 max_retries: int = 4):
        if not isinstance(model, str) or not model.strip():
            raise ArgumentError(f"model must be the embedding model's name, not {model!r:.60}")
        self.pooling = checks.one_of("pooling", pooling, POOLING)
        checks.whole_number("batch_size", batch_size, optional=True)
        if pooling == "mean" and batch_size not in (None, 1):
            raise ArgumentError("pooling='mean' sends one text per request (servers without "
                                "pooling return wrong vectors for batches): leave batch_size "
                                "unset")
        self.batch_size: int = batch_size or (1 if pooling == "mean" else BATCH)
        self.dimensions = checks.whole_number("dimensions", dimensions, optional=True)
        self._lm = LM(model, base_url, api_key, timeout=timeout, max_retries=max_retries,
                      cache=False)
        self.model = self._lm.model  # "openai/" prefix dropped, as for chat models
        self.name = self.model + (f"@{self.dimensions}d" if self.dimensions else "")

    @property
    def server(self) -> str:
        """The server's URL, without credentials."""
        return self._lm.server

    def __call__(self, texts: Sequence[str]) -> list[np.ndarray]:
        return run_sync(self.aembed(texts))

    async def aembed(self, texts: Sequence[str]) -> list[np.ndarray]:
        """The vectors of `texts`, in order; batches are sent a few at a time."""
        if isinstance(texts, str) or not all(isinstance(t, str) for t in texts):
            raise ArgumentError("the embedder takes a list of strings")
        if any(not t.strip() for t in texts):
            raise ArgumentError("an empty text has no embedding: remove it or give it words")
        gate = asyncio.Semaphore(IN_FLIGHT)

        async def batch(chunk: list[str]) -> list[np.ndarray]:
            async with gate:
                return await self._embed_batch(chunk)

        chunks = [list(texts[i:i + self.batch_size])
                  for i in range(0, len(texts), self.batch_size)]
        vectors = [v for part in await asyncio.gather(*map(batch, chunks)) for v in part]
        if len({len(v) for v in vectors}) > 1:
            raise BadResponseError(f"{self.server} sent vectors of different sizes for one "
                                   f"model ({sorted({len(v) for v in vectors})})")
        return vectors

    async def _embed_batch(self, texts: list[str]) -> list[np.ndarray]:
        body: dict[str, Any] = {"model": self.model, "input": texts, "encoding_format": "float"}
        if self.dimensions is not None:
            body["dimensions"] = self.dimensions
        data = await self._lm.post_json("embeddings", body)
        items = data.get("data")
        if not isinstance(items, list) or len(items) != len(texts):
            raise BadResponseError(
                f"{self.server} sent {len(items) if isinstance(items, list) else 'no'} "
                f"embeddings for {len(texts)} texts")
        ordered = sorted(items, key=lambda item: item.get("index", 0)
                         if isinstance(item, dict) else 0)
        return [self._vector(item) for item in ordered]

    def _vector(self, item: Any) -> np.ndarray:
        raw = item.get("embedding") if isinstance(item, dict) else None
        if isinstance(raw, str):
            raise BadResponseError(f"{self.server} sent a base64 embedding; dspex_nb asks for "
                                   f"encoding_format='float'")
        if isinstance(raw, list) and raw and isinstance(raw[0], list):
            if self.pooling != "mean":
                raise BadResponseError(
                    f"{self.server} sent one vector per token, not one per text: its model "
                    f"has no pooling. Start the server with pooling (llama-server --pooling "
                    f"mean), or pass ServerEmbedder(..., pooling='mean') to average them here")
            rows = _numbers(raw, self.server)
            return np.asarray(rows, dtype=np.float32).mean(axis=0)  # type: ignore[no-any-return]
        return np.asarray(_numbers([raw], self.server)[0], dtype=np.float32)

    def __repr__(self) -> str:
        return f"ServerEmbedder({self.name!r}, base_url={self.server!r})"


def _numbers(rows: Any, server: str) -> list[list[float]]:
    """Rows of finite numbers, all of one length; anything else is the server's fault."""
    if not isinstance(rows, list) or not rows or not all(
            isinstance(r, list) and r and all(isinstance(x, int | float) and math.isfinite(x)
                                              and not isinstance(x, bool) for x in r)
            for r in rows) or len({len(r) for r in rows}) > 1:
        raise BadResponseError(f"{server} sent an embedding that is not a list of numbers")
    return rows
