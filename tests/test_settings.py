from __future__ import annotations

import asyncio
import threading

import pytest

import dspex_nb as dx
from dspex_nb import settings


def test_context_overrides_configure_inside_the_block_only() -> None:
    dx.configure(lm="global")
    with dx.context(lm="local"):
        assert settings.get("lm") == "local"
    assert settings.get("lm") == "global"


def test_context_does_not_leak_into_another_thread() -> None:
    seen: list[object] = []
    inside = threading.Event()
    leave = threading.Event()

    def holder() -> None:
        with dx.context(lm="thread-a"):
            inside.set()
            leave.wait(5)

    t = threading.Thread(target=holder)
    t.start()
    inside.wait(5)
    seen.append(settings.get("lm"))
    leave.set()
    t.join()
    assert seen == [None]


def test_configure_is_seen_from_other_threads() -> None:
    dx.configure(lm="shared")
    seen: list[object] = []
    t = threading.Thread(target=lambda: seen.append(settings.get("lm")))
    t.start()
    t.join()
    assert seen == ["shared"]


def test_context_is_isolated_between_concurrent_tasks() -> None:
    async def task(name: str) -> object:
        with dx.context(lm=name):
            await asyncio.sleep(0.01)
            return settings.get("lm")

    async def main() -> list[object]:
        return list(await asyncio.gather(task("a"), task("b"), task("c")))

    assert asyncio.run(main()) == ["a", "b", "c"]


def test_unknown_setting_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="unknown setting"):
        dx.configure(lmm="x")
