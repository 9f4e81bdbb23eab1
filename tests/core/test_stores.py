"""Shared state: namespaced Redis stores, and rate limits that several instances count together."""

from __future__ import annotations

import asyncio

from redis.asyncio import Redis

from backend.core.stores import RateLimiter, build_stores


async def test_memory_rate_limiter_counts_per_key() -> None:
    limiter = RateLimiter(None)
    decisions = [await limiter.hit("login:1.2.3.4", limit=3, window=60) for _ in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert decisions[-1].retry_after >= 1
    assert (await limiter.hit("login:5.6.7.8", limit=3, window=60)).allowed


async def test_redis_rate_limiter_is_shared_and_atomic(redis: Redis) -> None:
    one, two = RateLimiter(redis), RateLimiter(redis)
    decisions = await asyncio.gather(
        *(limiter.hit("login:9.9.9.9", limit=10, window=60) for limiter in [one, two] * 10)
    )
    assert sum(d.allowed for d in decisions) == 10
    assert await redis.ttl(next(iter(await redis.keys("linli:ratelimit:*")))) > 0


async def test_stores_are_namespaced(redis: Redis) -> None:
    stores = build_stores(redis)
    await stores.cache.set("k", b"cached")
    await stores.idempotency.set("k", b"once")
    await stores.tokens.set("k", b"secret", expires_in=60)
    keys = {key.decode() for key in await redis.keys("linli:*")}
    assert {"linli:cache:k", "linli:idempotency:k", "linli:tokens:k"} <= keys
    await stores.cache.delete_all()
    assert await stores.idempotency.get("k") == b"once"
    assert await stores.cache.get("k") is None


async def test_without_redis_stores_live_in_the_process() -> None:
    stores = build_stores(None)
    assert not stores.shared
    await stores.cache.set("k", b"v")
    assert await stores.cache.get("k") == b"v"
