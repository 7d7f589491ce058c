"""A metrics endpoint for any process: `dx.telemetry.serve(port=9464)` in a service, a batch
worker or a kernel, and what a notebook's dashboard or Prometheus reads from it.

- `GET /metrics`: the aggregator in Prometheus' text format (`telemetry/prometheus.py`);
- `GET /snapshot?since=<seq>`: JSON for `dx.dashboard(source=...)`: the dashboard's summary,
  the LM calls with sequence number >= `since` (latency points), the newest sequence number,
  and the process id and start time (a restarted process is a new one).

`metrics_app()` is the same as a WSGI app and `metrics_asgi_app()` as an ASGI app, to mount in
a server that already runs (Flask, FastAPI, Starlette). Serving starts counting program calls
per program (`MetricsAggregator.track_programs`).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import Any, Self
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import orjson

from dspex_nb import _checks as checks
from dspex_nb.errors import ArgumentError
from dspex_nb.telemetry import metrics
from dspex_nb.telemetry.aggregator import MetricsAggregator
from dspex_nb.telemetry.prometheus import CONTENT_TYPE, render

MAX_POINTS = 2000  # latency points one snapshot carries at most

Response = tuple[str, str, bytes]  # status, content type, body


def snapshot(aggregator: MetricsAggregator, since: int = 0) -> dict[str, Any]:
    return {"pid": os.getpid(), "started": aggregator.started, "seq": aggregator.seq,
            "summary": aggregator.summary(),
            "points": aggregator.latency_points(since, MAX_POINTS)}


def respond(aggregator: MetricsAggregator, method: str, path: str, query: str) -> Response:
    """The one router both app forms use."""
    if method not in ("GET", "HEAD"):
        return "405 Method Not Allowed", "text/plain; charset=utf-8", b"GET only\n"
    path = path.rstrip("/") or "/"
    if path.endswith("/metrics"):
        return "200 OK", CONTENT_TYPE, render(aggregator)
    if path.endswith("/snapshot"):
        values = parse_qs(query).get("since", ["0"])
        try:
            since = max(0, int(values[0]))
        except ValueError:
            return ("400 Bad Request", "application/json",
                    orjson.dumps({"error": "since is a whole number"}))
        return "200 OK", "application/json", orjson.dumps(snapshot(aggregator, since))
    return "404 Not Found", "text/plain; charset=utf-8", b"/metrics or /snapshot\n"


def metrics_app(aggregator: MetricsAggregator | None = None) -> Callable[..., Iterable[bytes]]:
    """A WSGI app serving /metrics and /snapshot."""
    found = _aggregator(aggregator)

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        status, content_type, body = respond(found, environ.get("REQUEST_METHOD", "GET"),
                                             environ.get("PATH_INFO", "/"),
                                             environ.get("QUERY_STRING", ""))
        start_response(status, [("Content-Type", content_type),
                                ("Content-Length", str(len(body))),
                                ("Cache-Control", "no-store")])
        return [b"" if environ.get("REQUEST_METHOD") == "HEAD" else body]

    return app


def metrics_asgi_app(aggregator: MetricsAggregator | None = None) -> Callable[..., Any]:
    """An ASGI app serving /metrics and /snapshot (mount it: `app.mount("/dspex", ...)`)."""
    found = _aggregator(aggregator)

    async def app(scope: dict[str, Any], receive: Callable[..., Any],
                  send: Callable[..., Any]) -> None:
        if scope["type"] != "http":
            return
        status, content_type, body = respond(found, scope.get("method", "GET"),
                                             scope.get("path", "/"),
                                             scope.get("query_string", b"").decode())
        await send({"type": "http.response.start", "status": int(status.split()[0]),
                    "headers": [(b"content-type", content_type.encode()),
                                (b"content-length", str(len(body)).encode()),
                                (b"cache-control", b"no-store")]})
        await send({"type": "http.response.body", "body": body})

    return app


def _aggregator(aggregator: MetricsAggregator | None) -> MetricsAggregator:
    if aggregator is None:
        aggregator = metrics
    if not isinstance(aggregator, MetricsAggregator):
        raise ArgumentError(f"aggregator is a MetricsAggregator, not "
                            f"{type(aggregator).__name__}")
    aggregator.track_programs()
    return aggregator


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """No line per request: a scrape every second must not fill a notebook or a log."""


class MetricsServer:
    """The endpoint, served from a daemon thread; `url`, and `stop()` (or a `with` block)."""

    def __init__(self, *, port: int = 0, host: str = "127.0.0.1",
                 aggregator: MetricsAggregator | None = None):
        port = checks.whole_number("port", port, minimum=0)
        if port > 65535:
            raise ArgumentError(f"port is 0 (any free one) to 65535, not {port}")
        if not isinstance(host, str) or not host:
            raise ArgumentError(f"host is an address such as '127.0.0.1', not {host!r:.40}")
        self._httpd = make_server(host, port, metrics_app(aggregator), server_class=_Server,
                                  handler_class=_QuietHandler)
        self.host, self.port = host, int(self._httpd.server_address[1])
        self._thread = threading.Thread(target=self._httpd.serve_forever,
                                        name="dspex_nb-metrics", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"MetricsServer({self.url}: /metrics, /snapshot)"


def serve(*, port: int = 0, host: str = "127.0.0.1",
          aggregator: MetricsAggregator | None = None) -> MetricsServer:
    """Serve this process's metrics on `host:port` (loopback by default; 0 picks a free
    port): Prometheus scrapes `/metrics`, `dx.dashboard(source=url)` reads `/snapshot`."""
    return MetricsServer(port=port, host=host, aggregator=aggregator)
