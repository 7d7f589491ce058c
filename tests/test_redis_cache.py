"""`dx.RedisCache` against a real Redis (Debian's redis-server on loopback, started per test):
what is stored, sharing between processes, and failing open when Redis dies and comes back."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import orjson
import pytest

import dspex_nb as dx
from dspex_nb.caching.redis_layer import ENTRY_VERSION
from tests.support.fault_server import FaultServer, ok
from tests.support.redis_server import RedisServer

pytestmark = pytest.mark.integration

SECRET = "sk-test-SECRET-0123456789abcdef"
ROOT = Path(__file__).resolve().parents[1]


def _lm() -> dx.ScriptedLM:
    counter = iter(range(1_000_000))
    return dx.ScriptedLM(lambda r: {"answer": f"call {next(counter)}"}, cache=True,
                         tokens=(30, 10))


def _keys(server: RedisServer) -> list[str]:
    return sorted(k.decode() for k in server.client().keys("*"))


def test_an_answer_is_stored_as_json_under_a_namespaced_key_with_a_ttl(
        redis_server: RedisServer) -> None:
    dx.configure(cache=dx.RedisCache(redis_server.url, namespace="team-a", ttl=600))
    lm = _lm()
    predict = dx.Predict("q -> answer", lm=lm)
    assert predict(q="x").answer == predict(q="x").answer == "call 0"
    assert len(lm.requests) == 1

    (key,) = _keys(redis_server)
    namespace, version, digest = key.split(":")
    assert (namespace, version, len(digest)) == ("team-a", str(ENTRY_VERSION), 64)
    stored = orjson.loads(redis_server.client().get(key))
    assert json.loads(stored["text"]) == {"answer": "call 0"}
    assert 0 < redis_server.client().pttl(key) <= 600_000


def test_clear_removes_only_this_namespace(redis_server: RedisServer) -> None:
    client = redis_server.client()
    client.set("someone-else:1:abc", b"theirs")
    client.set("unrelated", b"kept")
    mine = dx.Cache(layers=[dx.RedisCache(redis_server.url, namespace="mine")])
    for i in range(2500):  # more than one SCAN page and one UNLINK batch
        mine.put(f"{i:064x}", {"text": "t", "model": "m"})
    assert len(mine.layers[0]) == 2500  # type: ignore[arg-type]
    mine.clear()
    assert _keys(redis_server) == ["someone-else:1:abc", "unrelated"]


def test_the_api_key_reaches_no_redis_key_or_value(
        redis_server: RedisServer, fault_server: FaultServer) -> None:
    dx.configure(cache=dx.RedisCache(redis_server.url))
    fault_server.script(ok('{"answer": "fine"}'))
    lm = dx.LM("gpt-4o-mini", base_url=fault_server.url, api_key=SECRET)
    predict = dx.Predict("question -> answer", lm=lm)
    assert predict(question="q").answer == predict(question="q").answer == "fine"
    assert lm.cache_hits == 1
    client = redis_server.client()
    everything = b"".join(k + (client.get(k) or b"") for k in client.keys("*"))
    assert everything  # something was stored, so the scan means something
    assert SECRET.encode() not in everything


SHARED = textwrap.dedent("""
    import json, sys
    import dspex_nb as dx
    dx.configure(cache=dx.RedisCache(sys.argv[1], namespace="shared"))
    lm = dx.LocalLM(temperature=0.0)
    qa = dx.Predict("question -> answer", lm=lm)
    answers = [qa(question=q).answer for q in ("What is 2+2?", "Name a colour.")]
    print(json.dumps({"answers": answers, "tokens": lm.usage.prompt_tokens
                      + lm.usage.completion_tokens, "hits": lm.cache_hits}))
