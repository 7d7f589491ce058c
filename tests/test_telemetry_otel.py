"""Spans exported through the OpenTelemetry SDK (in-memory exporter)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import dspex_nb as dx
from tests.support.fault_server import FaultServer, ok


@pytest.fixture
def exported() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    handler = dx.telemetry.export_to_opentelemetry(provider)
    yield exporter
    dx.telemetry.detach(handler)


def test_lm_span_uses_genai_attribute_names_and_keeps_parents(
    exported: InMemorySpanExporter, fault_server: FaultServer
) -> None:
    fault_server.script(ok('{"answer": "a"}', prompt_tokens=12, completion_tokens=4))
    lm = dx.LM("gpt-4o-mini", base_url=fault_server.url, api_key="sk-otel-SECRET", cache=False)
    dx.Predict("q -> answer", lm=lm)(q="x")
    spans = {s.name: s for s in exported.get_finished_spans()}
    chat = spans["chat gpt-4o-mini"]
    attrs = dict(chat.attributes or {})
    assert attrs["gen_ai.operation.name"] == "chat"
    assert attrs["gen_ai.provider.name"] == "openai"
    assert attrs["gen_ai.request.model"] == "gpt-4o-mini"
    assert attrs["gen_ai.usage.input_tokens"] == 12
    assert attrs["gen_ai.usage.output_tokens"] == 4
    assert attrs["server.address"] == "127.0.0.1"
    predict = spans["predict q -> answer"]
    assert chat.parent is not None
    assert chat.parent.span_id == predict.context.span_id
    assert chat.context.trace_id == predict.context.trace_id
    http = spans["http POST /chat/completions"]
    assert http.parent is not None
    assert http.parent.span_id == chat.context.span_id
    everything = repr([dict(s.attributes or {}) for s in exported.get_finished_spans()])
    assert "sk-otel-SECRET" not in everything
    assert "gen_ai.input.messages" not in everything  # content only when asked for


def test_failed_span_is_marked_as_error(exported: InMemorySpanExporter) -> None:
    lm = dx.ScriptedLM([dx.BadResponseError("garbled")])
    with pytest.raises(dx.BadResponseError):
        dx.Predict("q -> answer", lm=lm)(q="x")
    chat = next(s for s in exported.get_finished_spans() if s.name.startswith("chat"))
    assert not chat.status.is_ok
    assert dict(chat.attributes or {})["error.type"] == "BadResponseError"
