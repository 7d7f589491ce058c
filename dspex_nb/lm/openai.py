"""`LM`: any OpenAI-compatible chat-completions server (OpenAI, vLLM, llama.cpp, Ollama).

httpx's API over the httpx-aiohttp transport: httpx's own pool collapses past ~32 requests in
flight on these machines, aiohttp's does not (see ARCHITECTURE.md). All requests run on the
engine loop, so one connection pool serves sync calls, async calls and every thread.

Structured output is negotiated per server and remembered: json_schema, then json_object
with the schema (llama.cpp's server turns that into a grammar), then json_object, then the
prompt alone (the adapter's prompt always describes the JSON it wants).
"""

from __future__ import annotations

import asyncio
import base64
import os
import re
import threading
import time
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import aiohttp
import httpx
import orjson
from httpx_aiohttp import AiohttpTransport

from dspex_nb import _checks as checks
from dspex_nb._engine import close_at_exit, on_engine
from dspex_nb.errors import (
    ArgumentError,
    AuthenticationError,
    BadResponseError,
    ConfigurationError,
    ContextWindowError,
    LMConnectionError,
    LMError,
    LMTimeoutError,
    RateLimitError,
    ServerError,
)
from dspex_nb.lm.base import BaseLM
from dspex_nb.lm.retry import RETRY_STATUSES, RetryPolicy
from dspex_nb.lm.types import LMRequest, LMResponse, Usage
from dspex_nb.telemetry.spans import emit, span

DEFAULT_BASE_URL = "https://api.openai.com/v1"
PROVIDER_PREFIX = "openai/"
STRUCTURED_MODES = ("json_schema", "json_object_schema", "json_object", "prompt")
_CONTEXT_HINTS = ("context length", "context_length", "maximum context", "context window",
                  "too many tokens", "exceeds the context", "n_ctx")
_FORMAT_HINTS = ("response_format", "json_schema")

# What structured mode worked, per server. Shared by every LM that talks to that server.
_mode_by_server: dict[str, str] = {}
_mode_lock = threading.Lock()


class _FormatRejected(Exception):
    """The server refused this response_format; the next mode should be tried."""


def _checked_url(base_url: str | None) -> str:
    """The server URL to use (argument, else OPENAI_BASE_URL, else OpenAI's), or a
    ConfigurationError for one that is empty or not http(s) with a host: such a URL used to
    send the request, and the key, to the default endpoint. Credentials in it are never
    shown."""
    if base_url is None:
        url = os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL
        where = "OPENAI_BASE_URL" if os.environ.get("OPENAI_BASE_URL") else "base_url"
    else:
        url, where = base_url, "base_url"
    if not isinstance(url, str):
        raise ArgumentError(f"base_url must be a string URL, not {type(url).__name__}")
    try:
        parts = urlsplit(url.strip())
        ok = parts.scheme in ("http", "https") and bool(parts.hostname)
        parts.port  # noqa: B018  (raises ValueError for a port that is not a number)
    except ValueError:
        ok = False
    if not ok:
        raise ConfigurationError(
            f"{where} must be an http(s) URL with a host, such as http://localhost:8080/v1 "
            f"or https://api.openai.com/v1, not {redact_url(url)!r}")
    return url.strip().rstrip("/")


def redact_url(url: str) -> str:
    """A URL (even a malformed one) safe to show: no user:password@, no query string."""
    url = re.sub(r"^([^/@\s]*//)?[^/@\s]*@", lambda m: f"{m.group(1) or ''}***@", url)
    return url.split("?", 1)[0]


def where_the_environment_points() -> str:
    """The server OPENAI_API_KEY is meant for: OPENAI_BASE_URL, else OpenAI's."""
    return public_url(os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL)


