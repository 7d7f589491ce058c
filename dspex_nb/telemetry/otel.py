"""Export spans to OpenTelemetry (the optional `otel` extra).

LM spans use the GenAI semantic-convention attribute names (gen_ai.*); other spans carry their
plain attributes under `dspex_nb.*`. Prompt and response text are exported only when asked
(`capture_content=True`), as the GenAI conventions advise.
"""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import urlsplit

from dspex_nb.telemetry.events import Event, Handler, attach, detach

_PROVIDERS = {"openai-compatible": "openai", "llama.cpp": "llama.cpp", "scripted": "scripted"}
_SCALARS = (str, bool, int, float)


def _lm_attributes(attrs: dict[str, Any], capture_content: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": _PROVIDERS.get(str(attrs.get("provider")), "unknown"),
        "gen_ai.request.model": str(attrs.get("model", "")),
    }
    for ours, theirs in (("prompt_tokens", "gen_ai.usage.input_tokens"),
                         ("completion_tokens", "gen_ai.usage.output_tokens")):
        if ours in attrs:
            out[theirs] = int(attrs[ours])
    server = str(attrs.get("server", ""))
    if "://" in server:
        parts = urlsplit(server)
        if parts.hostname:
            out["server.address"] = parts.hostname
        if parts.port:
            out["server.port"] = parts.port
    for key in ("cost_usd", "cached", "retries", "structured_mode"):
        if isinstance(attrs.get(key), _SCALARS):
            out[f"dspex_nb.{key}"] = attrs[key]
    if "error_type" in attrs:
        out["error.type"] = str(attrs["error_type"])
    if capture_content:
        import json

        out["gen_ai.input.messages"] = json.dumps(attrs.get("messages", []), default=str)
        out["gen_ai.output.messages"] = json.dumps(
            [{"role": "assistant", "content": attrs.get("response", "")}])
    return out


def _plain_attributes(attrs: dict[str, Any]) -> dict[str, Any]:
    out = {f"dspex_nb.{k}": v for k, v in attrs.items() if isinstance(v, _SCALARS)}
    if "error_type" in attrs:
        out["error.type"] = str(attrs["error_type"])
    return out


def export_to_opentelemetry(tracer_provider: Any = None, *,
                            capture_content: bool = False) -> Handler:
    """Mirror every span into OpenTelemetry; returns the handler (pass it to `detach`)."""
    from opentelemetry import trace as otel_trace
    from opentelemetry.trace import Status, StatusCode

    provider = tracer_provider or otel_trace.get_tracer_provider()
    tracer = provider.get_tracer("dspex_nb")
    open_spans: dict[str, Any] = {}
    lock = threading.Lock()

    def handler(event: Event) -> None:
        span = event.span
        if span is None or event.span_id is None:
            return
        if event.name.endswith(".start"):
            with lock:
                parent = open_spans.get(event.parent_id or "")
            context = otel_trace.set_span_in_context(parent) if parent is not None else None
            name = f"chat {span.name}" if span.kind == "lm" else f"{span.kind} {span.name}"
            started = tracer.start_span(name, context=context,
                                        start_time=int(span.start_time * 1e9))
            with lock:
                open_spans[event.span_id] = started
        elif event.name.endswith((".stop", ".exception")):
            with lock:
                started = open_spans.pop(event.span_id, None)
            if started is None:
                return
            attributes = (_lm_attributes(span.attrs, capture_content) if span.kind == "lm"
                          else _plain_attributes(span.attrs))
            started.set_attributes(attributes)
            if span.error is not None:
                started.set_status(Status(StatusCode.ERROR, span.error))
            end = span.end_time or span.start_time
            started.end(end_time=int(end * 1e9))

    return attach(handler)


def stop_exporting(handler: Handler) -> None:
    detach(handler)
