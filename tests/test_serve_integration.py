"""`dspex-nb serve name@version` as its own process on loopback, on the embedded model:
requests answered, and `/metrics` (read with prometheus_client's parser) moved by exactly the
calls made."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

import dspex_nb as dx
from tests.support.processes import ServerProcess

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[1]
SECRET = "sk-test-SECRET-0123456789abcdef"


class Served(ServerProcess):
    what = "dspex-nb serve"
    ready_path = "/healthz"

    def __init__(self, store: Path, ref: str):
        super().__init__(store / "serve.log")
        self.store, self.ref = store, ref

    def command(self) -> list[str]:
        return [sys.executable, "-m", "dspex_nb", "serve", self.ref, "--store", str(self.store),
                "--port", str(self.port), "--no-cache"]

    def cwd(self) -> Path:
        return ROOT

    def env(self) -> dict[str, str]:
        return {**os.environ, "OPENAI_API_KEY": SECRET}  # present, and never shown


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    program = dx.Predict("question -> answer", lm=dx.LocalLM(temperature=0.0, max_tokens=48))
    ref = dx.save(program, "qa", store=tmp_path)
    server = Served(tmp_path, ref).start(timeout=120)
    yield server
    server.stop()


def _counter(text: str, name: str, **labels: str) -> float:
    return sum(s.value for family in text_string_to_metric_families(text)
               for s in family.samples
               if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()))


def test_the_served_program_answers_and_its_metrics_count_each_call(served: Served) -> None:
    before = httpx.get(f"{served.base_url}/metrics").text
    questions = ["What is 2 + 2?", "Name a colour.", "What do bees make?"]
    answers = [httpx.post(f"{served.base_url}/predict", json={"question": q}, timeout=120)
               for q in questions]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert all(isinstance(a.json()["answer"], str) for a in answers)
    refused = httpx.post(f"{served.base_url}/predict", json={"query": "x"})
    assert refused.status_code == 422 and refused.json()["fields"] == ["query"]

    after = httpx.get(f"{served.base_url}/metrics").text
    for name in ("dspex_lm_calls_total", "dspex_program_calls_total",
                 "dspex_lm_latency_seconds_count"):
        assert _counter(after, name) - _counter(before, name) == 3, name
    assert _counter(after, "dspex_lm_errors_total") == 0
    assert _counter(after, "dspex_lm_prompt_tokens_total") > 0
    snapshot = httpx.get(f"{served.base_url}/snapshot")
    assert snapshot.json()["summary"]["totals"]["calls"] == 3
    assert len(snapshot.json()["points"]) == 3
    said = [after, snapshot.text, refused.text, *(a.text for a in answers),
            httpx.get(served.base_url).text, served.log.read_text()]
    assert all(SECRET not in text for text in said)
    assert "serving qa@1 on" in served.log.read_text()  # its one line; none per request
    assert len(served.log.read_text().strip().splitlines()) == 1
