"""Cache layers composed by `dx.Cache`: order, filling, failing open. Redis itself is tested
against a real server in test_redis_cache.py; here the layers are in-process."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

import dspex_nb as dx
from dspex_nb.caching import cache as cache_module
from dspex_nb.telemetry import MetricsAggregator
from dspex_nb.telemetry.events import attach, detach

ENTRY = {"text": '{"answer": "x"}', "model": "m", "usage": {}, "finish_reason": "stop"}


class BrokenLayer:
    """A layer that fails every operation while `broken` (a Redis that is down)."""

    name = "broken"
    networked = False

    def __init__(self) -> None:
        self.broken = True
        self.store: dict[str, Any] = {}

    def _check(self) -> None:
        if self.broken:
            raise ConnectionError("connection refused")

    def get(self, key: str) -> dict[str, Any] | None:
        self._check()
        return self.store.get(key)

    def put(self, key: str, entry: dict[str, Any]) -> None:
        self._check()
        self.store[key] = entry

    def delete(self, key: str) -> None:
        self._check()
        self.store.pop(key, None)

    def clear(self) -> None:
        self._check()
        self.store.clear()


def _lm() -> dx.ScriptedLM:
    counter = iter(range(1_000_000))
    return dx.ScriptedLM(lambda r: {"answer": f"call {next(counter)}"}, cache=True,
                        tokens=(30, 10))


def test_a_hit_in_a_slower_layer_fills_the_faster_ones(tmp_path: Path) -> None:
    memory, disk = dx.MemoryCache(), dx.DiskCache(directory=tmp_path)
    disk.put("k", ENTRY)
    cache = dx.Cache(layers=[memory, disk])
    assert cache.get("k") == ENTRY
    assert memory.get("k") == ENTRY
    assert dict(cache.layer_hits) == {"disk": 1}


def test_a_put_reaches_every_layer(tmp_path: Path) -> None:
    memory, disk = dx.MemoryCache(), dx.DiskCache(directory=tmp_path)
    dx.Cache(layers=[memory, disk]).put("k", ENTRY)
    assert memory.get("k") == disk.get("k") == ENTRY


def test_a_failing_layer_is_a_miss_and_the_call_goes_to_the_lm() -> None:
    layer = BrokenLayer()
    dx.configure(cache=dx.Cache(layers=[layer], retry_after=0))
    lm = _lm()
    predict = dx.Predict("q -> answer", lm=lm)
    with pytest.warns(dx.CacheWarning, match="broken cache failed.*ConnectionError"):
        answers = [predict(q="x").answer for _ in range(3)]
    assert answers == ["call 0", "call 1", "call 2"]
    assert dx.cache is not None and dx.cache.errors == 6  # a get and a put per call


def test_one_warning_per_outage_however_many_calls_fail() -> None:
    cache = dx.Cache(layers=[BrokenLayer()], retry_after=0)
    with pytest.warns(dx.CacheWarning) as caught:
        _ = [cache.get("k") for _ in range(5)]
    assert len(caught) == 1 and cache.errors == 5


class SlowThenDeadLayer:
    """A networked layer: "slow" is answered (a miss) when the test releases it; any other
    key fails, as when the server died while "slow" was in flight."""

    name = "redis-like"
    networked = True

    def __init__(self) -> None:
        self.release = asyncio.Event()

    async def aget(self, key: str) -> dict[str, Any] | None:
        if key == "slow":
            await self.release.wait()
            return None
        raise ConnectionError("connection refused")

    def get(self, key: str) -> dict[str, Any] | None:
        raise NotImplementedError  # the cache awaits aget on a networked layer

    def put(self, key: str, entry: dict[str, Any]) -> None:
        raise NotImplementedError

    def delete(self, key: str) -> None:
        raise NotImplementedError

    def clear(self) -> None:
        raise NotImplementedError


def test_a_call_in_flight_that_succeeds_after_an_outage_began_does_not_end_it() -> None:
    layer = SlowThenDeadLayer()
    cache = dx.Cache(layers=[layer], retry_after=0)

    async def run() -> None:
        in_flight = asyncio.ensure_future(cache.aget("slow"))
        await asyncio.sleep(0)  # it has started
        await cache.aget("a")  # the server is gone: the outage begins (one warning)
        layer.release.set()
        await in_flight  # answered by the server before it died
        await cache.aget("b")  # the same outage: no second warning

    with pytest.warns(dx.CacheWarning) as caught:
        asyncio.run(run())
    assert len([w for w in caught if w.category is dx.CacheWarning]) == 1
    assert cache.errors == 2


def test_a_layer_that_comes_back_is_used_again() -> None:
    layer = BrokenLayer()
    cache = dx.Cache(layers=[layer], retry_after=0)
    with pytest.warns(dx.CacheWarning):
        cache.put("k", ENTRY)
    layer.broken = False
    cache.put("k", ENTRY)
    assert cache.get("k") == ENTRY and cache.hits == 1


def test_a_failed_layer_is_left_alone_until_retry_after() -> None:
    layer = BrokenLayer()
    cache = dx.Cache(layers=[layer], retry_after=3600)
    with pytest.warns(dx.CacheWarning):
        cache.get("k")
    layer.broken = False
    layer.store["k"] = ENTRY
    assert cache.get("k") is None  # not asked again within the hour
    assert cache.errors == 1


def test_a_stored_value_that_is_not_an_entry_is_not_served() -> None:
    memory = dx.MemoryCache()
    memory.put("k", {"unexpected": "shape"})
    cache = dx.Cache(layers=[memory])
    with pytest.warns(dx.CacheWarning, match="not a cache entry"):
        assert cache.get("k") is None
    assert (cache.misses, cache.errors) == (1, 1)


def test_cache_errors_are_events_the_dashboard_counts() -> None:
    aggregator = MetricsAggregator()
    attach(aggregator, aggregator.EVENTS)
    try:
        cache = dx.Cache(layers=[BrokenLayer()], retry_after=0)
        with pytest.warns(dx.CacheWarning):
            _ = cache.get("k"), cache.put("k", ENTRY)
    finally:
        detach(aggregator)
    totals = aggregator.summary()["totals"]
    assert totals["cache_errors"] == 2
    assert totals["cache_errors_by_layer"] == {"broken": 2}


def test_a_lone_layer_configured_is_one_cache_each_time() -> None:
    layer = dx.MemoryCache()
    dx.configure(cache=layer)
    assert isinstance(dx.cache, dx.Cache)
    assert dx.cache is dx.cache and dx.cache.layers == [layer]


def test_layers_and_the_default_layer_keywords_do_not_mix() -> None:
    with pytest.raises(dx.ArgumentError, match="not both"):
        dx.Cache(layers=[dx.MemoryCache()], disk=False)


def test_a_layer_must_have_the_protocol() -> None:
    with pytest.raises(dx.ArgumentError, match="dict does not"):
        dx.Cache(layers=[{}])
    with pytest.raises(dx.ArgumentError, match="non-empty list"):
        dx.Cache(layers=[])


def test_dspex_cache_url_makes_the_default_memory_then_redis(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DSPEX_CACHE_URL", "redis://:s3cret@127.0.0.1:1/0")
    monkeypatch.setenv("DSPEX_CACHE_NAMESPACE", "team-a")
    cache_module._default = None
    cache = dx.cache
    assert cache is not None
    assert [layer.name for layer in cache.layers] == ["memory", "redis"]
    redis = cache.layers[1]
    assert isinstance(redis, dx.RedisCache) and redis.namespace == "team-a"
    assert "s3cret" not in repr(redis) and "***" in repr(redis)


def test_redis_cache_arguments_are_checked() -> None:
    with pytest.raises(dx.ArgumentError, match="redis://"):
        dx.RedisCache("http://127.0.0.1:6379")
    with pytest.raises(dx.ArgumentError, match="namespace"):
        dx.RedisCache("redis://127.0.0.1:6379", namespace="a*b")
    with pytest.raises(dx.ArgumentError, match="ttl"):
        dx.RedisCache("redis://127.0.0.1:6379", ttl=0)
    with pytest.raises(TypeError):
        dx.RedisCache("redis://127.0.0.1:6379", tll=5)  # type: ignore[call-arg]