def public_url(url: str) -> str:
    """The URL without credentials or query, safe to store and show."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path.rstrip("/"), "", ""))


class LM(BaseLM):
    """An OpenAI-compatible chat model.

    `api_key` and `base_url` default to OPENAI_API_KEY and OPENAI_BASE_URL. The key is kept
    only in memory: it never reaches a cache key, a saved program, history or `repr`.
    DSPy's spellings work: `"openai/my-model"` is the model `my-model` (the prefix names
    LiteLLM's provider, and every server here speaks OpenAI's protocol), and `api_base=` is
    `base_url=`. Keyword arguments beyond the options below are sampling parameters
    (temperature, max_tokens, ...: `dspex_nb.lm.params.SAMPLING`), checked by name;
    `extra_body={...}` sends anything else a server understands, as given.

    Args:
        model: the server's model name (`"openai/..."` accepted).
        base_url: the server's URL, up to `/v1` (default OPENAI_BASE_URL, else OpenAI's).
        api_key: the key (default OPENAI_API_KEY); kept in memory only.
        timeout: seconds per request.
        max_retries: retries of a failed request (rate limits, 5xx, connection errors).
        retry: a `RetryPolicy` with the backoff in full (instead of `max_retries`).
        max_connections: requests in flight to the server at most.
        structured_mode: fix the structured-output mode instead of negotiating it.
        cache: use the LM response cache.
        history_size: calls kept for `inspect_history`.
    """

    def __init__(
        self,
        model: str,
        base_url: str | None = None,
        api_key: str | None = None,
        *,
        timeout: float = 120.0,
        max_retries: int = 4,
        retry: RetryPolicy | None = None,
        max_connections: int = 512,
        structured_mode: str | None = None,
        cache: bool = True,
        history_size: int = 1000,
        api_base: str | None = None,
        **defaults: Any,
    ):
        if isinstance(model, str) and model.startswith(PROVIDER_PREFIX):
            model = model[len(PROVIDER_PREFIX):]
        defaults.setdefault("temperature", 0.0)
        super().__init__(model, cache=cache, history_size=history_size, **defaults)
        base_url = checks.dspy_alias("api_base", api_base, "base_url", base_url, None)
        self.base_url = _checked_url(base_url)
        if api_key is not None and not isinstance(api_key, str):
            raise ArgumentError(f"api_key must be a string, not {type(api_key).__name__}")
        self._api_key = api_key if api_key is not None else os.environ.get("OPENAI_API_KEY")
        # user:password@ in the URL is HTTP Basic auth, sent as a header (the URL itself, and
        # everything stored or shown, carries no credentials).
        parts = urlsplit(self.base_url)
        basic = None
        if parts.username is not None:
            if self._api_key:
                raise ConfigurationError(
                    f"{public_url(self.base_url)}: the URL has user:password@ and an API key "
                    f"is set; a request carries one Authorization, so give one of them")
            pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
            basic = "Basic " + base64.b64encode(pair.encode()).decode()
            netloc = parts.netloc.rsplit("@", 1)[1]
            self.base_url = urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
        self._urls: dict[str, httpx.URL] = {}
        self.timeout = checks.finite_number("timeout", timeout)
        if self.timeout <= 0:
            raise ArgumentError(f"timeout must be > 0 seconds, not {timeout!r}")
        if retry is not None and not isinstance(retry, RetryPolicy):
            raise ArgumentError(f"retry must be a dx.RetryPolicy, not {type(retry).__name__}")
        self.retry = retry or RetryPolicy(
            max_retries=checks.whole_number("max_retries", max_retries, minimum=0))
        if structured_mode is not None:
            checks.one_of("structured_mode", structured_mode, STRUCTURED_MODES)
        self._forced_mode = structured_mode
        self._server = public_url(self.base_url)
        self._pool = _Pool(checks.whole_number("max_connections", max_connections))
        self._timeouts = {"connect": timeout, "read": timeout, "write": timeout, "pool": timeout}
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        elif basic is not None:
            headers["Authorization"] = basic
        self._request_headers = httpx.Headers(headers)

    provider = "openai-compatible"

    @property
    def cache_identity(self) -> str:
        return f"{self.model}@{self._server}"

    @property
    def server(self) -> str:
        return self._server

    def dump_state(self) -> dict[str, Any]:
        state = super().dump_state()
        state["base_url"] = self._server
        return state

    @property
    def structured_mode(self) -> str:
        """The structured-output mode this server is known (or assumed) to accept."""
        return self._forced_mode or _mode_by_server.get(self._server, STRUCTURED_MODES[0])


    async def _acomplete(self, request: LMRequest, params: dict[str, Any]) -> LMResponse:
        return await on_engine(self._complete_on_engine(request, params))

    async def _complete_on_engine(self, request: LMRequest, params: dict[str, Any]) -> LMResponse:
        body: dict[str, Any] = {"model": self.model, "messages": request.messages, **params}
        start = time.perf_counter()
        if request.response_schema is None:
            data, waits = await self._post(body)
            mode = "none"
        else:
            mode = self.structured_mode
            while True:
                fmt = _response_format(mode, request.response_schema, request.schema_name)
                if fmt is not None:
                    body["response_format"] = fmt
                else:
                    body.pop("response_format", None)
                try:
                    data, waits = await self._post(body)
                    break
                except _FormatRejected:
                    if self._forced_mode is not None or mode == STRUCTURED_MODES[-1]:
                        raise LMError(
                            f"{self._server} rejected response_format {fmt!r}"
                        ) from None
                    mode = STRUCTURED_MODES[STRUCTURED_MODES.index(mode) + 1]
            if self._forced_mode is None:
                with _mode_lock:
                    _mode_by_server[self._server] = mode
        return _parse_completion(data, self.model, time.perf_counter() - start, waits, mode)

    def _endpoint(self, path: str) -> httpx.URL:
        """The URL of one of the server's endpoints (`chat/completions`, `embeddings`)."""
        url = self._urls.get(path)
        if url is None:
            parts = urlsplit(self.base_url)
            url = self._urls[path] = httpx.URL(urlunsplit((
                parts.scheme, parts.netloc, f"{parts.path.rstrip('/')}/{path}", parts.query, "")))
        return url

    async def post_json(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST `body` to another endpoint of this server (`"embeddings"`), with this LM's
        credentials, connection pool, timeout, retries and typed errors: the one transport
        for everything dspex_nb asks an OpenAI-compatible server."""
        data, _ = await on_engine(self._post(body, path=path))
        return data

    async def _send(self, content: bytes, path: str) -> tuple[int, bytes, str | None]:
        """One POST: status, body and Retry-After.

        The request goes straight to the transport: an API client needs none of
        AsyncClient's cookie, redirect and auth machinery, which cost more CPU per call than
        everything else here together (measured with yappi: benchmarks/README.md).
        """
        # stream= (not content=) skips httpx's header preparation; aiohttp sets Host and
        # Content-Length itself. read() makes the body plain bytes again for the transport.
        request = httpx.Request("POST", self._endpoint(path), headers=self._request_headers,
                                stream=httpx.ByteStream(content),
                                extensions={"timeout": self._timeouts})
        request.read()
        request.headers.encoding = "ascii"  # skip httpx re-detecting it on every header read
        response = await self._pool.transport().handle_async_request(request)
        try:
            payload = b"".join([chunk async for chunk in response.stream])  # type: ignore[union-attr]
        finally:
            await response.aclose()
        return response.status_code, payload, response.headers.get("retry-after")

    async def _post(self, body: dict[str, Any], *, path: str = "chat/completions"
                    ) -> tuple[dict[str, Any], list[float]]:
        """POST with retries; returns the decoded JSON body and the waits before each retry."""
        content = orjson.dumps(body)
        attempt = 0
        waits: list[float] = []
        while True:
            attempt += 1
            retry_after: str | None = None
            try:
                with span("http", f"POST /{path}", attempt=attempt) as http_span:
                    async with asyncio.timeout(self.timeout):
                        status, payload, retry_after = await self._send(content, path)
                    if http_span is not None:
                        http_span.set(status=status)
                if status == 200:
                    try:
                        data = orjson.loads(payload)
                    except orjson.JSONDecodeError:
                        raise BadResponseError(
                            f"{self._server} sent a body that is not JSON: {payload[:200]!r}",
                            status=status) from None
                    if not isinstance(data, dict):
                        raise BadResponseError(f"{self._server} sent JSON that is not an object",
                                               status=status)
                    return data, waits
                error: LMError = self._status_error(status, payload, body)
            except (TimeoutError, httpx.TimeoutException) as exc:
                error = self._transport_error(exc)
            except httpx.TransportError as exc:
                error = self._transport_error(exc)
            except BadResponseError as exc:
                error = exc
            retryable = isinstance(
                error, RateLimitError | ServerError | LMTimeoutError | LMConnectionError
                | BadResponseError
            )
            if not retryable or attempt > self.retry.max_retries:
                error.attempts = attempt
                if attempt > 1:
                    error.args = (f"{error.args[0]} (after {attempt} attempts)",)
                raise error
            wait = self.retry.delay(attempt, retry_after)
            waits.append(wait)
            emit("lm.retry", model=self.model, server=self._server, attempt=attempt,
                 wait_s=wait, error_type=type(error).__name__, status=error.status)
            await asyncio.sleep(wait)

    def _status_error(self, status: int, payload: bytes, body: dict[str, Any]) -> LMError:
        text = payload[:1000].decode("utf-8", "replace")
        lower = text.lower()
        where = f"{self._server} answered {status}"
        if status == 429:
            return RateLimitError(f"{where} (rate limited): {text[:300]}", status=status)
        if status in (401, 403):
            return AuthenticationError(
                f"{where}: the API key is missing or not accepted "
                f"(set api_key= or OPENAI_API_KEY): {text[:300]}", status=status)
        # A refused response_format is a signal to try the next mode, not a failure. Servers
        # say so with 400 or 422, and llama.cpp's (llama-cpp-python) with a 500.
        if ("response_format" in body and status in (400, 422, 500)
                and any(h in lower for h in _FORMAT_HINTS)):
            raise _FormatRejected(text)
        if status in (400, 413, 422):
            if any(h in lower for h in _CONTEXT_HINTS):
                return ContextWindowError(f"{where}: the prompt is too long for {self.model}: "
                                          f"{text[:300]}", status=status)
            return LMError(f"{where} (bad request): {text[:500]}", status=status)
        if status in RETRY_STATUSES or status >= 500:
            return ServerError(f"{where}: {text[:300]}", status=status)
        return LMError(f"{where}: {text[:500]}", status=status)

    def _transport_error(self, exc: BaseException) -> LMError:
        cause = exc.__cause__
        refused = isinstance(cause, aiohttp.ClientConnectorError | ConnectionRefusedError)
        if refused or isinstance(exc, httpx.ConnectError):
            return LMConnectionError(f"cannot connect to {self._server}: {cause or exc}")
        if isinstance(exc, TimeoutError | httpx.TimeoutException) and not isinstance(
            cause, aiohttp.ServerDisconnectedError | aiohttp.ClientOSError
        ):
            return LMTimeoutError(f"{self._server} did not answer within {self.timeout:g} s")
        return LMConnectionError(f"connection to {self._server} failed: {cause or exc}")

    def __repr__(self) -> str:
        return f"LM(model={self.model!r}, base_url={self._server!r})"


class _Pool:
    """One httpx transport over aiohttp, made on the engine loop and shared by LM copies."""

    def __init__(self, max_connections: int):
        self.max_connections = max_connections
        self._transport: AiohttpTransport | None = None

    def transport(self) -> AiohttpTransport:
        if self._transport is None:
            limits = httpx.Limits(max_connections=self.max_connections,
                                  max_keepalive_connections=self.max_connections)
            self._transport = AiohttpTransport(limits=limits)
            close_at_exit(self._transport.aclose)
        return self._transport


def _response_format(mode: str, schema: dict[str, Any], name: str) -> dict[str, Any] | None:
    if mode == "json_schema":
        return {"type": "json_schema",
                "json_schema": {"name": name, "schema": schema, "strict": False}}
    if mode == "json_object_schema":
        return {"type": "json_object", "schema": schema}
    if mode == "json_object":
        return {"type": "json_object"}
    return None


def _parse_completion(data: dict[str, Any], model: str, latency: float, waits: list[float],
                      mode: str) -> LMResponse:
    try:
        choice = data["choices"][0]
        text = choice["message"]["content"]
    except (KeyError, IndexError, TypeError):
        raise BadResponseError(
            f"the reply is not a chat completion: {orjson.dumps(data)[:300]!r}") from None
    if not isinstance(text, str):
        raise BadResponseError(f"the reply has no text content (finish_reason="
                               f"{choice.get('finish_reason')!r})")
    usage = data.get("usage") or {}
    return LMResponse(
        text=text,
        model=data.get("model") or model,
        usage=Usage(int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)),
        latency_s=latency,
        attempts=len(waits) + 1,
        finish_reason=choice.get("finish_reason"),
        structured_mode=mode,
        waits=tuple(waits),
    )
