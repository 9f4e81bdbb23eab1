"""Staff login lockout, besides the per-address limit: failed password checks are counted per
username, whether the name exists or not (so the answer never tells which names exist), and after
``THRESHOLD`` failures the name is locked for a minute, twice as long after each further failure,
at most an hour. While locked every attempt is refused, the right password included; a login
that succeeds clears the count.

The counts are shared through Redis when it is configured (one Lua script per failure, so
concurrent failures on several instances all count), in this process otherwise, and in this
process too while Redis is away (like ``backend.core.stores.RateLimiter``: neither open to a
guessing run nor locking everyone out). Time is ``clock.now()``, so tests can move it.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import weakref
from dataclasses import dataclass, field

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

from backend.core import clock
from backend.core.errors import DomainError
from backend.core.i18n import N_
from backend.core.stores import NAMESPACE, RateLimiter, Stores

log = structlog.get_logger("linli.lockout")

THRESHOLD = 5  # failures before the first lock
FIRST_LOCK_SECONDS = 60
LONGEST_LOCK_SECONDS = 3600
FORGET_SECONDS = 24 * 3600  # a count with no new failure for a day starts again

# KEYS[1]: the name's hash; ARGV: now, threshold, first lock, longest lock, forget after (seconds).
_FAILED = """
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
local threshold = tonumber(ARGV[2])
if failures >= threshold then
  local seconds = math.min(tonumber(ARGV[4]), tonumber(ARGV[3]) * 2 ^ (failures - threshold))
  redis.call('HSET', KEYS[1], 'until', math.floor(tonumber(ARGV[1]) + seconds))
end
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[5]))
return failures
"""


def lock_seconds(failures: int) -> int:
    """How long a name is locked after its ``failures``-th failure in a row (0: not locked)."""
    if failures < THRESHOLD:
        return 0
    return min(LONGEST_LOCK_SECONDS, FIRST_LOCK_SECONDS * int(2 ** min(failures - THRESHOLD, 32)))


@dataclass
class _Count:
    failures: int = 0
    until: float = 0.0
    last: float = 0.0


@dataclass
class _Memory:
    counts: dict[str, _Count] = field(default_factory=dict)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


# The in-process counts belong to one set of stores (one app), like the rate limiter's windows.
_MEMORY: weakref.WeakKeyDictionary[RateLimiter, _Memory] = weakref.WeakKeyDictionary()


def login_locked(retry_after: int) -> DomainError:
    return DomainError(
        "login_locked",
        N_("Too many failed logins with this username. Please wait {seconds} seconds and try again."),
        params={"seconds": retry_after},
        status=429,
        headers={"Retry-After": str(retry_after)},
    )


class LoginLockout:
    def __init__(self, stores: Stores) -> None:
        self._redis: Redis | None = stores.redis
        self._memory = _MEMORY.setdefault(stores.rate_limiter, _Memory())

    @staticmethod
    def _key(username: str) -> str:
        digest = hashlib.sha256(username.strip().casefold().encode()).hexdigest()[:32]
        return f"{NAMESPACE}:lockout:{digest}"

    async def check(self, username: str) -> None:
        """Raise 429 ``login_locked`` (with Retry-After) while the name is locked."""
        key, now = self._key(username), clock.now().timestamp()
        until = None
        if self._redis is not None:
            try:
                raw = await self._redis.hget(key, "until")
                until = float(raw) if raw else 0.0
            except (RedisError, OSError):
                log.warning("lockout_redis_unavailable")
        if until is None:
            async with self._memory.lock:
                count = self._memory.counts.get(key)
                until = count.until if count else 0.0
        if until > now:
            raise login_locked(max(1, math.ceil(until - now)))

    async def failed(self, username: str) -> None:
        key, now = self._key(username), clock.now().timestamp()
        if self._redis is not None:
            try:
                await self._redis.eval(
                    _FAILED, 1, key, int(now), THRESHOLD, FIRST_LOCK_SECONDS, LONGEST_LOCK_SECONDS, FORGET_SECONDS
                )
                return
            except (RedisError, OSError):
                log.warning("lockout_redis_unavailable")
        async with self._memory.lock:
            count = self._memory.counts.get(key)
            if count is None or now - count.last > FORGET_SECONDS:
                count = self._memory.counts[key] = _Count()
            count.failures += 1
            count.last = now
            if count.failures >= THRESHOLD:
                count.until = now + lock_seconds(count.failures)
            if len(self._memory.counts) > 100_000:  # forget stale names instead of growing forever
                self._memory.counts = {k: v for k, v in self._memory.counts.items() if now - v.last <= FORGET_SECONDS}

    async def succeeded(self, username: str) -> None:
        key = self._key(username)
        if self._redis is not None:
            try:
                await self._redis.delete(key)
            except (RedisError, OSError):
                log.warning("lockout_redis_unavailable")
        async with self._memory.lock:
            self._memory.counts.pop(key, None)
