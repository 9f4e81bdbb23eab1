"""The versioned cache: one lookup reads the namespace's version and the entry it names.

On Redis the two reads are one script call (so a cached public read costs one round trip); in
process they are dictionary reads. Either way a bump makes every earlier entry unreachable, and a
cache that fails is a miss, never an error.
"""

from __future__ import annotations

import asyncio

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

import backend.core.cache as cache_module
from backend.core.cache import VersionedCache
from backend.core.stores import build_stores


async def _round_trip(cache: VersionedCache) -> None:
    key, hit = await cache.lookup("events", "list", "en", "page-1")
    assert key is not None and hit is None
    await cache.set(key, b"[1,2,3]")
    assert await cache.lookup("events", "list", "en", "page-1") == (key, b"[1,2,3]")
    assert (await cache.lookup("events", "list", "ja", "page-1"))[1] is None  # other parts, other entry

    await cache.bump("events")
    new_key, hit = await cache.lookup("events", "list", "en", "page-1")
    assert hit is None and new_key != key
    await cache.bump("libraries")  # another namespace's bump leaves this one's entries alone
    await cache.set(new_key, b"[4]")
    assert await cache.lookup("events", "list", "en", "page-1") == (new_key, b"[4]")


async def test_in_process_cache_hits_misses_and_bumps() -> None:
    await _round_trip(VersionedCache(build_stores(None)))


async def test_redis_cache_hits_misses_and_bumps(redis: Redis) -> None:
    await _round_trip(VersionedCache(build_stores(redis)))
    # The entries live under the store's namespace, where set() put them and lookup() finds them.
    assert await redis.keys("linli:cache:events:v1:*")


async def test_every_instance_sees_another_instance_bump(redis: Redis, redis_url: str) -> None:
    other_client = Redis.from_url(redis_url)
    try:
        one, two = VersionedCache(build_stores(redis)), VersionedCache(build_stores(other_client))
        key, _ = await one.lookup("events", "event", "en", "42")
        await one.set(key, b"{}")
        assert (await two.lookup("events", "event", "en", "42"))[1] == b"{}"
        await two.bump("events")
        assert (await one.lookup("events", "event", "en", "42"))[1] is None
    finally:
        await other_client.aclose()


async def test_unreachable_redis_is_a_miss_and_stores_nothing() -> None:
    # Nothing listens on port 1; no retries, so the refusal is immediate.
    gone = Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 0))
    try:
        cache = VersionedCache(build_stores(gone))
        assert await cache.lookup("events", "list", "en") == (None, None)
        await cache.set(None, b"ignored")  # what a reader does after a miss it could not key
        await cache.bump("events")  # logged, not raised: the write that bumps must not fail
    finally:
        await gone.aclose()


async def test_a_bump_lost_to_a_blip_is_made_when_redis_answers_again(redis: Redis, monkeypatch) -> None:
    """Redis kept its data through a network blip: the entry cached before the write must not be
    served once Redis answers again."""
    cache = VersionedCache(build_stores(redis))
    key, _ = await cache.lookup("events", "list", "en")
    await cache.set(key, b"before the write")

    async def unreachable(*args: object, **kwargs: object) -> None:
        raise ConnectionError("blip")

    with monkeypatch.context() as patch:
        patch.setattr(redis, "incr", unreachable)
        await cache.bump("events")  # the write's bump is lost to the blip
    assert int(await redis.get("linli:cache:version:events") or 0) == 0

    _, hit = await cache.lookup("events", "list", "en")  # the first call that reaches Redis
    assert hit is None
    assert int(await redis.get("linli:cache:version:events")) == 1
    await cache.lookup("events", "list", "en")
    assert int(await redis.get("linli:cache:version:events")) == 1  # made good once, not again


# --- the pipe: lookups on one connection of their own (backend.core.cache._Pipe) -------------------


async def test_concurrent_lookups_each_get_their_own_entry(redis: Redis) -> None:
    """Lookups share one connection and its answers are read in order: fifty at once, each gets
    the entry it asked for."""
    cache = VersionedCache(build_stores(redis))
    try:
        keys = [(await cache.lookup("events", "list", str(n)))[0] for n in range(50)]
        for n, key in enumerate(keys):
            await cache.set(key, f"page {n}".encode())
        found = await asyncio.gather(*(cache.lookup("events", "list", str(n)) for n in range(50)))
        assert [hit for _, hit in found] == [f"page {n}".encode() for n in range(50)]
        misses = await asyncio.gather(*(cache.lookup("events", "list", "none", str(n)) for n in range(5)))
        assert all(key is not None and hit is None for key, hit in misses)
    finally:
        await cache.close()


async def test_a_lookup_after_redis_dropped_the_connection_is_a_miss_then_a_hit(redis: Redis) -> None:
    before = {client["id"] for client in await redis.client_list()}
    cache = VersionedCache(build_stores(redis))
    try:
        key, _ = await cache.lookup("events", "list", "en")
        await cache.set(key, b"kept")
        # The connections this cache opened (its pipe's among them), not those of other tests'
        # apps sharing this Redis.
        opened = [client["id"] for client in await redis.client_list() if client["id"] not in before]
        assert opened
        for client_id in opened:
            await redis.client_kill_filter(_id=client_id)
        answers = [await cache.lookup("events", "list", "en") for _ in range(2)]
        assert answers[-1] == (key, b"kept")  # at most the first fails, as a miss nobody stores
        assert answers[0] in ((None, None), (key, b"kept"))
    finally:
        await cache.close()


async def test_redis_that_lost_the_script_is_given_it_again(redis: Redis) -> None:
    cache = VersionedCache(build_stores(redis))
    try:
        key, _ = await cache.lookup("events", "list", "en")
        await cache.set(key, b"kept")
        await redis.script_flush()
        assert await cache.lookup("events", "list", "en") == (key, b"kept")
        assert await cache.lookup("events", "list", "en") == (key, b"kept")
    finally:
        await cache.close()


async def test_a_lookup_redis_does_not_answer_in_time_is_a_miss(redis: Redis, monkeypatch) -> None:
    """Redis paused (as a stalled server would be): the lookup gives up after the pipe's timeout
    and is a miss; once Redis answers again, so does the cache."""
    monkeypatch.setattr(cache_module, "PIPE_TIMEOUT_SECONDS", 0.2)
    cache = VersionedCache(build_stores(redis))
    try:
        key, _ = await cache.lookup("events", "list", "en")
        await cache.set(key, b"kept")
        await redis.execute_command("CLIENT", "PAUSE", "1500", "ALL")
        assert await cache.lookup("events", "list", "en") == (None, None)
        await redis.execute_command("CLIENT", "UNPAUSE")
        assert await cache.lookup("events", "list", "en") == (key, b"kept")
    finally:
        await cache.close()
