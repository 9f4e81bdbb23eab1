"""What a process opens before it serves a request or runs a job, and closes on the way out:
the database (every table bound to it), Redis, the HTTP client, the WeChat client, the stores and
the cache. The app's lifespan and ``linli worker`` both open them here, so a job behaves exactly
as it would inside the app.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from piccolo.engine.base import Engine
from piccolo.table import Table
from redis.asyncio import Redis

from backend.core.cache import VersionedCache
from backend.core.db import bind_tables, close_engine, make_engine, open_engine
from backend.core.runtime import Runtime
from backend.core.stores import Stores, build_stores, redis_from_url
from backend.core.wechat import WechatClient
from backend.settings import Settings


@dataclass(frozen=True)
class Resources:
    engine: Engine[Any]
    redis: Redis | None
    http: httpx.AsyncClient
    wechat: WechatClient
    stores: Stores
    cache: VersionedCache

    def provide_to(self, runtime: Runtime) -> None:
        """Hand the shared resources to the runtime, where jobs, listeners and services find them."""
        runtime.wechat, runtime.stores, runtime.cache = self.wechat, self.stores, self.cache


@asynccontextmanager
async def open_resources(
    settings: Settings,
    tables: Sequence[type[Table]],
    *,
    engine: Engine[Any] | None = None,
    http_client: httpx.AsyncClient | None = None,
    redis: Redis | None = None,
) -> AsyncIterator[Resources]:
    """Open everything; resources passed in belong to the caller, those opened here are closed here.
    A dead database or Redis fails start-up loudly."""
    engine = engine or make_engine(settings)
    own_redis = redis is None and bool(settings.redis_url)
    shared = redis_from_url(settings.redis_url, socket_timeout=2, socket_connect_timeout=2) if own_redis else redis
    http = http_client or httpx.AsyncClient(timeout=settings.http_timeout_seconds)
    # Piccolo binds tables process-wide; whoever stops gives them back to whatever they were bound
    # to before (tests run one app inside another).
    previous = {table: table._meta._db for table in tables}
    bind_tables(engine, tables)
    try:
        await open_engine(engine, settings)
        if shared is not None:
            await shared.ping()
        stores = build_stores(shared)
        wechat = WechatClient(
            http=http,
            base_url=settings.wechat_api_base,
            appid=settings.wechat_appid,
            secret=settings.wechat_secret,
            redis=shared,
        )
        yield Resources(
            engine=engine, redis=shared, http=http, wechat=wechat, stores=stores, cache=VersionedCache(stores)
        )
    finally:
        for table, earlier in previous.items():
            table._meta._db = earlier
        await close_engine(engine)
        if http_client is None:
            await http.aclose()
        if own_redis and shared is not None:
            await shared.aclose()
