"""`BaseLM`: what every LM client shares: cache, usage and cost accounting, bounded history.

Subclasses implement `_acomplete` (one real call, with their own retries). Everything else,
including the cache, lives here, so every client caches and accounts the same way.
"""

from __future__ import annotations

import copy
import threading
import time
from abc import ABC, abstractmethod
from collections import deque
from typing import Any, Self

from dspex_nb import _checks as checks
from dspex_nb._engine import run_sync
from dspex_nb.accounting import LMCallRecord, add_lm_call, recording_active
from dspex_nb.caching import Cache, current_cache, request_key
from dspex_nb.errors import ArgumentError, DspexError
from dspex_nb.lm.history import remember
from dspex_nb.lm.params import check_sampling, checked_extra_body
from dspex_nb.lm.pricing import estimate_cost
from dspex_nb.lm.types import HistoryEntry, LMRequest, LMResponse, Usage
from dspex_nb.telemetry.spans import Span, emit, span


class BaseLM(ABC):
    """A chat model. Copies made with `copy(...)` share the connection, and their calls count
    in the original's totals and history too.

    Args:
        model: the model's name.
        cache: use the LM response cache.
        history_size: calls kept for `inspect_history`.
    """

    def __init__(self, model: str, *, cache: bool = True, history_size: int = 1000,
                 **defaults: Any):
        if not isinstance(model, str) or not model.strip():
            raise ArgumentError(f"model must be a model name such as 'gpt-4o-mini', not "
                                f"{model!r:.60}")
        if not isinstance(cache, bool):
            raise ArgumentError(f"cache must be True or False, not {cache!r:.60}")
        self.model = model
        self.sample_id: int | None = checks.whole_number(
            "sample_id", defaults.pop("sample_id", None), minimum=0, optional=True)
        self.extra_body = checked_extra_body(defaults.pop("extra_body", None))
        check_sampling(type(self).__name__, defaults)
        self.defaults: dict[str, Any] = {**defaults, **self.extra_body}  # what a call sends
        self.cache_enabled = cache
        history_size = checks.whole_number("history_size", history_size, minimum=0)
        self.history: deque[HistoryEntry] = deque(maxlen=history_size)
        self.usage = Usage()
        self.cost_usd = 0.0
        self.calls = 0
        self.cache_hits = 0
        self._stats_lock = threading.Lock()
        self._origin: BaseLM | None = None  # what this is a copy of: its totals include ours

    # -- what subclasses provide -------------------------------------------------------------
    @abstractmethod
    async def _acomplete(self, request: LMRequest, params: dict[str, Any]) -> LMResponse:
        """Make one real call (retries included) and return the response."""

    @property
    def cache_identity(self) -> str:
        """What the cache key calls this model; subclasses add what changes answers."""
        return self.model

    def dump_state(self) -> dict[str, Any]:
        """Plain settings to rebuild this LM; never a secret."""
        sampling = {k: v for k, v in self.defaults.items() if k not in self.extra_body}
        state = {"class": type(self).__name__, "model": self.model, "defaults": sampling}
        if self.extra_body:
            state["extra_body"] = dict(self.extra_body)
        return state

    provider = "unknown"

    @property
    def server(self) -> str:
        """Where calls go, safe to show (no credentials)."""
        return "in-process"

    @property
    def label(self) -> str:
        """The model and where it runs, as listings and summaries show it."""
        return self.model if self.server == "in-process" else f"{self.model} @ {self.server}"

    # -- the call ----------------------------------------------------------------------------
    async def acomplete(self, request: LMRequest) -> LMResponse:
        params, cache, key = self._prepare(request)
        start = time.perf_counter()
        with span("lm", self.model, model=self.model, provider=self.provider,
                  server=self.server) as lm_span:
            entry = await cache.aget(key) if cache is not None and key is not None else None
            if entry is not None:
                response = self._hit(request, params, entry, start)
            else:
                if cache is not None:
                    emit("cache.miss", model=self.model)
                response = await self._called(request, params, cache, key)
            self._observe(lm_span, request, response)
        self._account(request, response, start)
        return response

    def complete_from_memory(self, request: LMRequest) -> LMResponse | None:
        """A hit in the memory cache, served in the caller's thread with no hop to the engine
        (what makes a synchronous cache hit cheap); None, with nothing recorded, otherwise.
        Spans, events and accounting are those of `acomplete`'s hit."""
        params, cache, key = self._prepare(request)
        if cache is None or key is None:
            return None
        entry = cache.get_from_memory(key)
        if entry is None:
            return None
        start = time.perf_counter()
        with span("lm", self.model, model=self.model, provider=self.provider,
                  server=self.server) as lm_span:
            response = self._hit(request, params, entry, start)
            self._observe(lm_span, request, response)
        self._account(request, response, start)
        return response

    def _prepare(self, request: LMRequest) -> tuple[dict[str, Any], Cache | None, str | None]:
        """The call's parameters, the cache in force and the request's key in it."""
        params = {**self.defaults, **request.params} if request.params else self.defaults
        if request.sample_id is None and self.sample_id is not None:
            request.sample_id = self.sample_id
        cache = self._cache() if request.cache else None
        if cache is None:
            return params, None, None
        return params, cache, request_key(model=self.cache_identity, messages=request.messages,
                                          params=params, response_schema=request.response_schema,
                                          sample_id=request.sample_id)

    def _hit(self, request: LMRequest, params: dict[str, Any], entry: dict[str, Any],
             start: float) -> LMResponse:
        # An event in the LM span, not a span of its own: a lookup is microseconds.
        emit("cache.hit", model=self.model)
        response = LMResponse.from_entry(entry, time.perf_counter() - start)
        self._record(request, params, response, None)
        return response

    async def _called(self, request: LMRequest, params: dict[str, Any], cache: Cache | None,
                      key: str | None) -> LMResponse:
        try:
            response = await self._acomplete(request, params)
        except DspexError as exc:
            self._record(request, params, None, exc)
            raise
        self._record(request, params, response, None)
        if cache is not None and key is not None and response.finish_reason != "error":
            await cache.aput(key, response.to_entry())
        return response

    @staticmethod
    def _observe(lm_span: Span | None, request: LMRequest, response: LMResponse) -> None:
        """What telemetry sees of the call (the `lm` span's attributes)."""
        if lm_span is not None:
            lm_span.set(
                messages=request.messages, response=response.text, cached=response.cached,
                prompt_tokens=response.usage.prompt_tokens,
                completion_tokens=response.usage.completion_tokens,
                cost_usd=response.cost_usd, retries=max(0, response.attempts - 1),
                structured_mode=response.structured_mode, sample_id=request.sample_id,
            )

    def _account(self, request: LMRequest, response: LMResponse, start: float) -> None:
        """What accounting keeps of the call, when something records."""
        if recording_active():
            add_lm_call(LMCallRecord(
                model=self.model, messages=request.messages, response=response.text,
                prompt_tokens=response.usage.prompt_tokens,
                completion_tokens=response.usage.completion_tokens, cost_usd=response.cost_usd,
                cached=response.cached, latency_s=time.perf_counter() - start))

    def complete(self, request: LMRequest) -> LMResponse:
        return run_sync(self.acomplete(request))

    async def acall(self, prompt: str | None = None, *,
                    messages: list[dict[str, Any]] | None = None, **params: Any) -> str:
        """Plain text in, plain text out: `await lm.acall("Say hi")`."""
        if messages is None:
            if prompt is None:
                raise ArgumentError("give a prompt or messages")
            messages = [{"role": "user", "content": prompt}]
        check_sampling(f"{type(self).__name__} call", params, also=frozenset({"cache"}))
        cache = params.pop("cache", True)
        return (await self.acomplete(LMRequest(messages, params, cache=cache))).text

    def __call__(self, prompt: str | None = None, *,
                 messages: list[dict[str, Any]] | None = None, **params: Any) -> str:
        return run_sync(self.acall(prompt, messages=messages, **params))

    # -- copies and accounting ---------------------------------------------------------------
    def copy(self, **defaults: Any) -> Self:
        """The same model with some defaults changed (e.g. temperature), sharing the connection.
        The copy counts its own calls, and adds them to the original's `calls`, `usage`,
        `cost_usd` and history, so the LM a user configured accounts for every call made
        through it (an optimizer samples through copies)."""
        new = copy.copy(self)
        new._origin = self
        new.sample_id = checks.whole_number("sample_id", defaults.pop("sample_id", self.sample_id),
                                            minimum=0, optional=True)
        check_sampling(f"{type(self).__name__}.copy", defaults)
        new.defaults = {**self.defaults, **defaults}
        new.history = deque(maxlen=self.history.maxlen)
        new.usage = Usage()
        new.cost_usd = 0.0
        new.calls = new.cache_hits = 0
        new._stats_lock = threading.Lock()
        return new

    def __deepcopy__(self, memo: dict[int, Any]) -> Self:
        return self  # programs are copied, the LM they talk to is shared

    def _cache(self) -> Cache | None:
        return current_cache() if self.cache_enabled else None

    def _record(self, request: LMRequest, params: dict[str, Any], response: LMResponse | None,
                error: Exception | None) -> None:
        if response is not None and not response.cached:
            response.cost_usd = estimate_cost(self.model, response.usage)
        entry = HistoryEntry(time.time(), self.model, request.messages, params, response,
                             None if error is None else f"{type(error).__name__}: {error}")
        lm: BaseLM | None = self
        while lm is not None:  # this LM, then what it was copied from
            lm._count(response, entry)
            lm = lm._origin
        remember(entry)

    def _count(self, response: LMResponse | None, entry: HistoryEntry) -> None:
        with self._stats_lock:
            self.calls += 1
            if response is not None:
                if response.cached:
                    self.cache_hits += 1
                else:
                    self.usage = self.usage + response.usage
                    self.cost_usd += response.cost_usd
            self.history.append(entry)

    def inspect_history(self, n: int = 1) -> list[HistoryEntry]:
        return list(self.history)[-n:]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(model={self.model!r})"
