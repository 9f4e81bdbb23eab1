"""Cached public reads that a write makes stale at once.

Each namespace has a version number; keys embed it, and a write bumps it. Old entries are never
read again and expire by themselves, so invalidation is one atomic increment (Redis INCR when
shared, so every instance sees it), not a hunt for keys. A cache that fails is a miss: public
reads go on from the database when Redis is away.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
import weakref
from collections import deque
from typing import Any

import structlog
from redis.asyncio import Redis
from redis.asyncio.connection import AbstractConnection, ConnectionPool
from redis.exceptions import RedisError, ResponseError

from backend.core import metrics
from backend.core.db import REPLICA_CACHE_SECONDS, reading_replica
from backend.core.stores import Stores

DEFAULT_TTL_SECONDS = 60
# A lookup that Redis has not answered within this long fails (the client's socket timeout).
PIPE_TIMEOUT_SECONDS = 2.0
log = structlog.get_logger("linli.cache")
_RESULTS = {result: metrics.CACHE_LOOKUPS.labels(result=result) for result in ("hit", "miss", "unavailable")}


# The version and the entry it names, read in one round trip: a cached read costs one call to
# Redis, not two (the version, then the entry), which showed in the read benchmark.
_LOOKUP = b"""
local version = redis.call('GET', KEYS[1]) or '0'
return {version, redis.call('GET', ARGV[1] .. ':v' .. version .. ':' .. ARGV[2])}
"""


class _Pipe:
    """The cache's lookups on one connection of the Redis client's pool, kept for them alone:
    each lookup written as it comes, answers read in order by one reader. The redis-py client
    spent about 0.1 ms of CPU on each call (retries, the pool, its parser, a timeout per read),
    a quarter of a cached page's cost; this spends a fraction of that. The connection is the
    client's own (connected, authenticated and closed by it, Sentinel included); only the replies
    of these two commands (arrays, bulk strings, errors) are read here. Any failure closes the
    pipe: the waiting lookups fail (a miss, as when Redis is away) and the next opens a new one."""

    def __init__(self, pool: ConnectionPool, connection: AbstractConnection) -> None:
        self._pool = pool  # not the client: the pipe is kept per client and must not keep it alive
        self._connection = connection
        self._reader: asyncio.StreamReader = connection._reader  # type: ignore[assignment]
        self._writer: asyncio.StreamWriter = connection._writer  # type: ignore[assignment]
        self._waiting: deque[tuple[float, asyncio.Future[Any]]] = deque()
        self.loop = asyncio.get_running_loop()
        self.closed = False
        self._tasks = (self.loop.create_task(self._read()), self.loop.create_task(self._watch()))

    @classmethod
    async def open(cls, pool: ConnectionPool) -> _Pipe:
        connection = await pool.get_connection()  # type: ignore[no-untyped-call]
        try:
            await connection.connect()
            if connection._reader is None or connection._writer is None:
                raise ConnectionError("the connection has no stream")
        except BaseException:
            await pool.release(connection)
            raise
        return cls(pool, connection)

    async def call(self, *args: bytes | str) -> Any:
        if self.closed:
            raise ConnectionError("the cache's Redis pipe is closed")
        encoded = [a.encode() if isinstance(a, str) else a for a in args]
        self._writer.write(b"*%d\r\n%b" % (len(encoded), b"".join(b"$%d\r\n%b\r\n" % (len(a), a) for a in encoded)))
        future = self.loop.create_future()
        self._waiting.append((time.monotonic(), future))
        reply = await future
        if isinstance(reply, ResponseError):
            raise reply
        return reply

    async def _reply(self) -> Any:
        line = await self._reader.readuntil(b"\r\n")
        kind, rest = line[:1], line[1:-2]
        if kind == b"$":
            size = int(rest)
            return None if size < 0 else (await self._reader.readexactly(size + 2))[:-2]
        if kind == b"*":
            size = int(rest)
            return None if size < 0 else [await self._reply() for _ in range(size)]
        if kind in (b"+", b":"):
            return rest
        if kind == b"_":
            return None
        if kind == b"-":
            return ResponseError(rest.decode(errors="replace"))
        raise ConnectionError(f"unexpected reply from Redis: {line[:40]!r}")

    async def _read(self) -> None:
        try:
            while True:
                reply = await self._reply()
                if not self._waiting:
                    raise ConnectionError("a reply nobody asked for")
                _, future = self._waiting.popleft()
                if not future.done():
                    future.set_result(reply)
        except (Exception, asyncio.CancelledError) as error:
            self._fail(error if isinstance(error, ConnectionError) else ConnectionError(repr(error)))

    async def _watch(self) -> None:
        """Fails the pipe when its oldest lookup has waited too long (one check a second, not a
        timer per lookup)."""
        while not self.closed:
            await asyncio.sleep(PIPE_TIMEOUT_SECONDS / 2)
            if self._waiting and time.monotonic() - self._waiting[0][0] > PIPE_TIMEOUT_SECONDS:
                self._fail(ConnectionError("Redis did not answer in time"))

    def _fail(self, error: ConnectionError) -> None:
        if self.closed:
            return
        self.closed = True
        while self._waiting:
            _, future = self._waiting.popleft()
            if not future.done():
                future.set_exception(error)
        for task in self._tasks:
            if task is not asyncio.current_task():
                task.cancel()
        self.loop.create_task(self._give_back())

    async def _give_back(self) -> None:
        with contextlib.suppress(Exception):
            await self._connection.disconnect()
        with contextlib.suppress(Exception):
            await self._pool.release(self._connection)

    async def close(self) -> None:
        self._fail(ConnectionError("closed"))
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._give_back()


class VersionedCache:
    def __init__(self, stores: Stores) -> None:
        self._stores = stores
        self._local_versions: dict[str, int] = {}
        self._lookup = stores.redis.register_script(_LOOKUP) if stores.redis is not None else None

        # Bumps that failed while Redis was unreachable, made good on the next call that reaches
        # it: a blip that keeps Redis's data must not let entries older than a write be served.
        self._unbumped: set[str] = set()

    async def lookup(self, namespace: str, *parts: str) -> tuple[str | None, bytes | None]:
        """The key for these parts at the namespace's current version, and its entry if cached.
        (None, None) when the cache is unavailable: the caller reads the database and stores
        nothing."""
        key, value = await self._lookup_entry(namespace, *parts)
        _RESULTS["unavailable" if key is None else "miss" if value is None else "hit"].inc()
        return key, value

    async def _lookup_entry(self, namespace: str, *parts: str) -> tuple[str | None, bytes | None]:
        digest = _digest(parts)
        if reading_replica():
            # Read from the replica: kept apart from the primary's entries (backend.core.replica).
            digest = f"replica-{digest}"
        if self._lookup is None:
            key = f"{namespace}:v{self._local_versions.get(namespace, 0)}:{digest}"
            return key, await self.get(key)
        store_prefix = getattr(self._stores.cache, "namespace", None)
        entry_prefix = f"{store_prefix}:{namespace}" if store_prefix else namespace
        try:
            await self._catch_up()
            version, value = await self._run_lookup(self._version_key(namespace), entry_prefix, digest)
        except (RedisError, OSError):
            log.warning("cache_unavailable", namespace=namespace)
            return None, None
        return f"{namespace}:v{int(version)}:{digest}", value

    async def _run_lookup(self, version_key: str, entry_prefix: str, digest: str) -> tuple[bytes, bytes | None]:
        """The lookup script, through the pipe (``_Pipe``), loaded into Redis when it lacks it."""
        assert self._lookup is not None
        pipe = await self._open_pipe()
        try:
            reply = await pipe.call(b"EVALSHA", self._lookup.sha, b"1", version_key, entry_prefix, digest)
        except ResponseError as error:
            if not str(error).startswith("NOSCRIPT"):
                raise
            reply = await pipe.call(b"EVAL", _LOOKUP, b"1", version_key, entry_prefix, digest)
        version, value = reply
        return version, value

    async def _open_pipe(self) -> _Pipe:
        assert self._stores.redis is not None
        return await _pipe_of(self._stores.redis)

    async def close(self) -> None:
        """Close the pipe of this cache's Redis client, which every cache on that client shares
        (the client's own close ends it too)."""
        redis = self._stores.redis
        pipe = _PIPES.pop(redis, None) if redis is not None else None
        if pipe is not None and pipe.loop is asyncio.get_running_loop():
            await pipe.close()

    async def get(self, key: str | None) -> bytes | None:
        if key is None:
            return None
        try:
            return await self._stores.cache.get(key)
        except (RedisError, OSError):
            return None

    async def set(self, key: str | None, value: bytes, ttl: int = DEFAULT_TTL_SECONDS) -> None:
        if key is None:
            return
        if reading_replica():
            ttl = min(ttl, REPLICA_CACHE_SECONDS)  # the replica may have been behind
        try:
            await self._stores.cache.set(key, value, expires_in=ttl)
        except (RedisError, OSError):
            log.warning("cache_write_failed", key=key)

    async def bump(self, namespace: str) -> None:
        """Make every cached entry of the namespace stale, on every instance."""
        if self._stores.redis is None:
            self._local_versions[namespace] = self._local_versions.get(namespace, 0) + 1
            return
        self._unbumped.add(namespace)
        try:
            await self._catch_up()
        except (RedisError, OSError):
            # Readers cannot reach Redis either, so nobody serves the stale entries meanwhile;
            # the bump is made as soon as this process reaches Redis again.
            log.warning("cache_bump_failed", namespace=namespace)

    async def _catch_up(self) -> None:
        assert self._stores.redis is not None
        for namespace in sorted(self._unbumped):
            await self._stores.redis.incr(self._version_key(namespace))
            self._unbumped.discard(namespace)

    @staticmethod
    def _version_key(namespace: str) -> str:
        return f"linli:cache:version:{namespace}"


# One pipe per Redis client (and event loop), shared by every cache on it: tests make a new cache
# per test on the app's one client, and an instance has one client.
_PIPES: weakref.WeakKeyDictionary[Redis, _Pipe] = weakref.WeakKeyDictionary()
_OPENING: weakref.WeakKeyDictionary[Redis, tuple[asyncio.AbstractEventLoop, asyncio.Lock]] = weakref.WeakKeyDictionary()


async def _pipe_of(redis: Redis) -> _Pipe:
    loop = asyncio.get_running_loop()
    pipe = _PIPES.get(redis)
    if pipe is not None and not pipe.closed and pipe.loop is loop:
        return pipe
    opening = _OPENING.get(redis)
    if opening is None or opening[0] is not loop:
        _OPENING[redis] = opening = (loop, asyncio.Lock())
    async with opening[1]:  # one connection, however many lookups are waiting for it
        pipe = _PIPES.get(redis)
        if pipe is None or pipe.closed or pipe.loop is not loop:
            _PIPES[redis] = pipe = await _Pipe.open(redis.connection_pool)
        return pipe


def _digest(parts: tuple[str, ...]) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]
