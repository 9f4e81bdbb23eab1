"""Shared state: Redis when configured, in-process equivalents otherwise (one process only).

Every key lives under ``linli:<store>:`` so one Redis can serve several apps and a flush of one
store (the cache) never touches another (idempotency keys, tokens).

Redis only ever holds what can be rebuilt or done without: PostgreSQL is the source of truth.
When Redis goes away under a running app (a refused connection fails in well under a
millisecond; a hung one within the client's 2 s socket timeouts), each feature degrades so:

- cache (``backend.core.cache``): a miss; public reads are answered from the database;
- rate limits (``RateLimiter``): counted in this process instead, in the same fixed windows. Not
  failing open (a login flood stays limited) and not failing closed (nobody is locked out);
  across N instances a client gets at most N times its limit until Redis is back;
- Idempotency-Key of sign-ups and shift sign-ups: kept in the database (a unique index on
  (user, key)), so a retry replays the first answer whether Redis is there or not. The
  ``idempotency`` store here is not on that path;
- logins and sessions: sessions live in the database (``backend.accounts.sessions``), so tokens keep
  working; the staff login lockout counts failures in this process instead, like the rate limits;
- the WeChat access token (``tokens``): calls that need it (subscribe messages, text checks,
  mini-program codes) get ``WechatUnavailable``, since an instance fetching a token of its own
  would invalidate every other instance's. WeChat login does not need it and keeps working;
- jobs (``backend.core.job_queue``): enqueueing raises. Enqueueing on behalf of a request happens
  in signal listeners after the commit, so the request is answered; the signal stays in the
  outbox and ``signals.sweep`` delivers it again once Redis is back (its lease, 60 s, first);
- ``/ready`` stays 200 but says ``degraded`` and names Redis, for the operator.

No request needs Redis for its correctness, so none answers 503 because Redis is away; should a
Redis connection error escape all the same, it is a 503 (``backend.core.errors``), never a 500.

Behind Redis Sentinel (``redis+sentinel://``, ``redis_from_url``) a failover is such an absence,
from the master's death until the Sentinels promote a replica (``down-after-milliseconds`` plus
the election: seconds); then each client's next connection asks the Sentinels and goes to the new
master, with no restart. What the replica had received survives it: rate-limit counts, cache
entries and versions, the WeChat token and its refresh lock, queued and scheduled jobs
(``tests/test_sentinel.py``). What the old master took in its last moment and had not yet sent
on is lost: a few rate-limit hits (a client gets slightly more than its limit once), a cache
version bump (entries older than that write may be served until their TTL), the refresh lock (a
second instance may refresh the token: the first's calls then get 40001 and refresh again), an
enqueued job (a subscribe message's delivery is queued again by the periodic round's stranded
sweep; a signal whose listener only enqueued it was already delivered and is not repeated).
"""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass
from typing import Any

import structlog
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.stores.base import Store
from litestar.stores.memory import MemoryStore
from litestar.stores.redis import RedisStore
from litestar.types import Guard
from redis.asyncio import Redis
from redis.commands.core import AsyncScript
from redis.exceptions import RedisError

from backend.core.errors import DomainError
from backend.core.i18n import N_

NAMESPACE = "linli"
log = structlog.get_logger("linli.stores")
STORE_NAMES = ("cache", "ratelimit", "idempotency", "tokens")


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    remaining: int
    retry_after: int


