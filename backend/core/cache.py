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

from backend.core.stores import Stores

DEFAULT_TTL_SECONDS = 60
log = structlog.get_logger("linli.cache")


class VersionedCache:
    def __init__(self, stores: Stores) -> None:
        self._stores = stores
        self._local_versions: dict[str, int] = {}

    async def key(self, namespace: str, *parts: str) -> str | None:
        """The key for these parts at the namespace's current version; None when unavailable."""
        try:
            version = await self._version(namespace)
        except (RedisError, OSError):
            log.warning("cache_unavailable", namespace=namespace)
            return None
        digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]
        return f"{namespace}:v{version}:{digest}"

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
        try:
            await self._stores.cache.set(key, value, expires_in=ttl)
        except (RedisError, OSError):
            log.warning("cache_write_failed", key=key)

    async def bump(self, namespace: str) -> None:
        """Make every cached entry of the namespace stale, on every instance."""
        if self._stores.redis is None:
            self._local_versions[namespace] = self._local_versions.get(namespace, 0) + 1
            return
        try:
            await self._stores.redis.incr(self._version_key(namespace))
        except (RedisError, OSError):
            # Readers cannot reach Redis either, so nobody serves the stale entries meanwhile.
            log.warning("cache_bump_failed", namespace=namespace)

    async def _version(self, namespace: str) -> int:
        if self._stores.redis is None:
            return self._local_versions.get(namespace, 0)
        return int(await self._stores.redis.get(self._version_key(namespace)) or 0)

    @staticmethod
    def _version_key(namespace: str) -> str:
        return f"linli:cache:version:{namespace}"
