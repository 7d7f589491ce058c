from __future__ import annotations

import asyncio
import threading

import pytest

import dspex_nb as dx
from dspex_nb import settings


def _lm(name: str) -> dx.ScriptedLM:
    return dx.ScriptedLM([], model=name)


def _lm_name() -> object:
    lm = settings.get("lm")
    return lm.model if lm is not None else None


def test_context_overrides_configure_inside_the_block_only() -> None:
    dx.configure(lm=_lm("global"))
    with dx.context(lm=_lm("local")):
        assert _lm_name() == "local"
    assert _lm_name() == "global"


def test_context_does_not_leak_into_another_thread() -> None:
    seen: list[object] = []
    inside = threading.Event()
    leave = threading.Event()

    def holder() -> None:
        with dx.context(lm=_lm("thread-a")):
            inside.set()
            leave.wait(5)

    t = threading.Thread(target=holder)
    t.start()
    inside.wait(5)
    seen.append(_lm_name())
    leave.set()
    t.join()
    assert seen == [None]


def test_configure_is_seen_from_other_threads() -> None:
    dx.configure(lm=_lm("shared"))
    seen: list[object] = []
    t = threading.Thread(target=lambda: seen.append(_lm_name()))
    t.start()
    t.join()
    assert seen == ["shared"]


def test_context_is_isolated_between_concurrent_tasks() -> None:
    async def task(name: str) -> object:
        with dx.context(lm=_lm(name)):
            await asyncio.sleep(0.01)
            return _lm_name()

    async def main() -> list[object]:
        return list(await asyncio.gather(task("a"), task("b"), task("c")))

    assert asyncio.run(main()) == ["a", "b", "c"]


def test_unknown_setting_is_an_argument_error_naming_the_closest() -> None:
    with pytest.raises(dx.ArgumentError, match="unexpected keyword argument 'lmm': did you "
                                               "mean 'lm'"):
        dx.configure(lmm="x")


def test_a_dspy_setting_gets_a_hint() -> None:
    with pytest.raises(dx.ArgumentError, match=r"track_usage.*usage is always counted"):
        dx.configure(track_usage=True)


@pytest.mark.parametrize(("option", "value"), [
    ("lm", "gpt-4o-mini"), ("adapter", "json"), ("cache", "disk"), ("max_parse_retries", -1),
])
def test_a_setting_of_the_wrong_kind_is_refused(option: str, value: object) -> None:
    with pytest.raises(dx.ArgumentError, match=option):
        dx.configure(**{option: value})