_HIT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count
"""


class RateLimiter:
    """Fixed-window counters: ``limit`` hits per ``window`` seconds for each key."""

    def __init__(self, redis: Redis | None, prefix: str = f"{NAMESPACE}:ratelimit:") -> None:
        self._redis = redis
        self._prefix = prefix
        self._counts: dict[str, tuple[int, float]] = {}
        self._lock = asyncio.Lock()
        self._script: AsyncScript | None = None

    async def hit(self, key: str, *, limit: int, window: int) -> RateDecision:
        now = time.time()
        window_start = math.floor(now / window) * window
        retry_after = max(1, math.ceil(window_start + window - now))
        count = None
        if self._redis is not None:
            try:
                count = await self._hit_redis(f"{self._prefix}{key}:{int(window_start)}", window)
            except (RedisError, OSError):
                # Redis away: keep limiting, per process, rather than refuse every login and sign-up.
                log.warning("rate_limit_redis_unavailable", key=key.split(":", 1)[0])
        if count is None:
            count = await self._hit_memory(key, window_start)
        return RateDecision(allowed=count <= limit, remaining=max(0, limit - count), retry_after=retry_after)

    async def _hit_redis(self, key: str, window: int) -> int:
        # INCR is atomic, so two instances counting the same client never lose a hit; the script
        # sets the expiry with the first hit, in one command (MULTI, INCR, EXPIRE, EXEC were four).
        assert self._redis is not None  # only called with Redis
        if self._script is None:
            self._script = self._redis.register_script(_HIT)
        count = await self._script(keys=[key], args=[window + 1])
        return int(count)

    async def _hit_memory(self, key: str, window_start: float) -> int:
        async with self._lock:
            count, started = self._counts.get(key, (0, window_start))
            if started != window_start:
                count = 0
            self._counts[key] = (count + 1, window_start)
            if len(self._counts) > 100_000:  # forget old windows instead of growing forever
                self._counts = {k: v for k, v in self._counts.items() if v[1] == window_start}
            return count + 1


@dataclass(frozen=True)
class Stores:
    redis: Redis | None
    cache: Store
    idempotency: Store
    tokens: Store
    rate_limiter: RateLimiter

    @property
    def shared(self) -> bool:
        return self.redis is not None


def build_stores(redis: Redis | None) -> Stores:
    if redis is None:
        return Stores(
            redis=None,
            cache=MemoryStore(),
            idempotency=MemoryStore(),
            tokens=MemoryStore(),
            rate_limiter=RateLimiter(None),
        )

    def store(name: str) -> RedisStore:
        return RedisStore(redis, namespace=f"{NAMESPACE}:{name}")

    return Stores(
        redis=redis,
        cache=store("cache"),
        idempotency=store("idempotency"),
        tokens=store("tokens"),
        rate_limiter=RateLimiter(redis),
    )


SENTINEL_SCHEME = "redis+sentinel://"


def redis_from_url(url: str, **options: Any) -> Redis:
    """A Redis client for ``redis://…`` (or ``rediss://``, ``unix://``), or for
    ``redis+sentinel://[:password@]host:port[,host:port…]/service[/db]``: a client of whichever
    server the Sentinels name as the service's master, asked again whenever a connection fails.
    A failover then costs the requests of a few seconds their Redis (each feature degrades as
    described above), and the next connection goes to the promoted replica."""
    if not url.startswith(SENTINEL_SCHEME):
        return Redis.from_url(url, **options)
    from redis.asyncio.sentinel import Sentinel

    rest = url.removeprefix(SENTINEL_SCHEME)
    credentials, _, rest = rest.rpartition("@")
    password = credentials.partition(":")[2] or None
    hosts, _, path = rest.partition("/")
    service, _, db = path.partition("/")
    if not hosts or not service:
        raise ValueError("redis+sentinel://host:port[,host:port…]/service[/db]")
    sentinels = []
    for host in hosts.split(","):
        name, _, port = host.rpartition(":")
        sentinels.append((name or host, int(port) if name else 26379))
    timeouts = {key: options[key] for key in ("socket_timeout", "socket_connect_timeout") if key in options}
    sentinel = Sentinel(sentinels, sentinel_kwargs=timeouts)  # type: ignore[no-untyped-call]  # redis-py leaves it unannotated
    client: Redis = sentinel.master_for(service, db=int(db or 0), password=password, **options)
    return client


async def redis_ready(redis: Redis | None) -> bool:
    if redis is None:
        return True
    try:
        return bool(await redis.ping())
    except Exception:  # any failure means "not ready"; /ready reports it
        return False


def rate_limit(bucket: str, *, setting: str = "login_rate_limit", per_user: bool = False, window: int = 60) -> Guard:
    """A guard: at most ``settings.<setting>`` requests per window, per client address (or per
    logged-in user, so one account cannot hammer from many addresses)."""

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        if connection.scope.get("method") == "OPTIONS":
            return  # a browser's pre-flight is not a request to count
        stores: Stores = connection.app.state.stores
        limit: int = getattr(connection.app.state.settings, setting)
        user = connection.scope.get("user")
        if per_user and user is not None:
            who = f"user:{user.id}"
        else:
            who = connection.client.host if connection.client else "unknown"
        decision = await stores.rate_limiter.hit(f"{bucket}:{who}", limit=limit, window=window)
        if not decision.allowed:
            raise DomainError(
                "rate_limited",
                N_("Too many requests. Please try again later."),
                status=429,
                headers={"Retry-After": str(decision.retry_after)},
            )

    return guard
