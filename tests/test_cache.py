from __future__ import annotations

from pathlib import Path

import pytest

import dspex_nb as dx
from dspex_nb.caching import request_key


def _lm(*, cache: bool = True) -> dx.ScriptedLM:
    """Answers "call 0", "call 1", ... so a test can tell a cache hit from a new call."""
    counter = iter(range(1_000_000))
    return dx.ScriptedLM(lambda r: {"answer": f"call {next(counter)}"}, cache=cache,
                         tokens=(30, 10))


def test_second_identical_call_is_a_hit_that_costs_no_tokens(tmp_path: Path) -> None:
    dx.configure(cache=dx.Cache(directory=tmp_path))
    lm = _lm()
    predict = dx.Predict("q -> answer", lm=lm)
    first, second = predict(q="x"), predict(q="x")
    assert first.answer == second.answer == "call 0"
    assert len(lm.requests) == 1
    assert (lm.usage.prompt_tokens, lm.cache_hits) == (30, 1)
    assert lm.history[-1].response is not None and lm.history[-1].response.cached


def test_disk_cache_survives_a_new_process_cache(tmp_path: Path) -> None:
    dx.configure(cache=dx.Cache(directory=tmp_path))
    dx.Predict("q -> answer", lm=_lm())(q="x")
    dx.configure(cache=dx.Cache(directory=tmp_path))  # as after a kernel restart
    lm = _lm()
    assert dx.Predict("q -> answer", lm=lm)(q="x").answer == "call 0"
    assert lm.requests == []


def test_distinct_sample_ids_are_distinct_entries_and_same_id_repeats(tmp_path: Path) -> None:
    dx.configure(cache=dx.Cache(directory=tmp_path))
    lm = _lm()
    predict = dx.Predict("q -> answer", lm=lm, temperature=1.0)
    answers = [predict(q="x", config={"sample_id": i}).answer for i in (0, 1, 0, 1)]
    assert answers == ["call 0", "call 1", "call 0", "call 1"]


def test_lm_copy_with_sample_id_keeps_its_own_entry(tmp_path: Path) -> None:
    dx.configure(cache=dx.Cache(directory=tmp_path))
    lm = _lm()
    variants = [lm.copy(temperature=1.0, sample_id=i) for i in range(3)]
    answers = [dx.Predict("q -> answer", lm=v)(q="x").answer for v in variants]
    assert len(set(answers)) == 3


def test_cache_can_be_turned_off_per_lm_per_call_and_globally(tmp_path: Path) -> None:
    dx.configure(cache=dx.Cache(directory=tmp_path))
    off_lm = _lm(cache=False)
    dx.Predict("q -> answer", lm=off_lm)(q="x")
    dx.Predict("q -> answer", lm=off_lm)(q="x")
    assert len(off_lm.requests) == 2

    lm = _lm()
    predict = dx.Predict("q -> answer", lm=lm)
    predict(q="y", config={"cache": False})
    predict(q="y", config={"cache": False})
    assert len(lm.requests) == 2

    with dx.context(cache=False):
        predict(q="z")
        predict(q="z")
    assert len(lm.requests) == 4


def test_memory_only_cache_writes_no_files(tmp_path: Path) -> None:
    dx.configure(cache=dx.Cache(disk=False, directory=tmp_path / "never"))
    lm = _lm()
    predict = dx.Predict("q -> answer", lm=lm)
    predict(q="x")
    predict(q="x")
    assert len(lm.requests) == 1
    assert not (tmp_path / "never").exists()


def test_key_depends_on_what_changes_the_answer() -> None:
    base = {"model": "m", "messages": [{"role": "user", "content": "hi"}],
            "params": {"temperature": 0.0}, "response_schema": None, "sample_id": None}
    key = request_key(**base)  # type: ignore[arg-type]
    assert key == request_key(**base)  # type: ignore[arg-type]
    for change in ({"model": "n"}, {"params": {"temperature": 1.0}}, {"sample_id": 1},
                   {"response_schema": {"type": "object"}},
                   {"messages": [{"role": "user", "content": "ho"}]}):
        assert request_key(**{**base, **change}) != key  # type: ignore[arg-type]


def test_damaged_disk_entry_is_a_miss_and_a_counted_error(tmp_path: Path) -> None:
    cache = dx.Cache(directory=tmp_path, memory=False)
    assert cache.disk is not None
    cache.disk._open().set("k", b"{not json")
    with pytest.warns(dx.CacheWarning, match="disk cache failed"):
        assert cache.get("k") is None
    assert (cache.misses, cache.errors) == (1, 1)


def test_dx_cache_is_the_cache_in_force(tmp_path: Path) -> None:
    mine = dx.Cache(directory=tmp_path)
    dx.configure(cache=mine)
    assert dx.cache is mine
    with dx.context(cache=False):
        assert dx.cache is None
