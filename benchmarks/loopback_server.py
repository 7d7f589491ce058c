"""An OpenAI-compatible loopback server that answers every chat completion after a fixed delay.

Run in its own process so its CPU is not counted as the client's:
    python benchmarks/loopback_server.py --port 8765 --latency 0.05
It answers `{"answer": "<n>"}` as the message content, with usage, whatever is asked.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import socket
import subprocess
import sys
import time

from aiohttp import web


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_app(latency: float) -> web.Application:
    counter = itertools.count()

    async def chat(request: web.Request) -> web.Response:
        await request.read()
        await asyncio.sleep(latency)
        n = next(counter)
        content = json.dumps({"answer": str(n)})
        body = {
            "id": f"cmpl-{n}", "object": "chat.completion", "model": "bench",
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": content}}],
            "usage": {"prompt_tokens": 50, "completion_tokens": 8, "total_tokens": 58},
        }
        return web.json_response(body)

    async def models(request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [{"id": "bench"}]})

    app = web.Application()
    app.router.add_post("/v1/chat/completions", chat)
    app.router.add_get("/v1/models", models)
    return app


def serve(port: int, latency: float) -> None:
    web.run_app(make_app(latency), host="127.0.0.1", port=port, print=None, backlog=4096,
                access_log=None)


class LoopbackServer:
    """The server in a child process, for `with LoopbackServer(latency=0.05) as url:`."""

    def __init__(self, latency: float):
        self.latency = latency
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self._cmd = [sys.executable, __file__, "--port", str(self.port),
                     "--latency", str(latency)]
        self._proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> str:
        self._proc = subprocess.Popen(self._cmd)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self.url
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("loopback server did not start")

    def __exit__(self, *exc: object) -> None:
        if self._proc is not None:
            self._proc.terminate()
            self._proc.wait(5)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--latency", type=float, default=0.05)
    args = parser.parse_args()
    serve(args.port, args.latency)