""")


def test_two_processes_on_one_redis_share_hits(redis_server: RedisServer, tmp_path: Path) -> None:
    script = tmp_path / "shared.py"
    script.write_text(SHARED)

    def run() -> dict[str, object]:
        done = subprocess.run([sys.executable, str(script), redis_server.url], cwd=ROOT,
                              capture_output=True, text=True, timeout=300, check=True)
        result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
        return result

    first, second = run(), run()
    assert first["hits"] == 0 and isinstance(first["tokens"], int) and first["tokens"] > 0
    assert second == {"answers": first["answers"], "tokens": 0, "hits": 2}


def test_redis_killed_mid_evaluation_fails_open_and_is_used_again_once_back(
        redis_server: RedisServer) -> None:
    cache = dx.Cache(layers=[dx.RedisCache(redis_server.url, timeout=0.5)], retry_after=0.2)
    dx.configure(cache=cache)
    calls = 0
    lock = threading.Lock()

    def answer(request: object) -> dict[str, str]:
        nonlocal calls
        with lock:
            calls += 1
            if calls == 50:
                redis_server.kill()
        return {"answer": "yes"}

    lm = dx.ScriptedLM(answer, cache=True)
    program = dx.Predict("question -> answer", lm=lm)
    devset = [dx.Example(question=f"q{i}", answer="yes").with_inputs("question")
              for i in range(200)]
    with pytest.warns(dx.CacheWarning, match="redis cache failed") as caught:
        report = dx.evaluate(program, devset, dx.metrics.answer_exact_match, concurrency=8,
                             display="none")
    assert (report.n, report.failures, report.score) == (200, 0, 1.0)
    assert cache.errors > 0
    assert len([w for w in caught if w.category is dx.CacheWarning]) == 1

    redis_server.start()  # back, empty, on the same port; the kernel is not restarted
    fresh = [dx.Example(question=f"new {i}", answer="yes").with_inputs("question")
             for i in range(20)]
    _until_redis_is_used_again(cache)
    # eight at a time: the pool's connections died with the old server; each is retried
    # once on a fresh connection, so no new outage starts (no error, every write kept)
    errors = cache.errors
    dx.evaluate(program, fresh, dx.metrics.answer_exact_match, concurrency=8, display="none")
    assert cache.errors == errors
    before = calls
    again = dx.evaluate(program, fresh, dx.metrics.answer_exact_match, concurrency=8,
                        display="none")
    assert (calls - before, again.score) == (0, 1.0)  # every answer came from Redis
    assert len([k for k in _keys(redis_server) if k.startswith("dspex_nb:")]) >= 20


def _until_redis_is_used_again(cache: dx.Cache) -> None:
    """Writes succeed once the layer's retry_after has passed (polled, not timed)."""
    import time

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        cache.put("probe" + "0" * 59, {"text": "t", "model": "m"})
        if not cache._health[0].failing:
            return
        time.sleep(0.05)
    raise AssertionError("the Redis layer was not used again within 30 s")


def test_a_redis_hit_fills_the_memory_layer_in_front(redis_server: RedisServer) -> None:
    writer = dx.Cache(layers=[dx.RedisCache(redis_server.url)])
    writer.put("a" * 64, {"text": "t", "model": "m"})
    memory = dx.MemoryCache()
    reader = dx.Cache(layers=[memory, dx.RedisCache(redis_server.url)])
    assert reader.get("a" * 64) == {"text": "t", "model": "m"}
    redis_server.kill()
    assert reader.get("a" * 64) == {"text": "t", "model": "m"}  # from memory now
    assert dict(reader.layer_hits) == {"redis": 1, "memory": 1}


def test_a_redis_restart_between_calls_is_not_an_outage(redis_server: RedisServer) -> None:
    # the pool holds connections to the old server; each is retried once on a fresh one
    cache = dx.Cache(layers=[dx.RedisCache(redis_server.url, timeout=0.5)], retry_after=30)
    dx.configure(cache=cache)
    program = dx.Predict("question -> answer",
                         lm=dx.ScriptedLM(lambda r: {"answer": "yes"}, cache=True))

    def questions(prefix: str) -> list[dx.Example]:
        return [dx.Example(question=f"{prefix}{i}", answer="yes").with_inputs("question")
                for i in range(32)]

    dx.evaluate(program, questions("a"), dx.metrics.answer_exact_match, concurrency=8,
                display="none")
    redis_server.kill()
    redis_server.start()
    dx.evaluate(program, questions("b"), dx.metrics.answer_exact_match, concurrency=8,
                display="none")
    assert cache.errors == 0
    assert len([k for k in _keys(redis_server) if k.startswith("dspex_nb:")]) == 32
