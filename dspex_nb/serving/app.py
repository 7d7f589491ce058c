"""`program_app(program)`: an ASGI app that answers `POST /predict` with the program's
outputs, with the metrics endpoint beside it (`/metrics`, `/snapshot`).

Requests and answers are JSON. What the caller got wrong is a 422 naming the field
(malformed JSON, not an object, an unknown, missing or ill-typed input); a failed model call
is a 502 with the typed error; anything else a 500 with the error's type only. Nothing the
service answers or logs holds a key: errors are typed messages, never tracebacks.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from dspex_nb._json import to_jsonable
from dspex_nb.errors import DspexError, InputError, LMError, ParseError
from dspex_nb.modules.module import Module, Predictor, _defines
from dspex_nb.telemetry.endpoint import metrics_asgi_app

MAX_BODY = 1 << 20  # a request body past 1 MiB is refused (413)

ASGIApp = Callable[[dict[str, Any], Callable[..., Awaitable[Any]], Callable[..., Awaitable[Any]]],
                   Awaitable[None]]


def input_names(program: Module) -> tuple[list[str], list[str]]:
    """(every input the program takes, those it requires): its signature's input fields for a
    predictor, else the parameters of its forward (or aforward)."""
    if isinstance(program, Predictor):
        names = list(program.signature.input_fields)
        return names, names
    method = program.forward if _defines(type(program), "forward") else program.aforward
    params = [p for p in inspect.signature(method).parameters.values()
              if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    return ([p.name for p in params],
            [p.name for p in params if p.default is inspect.Parameter.empty])


def program_app(program: Module, *, name: str | None = None, metrics: bool = True) -> ASGIApp:
    """Serve `program` (called `name` on `GET /`, default its class): `POST /predict`
    (inputs as a JSON object), `GET /` (what it takes),
    `GET /healthz`, and with `metrics` the metrics endpoint."""
    if not isinstance(program, Module):
        raise TypeError(f"program_app serves a dx.Module, not {type(program).__name__}")
    names, required = input_names(program)
    described = {"program": name or type(program).__name__, "inputs": names,
                 "required": required}
    metrics_app = metrics_asgi_app() if metrics else None

    async def predict(body: bytes) -> tuple[int, dict[str, Any]]:
        try:
            inputs = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            return 422, _error("InputError", f"the body is not valid JSON: {exc}", None)
        if not isinstance(inputs, dict):
            return 422, _error("InputError", f"the body is a JSON object of inputs "
                               f"({', '.join(names)}), not a {type(inputs).__name__}", None)
        unknown = sorted(set(inputs) - set(names))
        if unknown:
            return 422, _error("InputError", f"unknown input(s) {unknown}; the inputs are "
                               f"{names}", unknown)
        missing = [k for k in required if k not in inputs]
        if missing:
            return 422, _error("InputError", f"missing input(s) {missing}", missing)
        try:
            prediction = await program.acall(**inputs)
        except InputError as exc:
            return 422, _error("InputError", str(exc), exc.fields or None)
        except (LMError, ParseError) as exc:
            return 502, _error(type(exc).__name__, str(exc).split("\n--- raw", 1)[0], None)
        except DspexError as exc:
            return 500, _error(type(exc).__name__, str(exc), None)
        except Exception as exc:  # the service stays up; the type alone, no internals
            return 500, _error(type(exc).__name__, "the program raised an unexpected error",
                               None)
        outputs = dict(prediction) if hasattr(prediction, "keys") else {"output": prediction}
        return 200, to_jsonable(outputs)

    async def app(scope: dict[str, Any], receive: Callable[..., Awaitable[Any]],
                  send: Callable[..., Awaitable[Any]]) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        path, method = scope.get("path", "/").rstrip("/") or "/", scope.get("method", "GET")
        if metrics_app is not None and path in ("/metrics", "/snapshot"):
            await metrics_app(scope, receive, send)
            return
        if path == "/predict" and method == "POST":
            body = await _body(receive)
            status, answer = (413, _error("InputError", f"the body is over {MAX_BODY} bytes",
                                          None)) if body is None else await predict(body)
        elif path == "/predict":
            status, answer = 405, _error("MethodNotAllowed", "POST a JSON object of inputs",
                                         None)
        elif path == "/" and method == "GET":
            status, answer = 200, described
        elif path == "/healthz" and method == "GET":
            status, answer = 200, {"ok": True}
        else:
            status, answer = 404, _error("NotFound", "POST /predict, GET /, GET /healthz, "
                                         "GET /metrics, GET /snapshot", None)
        payload = orjson.dumps(answer)
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(payload)).encode())]})
        await send({"type": "http.response.body", "body": payload})

    return app


async def _body(receive: Callable[..., Awaitable[Any]]) -> bytes | None:
    chunks, size = [], 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


def _error(kind: str, message: str, fields: list[str] | None) -> dict[str, Any]:
    return {"error_type": kind, "message": message, "fields": fields}
