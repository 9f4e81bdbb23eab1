"""Cached public reads that a write makes stale at once.

Each namespace has a version number; keys embed it, and a write bumps it. Old entries are never
read again and expire by themselves, so invalidation is one atomic increment (Redis INCR when
shared, so every instance sees it), not a hunt for keys. A cache that fails is a miss: public
reads go on from the database when Redis is away.
"""

from __future__ import annotations

import hashlib

import structlog
from redis.exceptions import RedisError

from backend.core import metrics
from backend.core.db import REPLICA_CACHE_SECONDS, reading_replica
from backend.core.stores import Stores

DEFAULT_TTL_SECONDS = 60
log = structlog.get_logger("linli.cache")


# The version and the entry it names, read in one round trip: a cached read costs one call to
# Redis, not two (the version, then the entry), which showed in the read benchmark.
_LOOKUP = b"""
local version = redis.call('GET', KEYS[1]) or '0'
return {version, redis.call('GET', ARGV[1] .. ':v' .. version .. ':' .. ARGV[2])}
"""


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
        result = "unavailable" if key is None else "miss" if value is None else "hit"
        metrics.CACHE_LOOKUPS.labels(result=result).inc()
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
            version, value = await self._lookup(keys=[self._version_key(namespace)], args=[entry_prefix, digest])
        except (RedisError, OSError):
            log.warning("cache_unavailable", namespace=namespace)
            return None, None
        return f"{namespace}:v{int(version)}:{digest}", value

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


def _digest(parts: tuple[str, ...]) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]
