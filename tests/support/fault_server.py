"""A loopback OpenAI-compatible server whose every answer a test scripts: for fault tests.

Each request takes the next scripted action (the last one repeats):
    ok(text)            a valid chat completion with `text` as content
    embeddings(*vectors)  a valid /v1/embeddings answer
    status(code, body, headers)   an error status
    malformed()         200 with a body that is not JSON
    hang(seconds)       answer nothing for that long
Every request's headers and JSON body are kept in `requests`.
"""

from __future__ import annotations

import asyncio
import json
import random
import threading
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.support.processes import free_port


@dataclass
class Action:
    kind: str
    text: str = ""
    code: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0


def ok(text: str = '{"answer": "ok"}', *, prompt_tokens: int = 11,
       completion_tokens: int = 7) -> Action:
    body = json.dumps({
        "id": "chatcmpl-test", "object": "chat.completion", "model": "fault-model",
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": text}}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens},
    })
    return Action("raw", text=body)


def embeddings(*vectors: object, shuffle: bool = False) -> Action:
    """A /v1/embeddings answer with these vectors (index i for the i-th); `shuffle` sends the
    items in reverse order, as a server may."""
    items = [{"object": "embedding", "index": i, "embedding": v} for i, v in enumerate(vectors)]
    body = {"object": "list", "model": "fault-embedder",
            "data": items[::-1] if shuffle else items,
            "usage": {"prompt_tokens": 3, "total_tokens": 3}}
    return Action("raw", text=json.dumps(body))


def status(code: int, body: str = '{"error": {"message": "scripted"}}',
           headers: dict[str, str] | None = None) -> Action:
    return Action("raw", text=body, code=code, headers=headers or {})


def malformed() -> Action:
    return Action("raw", text='{"choices": [ this is not json')


def hang(seconds: float) -> Action:
    return Action("hang", seconds=seconds)


class FaultServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self.requests: list[dict[str, Any]] = []
        self._script: list[Action] = [ok()]
        self._random: tuple[random.Random, Action, list[Action], float] | None = None
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def script(self, *actions: Action) -> None:
        with self._lock:
            self._script = list(actions)
            self._random = None
            self.requests.clear()

    def script_random(self, success: Action, failures: list[Action], *, rate: float,
                      seed: int = 0) -> None:
        """Each request fails with probability `rate`, with one of `failures` (seeded)."""
        with self._lock:
            self._random = (random.Random(seed), success, failures, rate)
            self.requests.clear()

    def _next(self) -> Action:
        with self._lock:
            if self._random is not None:
                rng, success, failures, rate = self._random
                return rng.choice(failures) if rng.random() < rate else success
            return self._script.pop(0) if len(self._script) > 1 else self._script[0]

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        with self._lock:
            self.requests.append({"headers": dict(request.headers), "body": body})
        action = self._next()
        if action.kind == "hang":
            await asyncio.sleep(action.seconds)
            return web.Response(status=504, text="late")
        return web.Response(status=action.code, text=action.text, headers=action.headers,
                            content_type="application/json")

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._handle)
        app.router.add_post("/v1/embeddings", self._handle)
        self._runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=0.1)
        self._loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        self._loop.run_until_complete(site.start())
        self._started.set()
        self._loop.run_forever()

    def start(self) -> FaultServer:
        self._thread.start()
        self._started.wait(10)
        return self

    def stop(self) -> None:
        async def shutdown() -> None:
            await self._runner.cleanup()
            current = asyncio.current_task()
            pending = [t for t in asyncio.all_tasks() if t is not current]
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
