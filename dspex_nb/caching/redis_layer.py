"""`RedisCache`: a layer shared by every process that points at the same Redis (a team's
notebooks, the workers of a service), through redis-py's asyncio client and its pool.

Keys are `{namespace}:{ENTRY_VERSION}:{sha256 of the request}`, values JSON (never pickles:
a shared cache must not run code when read), each with a finite TTL. `clear()` removes this
namespace's keys (SCAN + UNLINK), never the database. The client lives on the engine loop,
like every network client here; errors are raised to `Cache`, which fails open.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import orjson

from dspex_nb import _checks as checks
from dspex_nb._engine import close_at_exit, on_engine, run_sync
from dspex_nb.errors import ArgumentError, ConfigurationError

if TYPE_CHECKING:
    import redis.asyncio

ENTRY_VERSION = 1  # what a value looks like; a new form gets new keys, never misread old ones
DEFAULT_TTL = 7 * 24 * 3600  # a week: long enough to share a working week, never forever
_NAMESPACE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")  # no glob characters: SCAN patterns stay exact


def redact(url: str) -> str:
    """The URL without its password (what repr, events and errors may show)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    netloc = f"{user}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))


class RedisCache:
    """Entries in a Redis (or Valkey) server: `dx.RedisCache(url="redis://host:6379/0",
    namespace="team-a", ttl=86400)`. `url` defaults to `$DSPEX_CACHE_URL`; `timeout` bounds
    each command (a slow Redis is a miss, not a slow call); `max_connections` bounds the
    connections open to the server at once (raise it for more calls in flight)."""

    name = "redis"
    networked = True

    def __init__(self, url: str | None = None, *, namespace: str = "dspex_nb",
                 ttl: float | None = DEFAULT_TTL, timeout: float = 0.5,
                 max_connections: int = 64):
        url = url if url is not None else os.environ.get("DSPEX_CACHE_URL")
        if not isinstance(url, str) or not url:
            raise ArgumentError("RedisCache needs url='redis://host:port/db' (or "
                                "$DSPEX_CACHE_URL)")
        if urlsplit(url).scheme not in ("redis", "rediss", "unix", "valkey", "valkeys"):
            raise ArgumentError(f"RedisCache url must start with redis://, rediss:// or "
                                f"unix://, not {redact(url)!r:.80}")
        if not isinstance(namespace, str) or not _NAMESPACE.match(namespace):
            raise ArgumentError(f"namespace must be 1-64 letters, digits, '_', '.' or '-', "
                                f"not {namespace!r:.80}")
        if ttl is not None:
            ttl = checks.finite_number("ttl", ttl)
            if ttl <= 0:
                raise ArgumentError(f"ttl is seconds > 0 (or None: keep until evicted), "
                                    f"not {ttl}")
        self.timeout = checks.finite_number("timeout", timeout)
        if self.timeout <= 0:
            raise ArgumentError(f"timeout is seconds > 0, not {timeout}")
        self.max_connections = checks.whole_number("max_connections", max_connections)
        self._url = url.replace("valkey", "redis", 1) if url.startswith("valkey") else url
        self.url = redact(url)
        self.namespace = namespace
        self.ttl_ms = None if ttl is None else max(1, round(ttl * 1000))
        self.prefix = f"{namespace}:{ENTRY_VERSION}:"
        self._client: redis.asyncio.Redis | None = None
        try:  # a clear error now, not at the first call
            import redis.asyncio  # noqa: F401
        except ImportError as exc:
            raise ConfigurationError("RedisCache needs the redis package: "
                                     "pip install 'dspex_nb[redis]'") from exc

    # -- the client, on the engine loop ------------------------------------------------------
    def _redis(self) -> redis.asyncio.Redis:
        if self._client is None:
            import redis.asyncio
            from redis.asyncio.retry import Retry
            from redis.backoff import NoBackoff
            from redis.exceptions import ConnectionError as RedisConnectionError

            # A pooled connection to a server that restarted fails once when next used: one
            # retry on a fresh connection, so a restart is not a new outage. Not on timeouts
            # (a slow Redis would cost two timeouts) and not on a refused connect (fast).
            self._client = redis.asyncio.Redis.from_url(
                self._url, socket_timeout=self.timeout, socket_connect_timeout=self.timeout,
                max_connections=self.max_connections, health_check_interval=0,
                retry=Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)))
            close_at_exit(self._client.aclose)
        return self._client

    async def _get(self, key: str) -> dict[str, Any] | None:
        blob = await self._redis().get(self.prefix + key)
        if blob is None:
            return None
        entry: dict[str, Any] = orjson.loads(blob)  # garbage raises: Cache counts an error
        return entry

    async def _put(self, key: str, entry: dict[str, Any]) -> None:
        await self._redis().set(self.prefix + key, orjson.dumps(entry), px=self.ttl_ms)

    async def _delete(self, key: str) -> None:
        await self._redis().delete(self.prefix + key)

    async def _clear(self) -> int:
        client, removed, batch = self._redis(), 0, []
        async for name in client.scan_iter(match=self.namespace + ":*", count=1000):
            batch.append(name)
            if len(batch) >= 1000:
                removed += await client.unlink(*batch)
                batch = []
        if batch:
            removed += await client.unlink(*batch)
        return removed

    async def _keys(self) -> int:
        return sum([1 async for _ in self._redis().scan_iter(match=self.namespace + ":*",
                                                             count=1000)])

    # -- the layer protocol ------------------------------------------------------------------
    async def aget(self, key: str) -> dict[str, Any] | None:
        return await on_engine(self._get(key))

    async def aput(self, key: str, entry: dict[str, Any]) -> None:
        await on_engine(self._put(key, entry))

    async def adelete(self, key: str) -> None:
        await on_engine(self._delete(key))

    async def aclear(self) -> int:
        """Remove this namespace's keys (every entry version); how many were removed."""
        return await on_engine(self._clear())

    def get(self, key: str) -> dict[str, Any] | None:
        return run_sync(self.aget(key))

    def put(self, key: str, entry: dict[str, Any]) -> None:
        run_sync(self.aput(key, entry))

    def delete(self, key: str) -> None:
        run_sync(self.adelete(key))

    def clear(self) -> None:
        run_sync(self.aclear())

    def __len__(self) -> int:
        """Keys in this namespace (a SCAN: for tests and summaries, not hot paths)."""
        return run_sync(on_engine(self._keys()))

    def __repr__(self) -> str:
        ttl = "none" if self.ttl_ms is None else f"{self.ttl_ms / 1000:g}s"
        return f"RedisCache(url={self.url!r}, namespace={self.namespace!r}, ttl={ttl})"
