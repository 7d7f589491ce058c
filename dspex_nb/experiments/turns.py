"""Arms that take turns: how an experiment evaluates its arms side by side in time without
one arm's calls waiting behind another's.

Run one after another, two arms differ in latency by whatever changed between them (the
first arm also pays the model's warm-up). Run at once in shared slots, each arm's calls queue
behind the other arm's on a model that answers one call at a time, so a slow arm looks faster
and a fast one slower (measured: ChainOfThought vs Predict +0.26 s in shared slots, +0.78 s
one after another, +0.82 s in turns). Taking turns avoids both: one arm at a time runs a
block of `size` examples at its own concurrency, as if alone, then the next arm runs its
block, and so on, so example i of every arm runs within a block or two of the others.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from types import TracebackType

# The fewest examples an arm runs in a turn: enough that a server's prompt cache serves an arm
# much as it would alone (only a block's first call follows another arm's prompt), few enough
# that the arms stay seconds apart.
BLOCK = 8


class Turns:
    """`turns.seat(arm)` is the async context manager a harness enters around each of that
    arm's examples (`Harness(slots=...)`); `turns.leave(arm)` when the arm has no more."""

    def __init__(self, arms: Sequence[str], size: int):
        self._order = list(arms)
        self._size = size
        self._left: set[str] = set()
        self._turn = 0  # index in _order of the arm whose block is running
        self._started = 0  # examples the current arm has started in its block
        self._running = 0
        self._changed = asyncio.Condition()

    def seat(self, arm: str) -> _Seat:
        return _Seat(self, arm)

    async def leave(self, arm: str) -> None:
        """The arm is done (finished or stopped): its turns pass to the others."""
        async with self._changed:
            self._left.add(arm)
            if self._order[self._turn] == arm:  # its harness has returned: nothing runs
                self._running = 0
                self._next()

    async def _enter(self, arm: str) -> None:
        async with self._changed:
            await self._changed.wait_for(lambda: self._order[self._turn] == arm
                                         and self._started < self._size)
            self._started += 1
            self._running += 1

    async def _exit(self) -> None:
        async with self._changed:
            self._running -= 1
            if self._started >= self._size and not self._running:
                self._next()

    def _next(self) -> None:
        """The block is over: the turn passes to the next arm still evaluating."""
        for step in range(1, len(self._order) + 1):
            candidate = (self._turn + step) % len(self._order)
            if self._order[candidate] not in self._left:
                self._turn = candidate
                break
        self._started = 0
        self._changed.notify_all()


class _Seat:
    """One arm's seat: entered once per example, so a class (a generator-based context
    manager can be entered only once)."""

    def __init__(self, turns: Turns, arm: str):
        self._turns = turns
        self._arm = arm

    async def __aenter__(self) -> None:
        await self._turns._enter(self._arm)

    async def __aexit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self._turns._exit()
