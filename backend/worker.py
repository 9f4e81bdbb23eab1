"""``linli worker``: runs the background jobs the app instances put on the Redis queue, and the
periodic ones (SAQ cron, one run per tick however many workers there are).

A worker opens what the app opens (``open_resources``: the database with every table bound, Redis,
an HTTP client, the WeChat client, the stores and cache) and runs inside a runtime assembled from
the same domain list, so a job behaves as it would inside the app: the same listeners, the same
jobs, the same privacy parts; jobs it enqueues go to the same queue.
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import structlog
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from redis.asyncio import Redis
from saq import Worker

from backend.app import instrument
from backend.core import runtime
from backend.core.domain import Domain
from backend.core.job_queue import RedisRunner, build_worker
from backend.core.logging import configure_logging
from backend.core.resources import Resources, open_resources
from backend.core.runtime import Runtime
from backend.core.stores import redis_from_url
from backend.core.wiring import all_tables, assemble
from backend.domains import DOMAINS
from backend.settings import Settings

log = structlog.get_logger("linli.worker")

# The worker blocks on Redis for the next job this long (seconds) at a time.
DEQUEUE_SECONDS = 2.0


@dataclass(frozen=True)
class WorkerResources:
    runner: RedisRunner
    runtime: Runtime
    opened: Resources

    @property
    def redis(self) -> Redis:
        assert self.opened.redis is not None
        return self.opened.redis


@asynccontextmanager
async def worker_resources(settings: Settings, domains: Sequence[Domain] = DOMAINS) -> AsyncIterator[WorkerResources]:
    """Everything a job may use, opened as the app opens it, inside the worker's runtime."""
    if not settings.redis_url:
        raise RuntimeError("the worker needs LINLI_REDIS_URL")
    current = assemble(domains, settings)
    instrument(current)
    # The queue's client blocks on purpose (the next job, SAQ's job updates): no read timeout,
    # keepalive and health checks find a dead connection instead.
    queue_redis = redis_from_url(
        settings.redis_url, socket_connect_timeout=2, socket_keepalive=True, health_check_interval=30
    )
    runner = RedisRunner(queue_redis, specs=current.jobs)
    try:
        async with open_resources(settings, all_tables(domains)) as opened:
            opened.provide_to(current)
            current.runner = runner  # jobs may enqueue jobs
            with runtime.bound(current):
                yield WorkerResources(runner=runner, runtime=current, opened=opened)
    finally:
        await runner.queue.disconnect()  # its Redis client, and SAQ's listener if it started one


def make_worker(resources: WorkerResources, settings: Settings) -> Worker[Any]:
    return build_worker(
        resources.runner.queue,
        specs=resources.runtime.jobs,
        schedules=resources.runtime.schedules,
        concurrency=settings.worker_concurrency,
        dequeue_timeout=DEQUEUE_SECONDS,
    )


async def serve_metrics(settings: Settings, host: str, port: int) -> asyncio.Server:
    """``GET /metrics`` of this worker's counters (notices, WeChat calls, jobs), for Prometheus:
    with ``LINLI_METRICS_TOKEN`` only for that bearer token, as on the instances. Anything else
    gets a 404; one request per connection."""
    expected = f"Bearer {settings.metrics_token}".encode()

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=10)
            request_line, *header_lines = head.decode("latin-1").split("\r\n")
            parts = request_line.split(" ")
            headers = {
                name.strip().lower(): value.strip()
                for name, _, value in (line.partition(":") for line in header_lines if line)
            }
            if len(parts) < 2 or parts[0] != "GET" or parts[1].split("?")[0] != "/metrics":
                status, body, kind = "404 Not Found", b"not found\n", "text/plain"
            elif settings.metrics_token and not hmac.compare_digest(
                headers.get("authorization", "").encode(), expected
            ):
                status, body, kind = "401 Unauthorized", b"unauthorized\n", "text/plain"
            else:
                status, body, kind = "200 OK", generate_latest(REGISTRY), CONTENT_TYPE_LATEST
            writer.write(
                f"HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {len(body)}\r\n"
                "Connection: close\r\n\r\n".encode()
                + body
            )
            await writer.drain()
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            pass
        finally:
            writer.close()

    return await asyncio.start_server(answer, host, port)


async def run_worker(settings: Settings, *, metrics_host: str = "127.0.0.1", metrics_port: int = 0) -> None:
    """Process jobs until SIGTERM or SIGINT; a job cut short by the stop is queued again. With a
    ``metrics_port``, its counters are served there for Prometheus."""
    configure_logging(settings)
    server = await serve_metrics(settings, metrics_host, metrics_port) if metrics_port else None
    try:
        await _run_worker(settings)
    finally:
        if server is not None:
            server.close()


async def _run_worker(settings: Settings) -> None:
    async with worker_resources(settings) as resources:
        worker = make_worker(resources, settings)
        log.info(
            "worker_started",
            queue=resources.runner.queue.name,
            jobs=sorted(worker.functions),
            cron=sorted(resources.runtime.schedules),
            concurrency=worker.concurrency,
        )
        await worker.start()  # SAQ stops on SIGTERM and SIGINT
        log.info("worker_stopped")
