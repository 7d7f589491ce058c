"""`ScriptedLM`: a deterministic test double for unit tests. Not a stand-in for real servers."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
from collections.abc import Callable, Iterable
from typing import Any

import orjson

from dspex_nb.errors import LMError
from dspex_nb.lm.base import BaseLM
from dspex_nb.lm.types import LMRequest, LMResponse, Usage

Answer = str | dict[str, Any] | Exception
Script = Iterable[Answer] | Callable[[LMRequest], Answer]


class ScriptedLM(BaseLM):
    """Answers from a list (in order) or a function of the request.

    A dict answer is sent as JSON text; an exception answer is raised, to script failures.
    Every request is kept in `requests`. The cache is off unless asked for.

    Args:
        script: the answers in order, or a function of the request returning one.
        model: the model name it reports.
        cycle: start the list again when it runs out (else an `LMError`).
        latency: seconds each answer takes (an asyncio sleep).
        tokens: the (prompt, completion) usage each answer reports.
        cache: use the LM response cache.
    """

    def __init__(self, script: Script, *, model: str = "scripted", cycle: bool = False,
                 latency: float = 0.0, tokens: tuple[int, int] = (10, 5), cache: bool = False,
                 **defaults: Any):
        super().__init__(model, cache=cache, **defaults)
        if callable(script):
            self._fn: Callable[[LMRequest], Answer] | None = script
            self._answers: Iterable[Answer] = ()
        else:
            self._fn = None
            self._answers = itertools.cycle(list(script)) if cycle else iter(list(script))
        self.latency = latency
        self.tokens = tokens
        self.requests: list[LMRequest] = []

    provider = "scripted"

    async def _acomplete(self, request: LMRequest, params: dict[str, Any]) -> LMResponse:
        # The script sees what a server would: the LM's defaults merged with the call's params.
        request = dataclasses.replace(request, params=dict(params))
        self.requests.append(request)
        if self.latency:
            await asyncio.sleep(self.latency)
        if self._fn is not None:
            answer = self._fn(request)
        else:
            try:
                answer = next(iter(self._answers))
            except StopIteration:
                raise LMError("ScriptedLM ran out of scripted answers") from None
        if isinstance(answer, Exception):
            raise answer
        text = answer if isinstance(answer, str) else orjson.dumps(answer).decode()
        return LMResponse(text=text, model=self.model, usage=Usage(*self.tokens),
                          latency_s=self.latency, finish_reason="stop")
