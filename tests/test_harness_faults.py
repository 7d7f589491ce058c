"""A 1,000-example evaluation against a loopback server that fails 20% of requests."""

from __future__ import annotations

from collections import Counter

import pytest

import dspex_nb as dx
from tests.support.fault_server import FaultServer, hang, malformed, ok, status

pytestmark = pytest.mark.integration


def test_every_example_is_scored_or_recorded_none_lost_none_duplicated(
    fault_server: FaultServer,
) -> None:
    fault_server.script_random(
        ok('{"answer": "Paris"}'),
        [status(429, headers={"Retry-After": "0"}), status(500), status(503), malformed(),
         hang(3.0)],
        rate=0.2, seed=7,
    )
    lm = dx.LM("fault-model", base_url=fault_server.url, cache=False, timeout=0.5,
               retry=dx.RetryPolicy(max_retries=1, base_delay=0.01, max_delay=0.02))
    devset = [dx.Example(question=f"capital of France? ({i})", answer="Paris")
              .with_inputs("question") for i in range(1000)]
    report = dx.evaluate(dx.Predict("question -> answer", lm=lm), devset,
                         [dx.metrics.answer_exact_match], concurrency=32, display="none")

    assert report.n == 1000
    assert not report.partial
    assert [r.index for r in report.results] == list(range(1000))
    for r in report.results:
        if r.failed:
            assert r.error_type in ("RateLimitError", "ServerError", "BadResponseError",
                                    "LMTimeoutError")
            assert r.scores == {"answer_exact_match": 0.0}
        else:
            assert r.prediction == {"answer": "Paris"}
            assert r.scores == {"answer_exact_match": 1.0}
    kinds = Counter(r.error_type for r in report.results if r.failed)
    assert 0 < report.failures < 200  # one retry saves most; the rest are recorded, not lost
    assert len(kinds) >= 3  # several kinds of failure were really met
    assert len(fault_server.requests) > 1000  # retries happened
    assert report["answer_exact_match"].mean == pytest.approx(1 - report.failures / 1000)
