"""``linli worker``: runs the background jobs the app instances put on the Redis queue, and the
periodic ones (SAQ cron, one run per tick however many workers there are).

A worker opens what the app opens (the database with every table bound, Redis, an HTTP client, the
WeChat client, the stores and cache) and registers the same signal listeners, so a job behaves as
it would inside the app; jobs it enqueues go to the same queue.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import structlog
from redis.asyncio import Redis
from saq import Worker

from backend.core import jobs
from backend.core.cache import VersionedCache
from backend.core.db import bind_tables, close_engine, make_engine, open_engine
from backend.core.job_queue import RedisRunner, build_worker
from backend.core.logging import configure_logging
from backend.core.stores import build_stores
from backend.core.wechat import WechatClient
from backend.settings import Settings

log = structlog.get_logger("linli.worker")

# The worker blocks on Redis for the next job this long (seconds) at a time.
DEQUEUE_SECONDS = 2.0


@dataclass(frozen=True)
class WorkerResources:
    runner: RedisRunner
    redis: Redis
    http: httpx.AsyncClient
    wechat: WechatClient


@asynccontextmanager
async def worker_resources(settings: Settings) -> AsyncIterator[WorkerResources]:
    """Everything a job may use, opened as the app opens it and closed on the way out."""
    from backend.app import _connect_domains, all_tables, load_job_modules

    if not settings.redis_url:
        raise RuntimeError("the worker needs LINLI_REDIS_URL")
    _connect_domains(settings)
    load_job_modules()
    engine = make_engine(settings)
    tables = all_tables()
    previous_binding = {table: table._meta._db for table in tables}
    bind_tables(engine, tables)
    # The queue's client blocks on purpose (the next job, SAQ's job updates): no read timeout,
    # keepalive and health checks find a dead connection instead.
    queue_redis = Redis.from_url(
        settings.redis_url, socket_connect_timeout=2, socket_keepalive=True, health_check_interval=30
    )
    shared = Redis.from_url(settings.redis_url, socket_timeout=2, socket_connect_timeout=2)
    http = httpx.AsyncClient(timeout=settings.http_timeout_seconds)
    runner = RedisRunner(queue_redis)
    previous_runner: jobs.Runner | None = None
    previous_resources: dict[str, Any] | None = None
    try:
        await open_engine(engine, settings)
        await shared.ping()  # a dead Redis fails start-up loudly, like a dead database
        stores = build_stores(shared)
        wechat = WechatClient(
            http=http,
            base_url=settings.wechat_api_base,
            appid=settings.wechat_appid,
            secret=settings.wechat_secret,
            redis=shared,
        )
        previous_runner = jobs.use(runner)  # jobs may enqueue jobs
        previous_resources = jobs.provide(settings=settings, wechat=wechat, cache=VersionedCache(stores), stores=stores)
        yield WorkerResources(runner=runner, redis=shared, http=http, wechat=wechat)
    finally:
        if previous_resources is not None:
            jobs.use(previous_runner)
            jobs.provide(**previous_resources)
        for table, earlier in previous_binding.items():
            table._meta._db = earlier
        await close_engine(engine)
        await http.aclose()
        await shared.aclose()
        await runner.queue.disconnect()  # its Redis client, and SAQ's listener if it started one


def make_worker(runner: RedisRunner, settings: Settings) -> Worker[Any]:
    return build_worker(runner.queue, concurrency=settings.worker_concurrency, dequeue_timeout=DEQUEUE_SECONDS)


async def run_worker(settings: Settings) -> None:
    """Process jobs until SIGTERM or SIGINT; a job cut short by the stop is queued again."""
    configure_logging(settings)
    async with worker_resources(settings) as resources:
        worker = make_worker(resources.runner, settings)
        log.info(
            "worker_started",
            queue=resources.runner.queue.name,
            jobs=sorted(worker.functions),
            cron=sorted(jobs.periodic()),
            concurrency=worker.concurrency,
        )
        await worker.start()  # SAQ stops on SIGTERM and SIGINT
        log.info("worker_stopped")
