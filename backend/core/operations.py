"""Operations: liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import hmac
from typing import Any

import msgspec
import structlog
from litestar import Controller, Request, Response, get
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.plugins.prometheus import PrometheusController
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from redis.exceptions import RedisError
from saq.queue.redis import RedisQueue

from backend.core import clock, jobs, metrics
from backend.core.db import engine_ready
from backend.core.errors import DomainError, NotFound, problem_response
from backend.core.i18n import N_
from backend.core.job_queue import RedisRunner
from backend.core.openapi import problems
from backend.core.stores import redis_ready
from backend.core.tables import OutboxSignal
from backend.settings import Settings

log = structlog.get_logger("linli.operations")


class Health(msgspec.Struct):
    status: str


class Readiness(msgspec.Struct):
    status: str
    database: bool
    redis: bool | None


class OperationsController(Controller):
    tags = ["operations"]

    @get("/health", operation_id="health", summary="The process is alive", cache=False)
    async def health(self) -> Health:
        return Health(status="ok")

    @get(
        "/ready",
        operation_id="ready",
        summary="Ready to serve: the database answers (Redis away only degrades the service)",
        responses=problems(503),
        cache=False,
    )
    async def ready(self, request: Request[Any, Any, Any]) -> Response[Any]:
        """Without the database nothing works: 503. Without Redis every request still works (the
        cache misses, rate limits fall back to each process, signals wait in the outbox), so the
        instance stays in rotation and says it is degraded: a balancer that pulled every instance
        out because Redis blinked would turn a slower service into none."""
        state = request.app.state
        database = await engine_ready(state.engine)
        redis = await redis_ready(state.stores.redis) if state.stores.shared else None
        if database:
            status = "degraded" if redis is False else "ready"
            return Response(Readiness(status=status, database=database, redis=redis))
        return problem_response(
            request,
            status=503,
            code="not_ready",
            message=N_("The service is temporarily unavailable."),
            params={"database": database, "redis": redis},
            headers={"Retry-After": "5"},
        )


async def requires_metrics_token(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """/metrics tells about the whole service: with LINLI_METRICS_TOKEN set, only Prometheus
    sending it as a bearer token reads it; without one, production keeps it closed (404)."""
    settings: Settings = connection.app.state.settings
    if not settings.metrics_token:
        if settings.is_production:
            raise NotFound()
        return
    given = connection.headers.get("authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {settings.metrics_token}".encode()):
        raise DomainError(
            "not_authenticated", N_("Please log in first."), status=401, headers={"WWW-Authenticate": "Bearer"}
        )


class MetricsController(PrometheusController):
    path = "/metrics"
    include_in_schema = False
    guards = [requires_metrics_token]

    @get(cache=False)
    async def get(self, request: Request[Any, Any, Any]) -> Response[Any]:
        """The process's counters, with the shared gauges (job queue, outbox) read now."""
        await read_gauges(request.app.state.runtime.runner)
        return Response(generate_latest(REGISTRY), headers={"Content-Type": CONTENT_TYPE_LATEST})


async def read_gauges(runner: object) -> None:
    """The job queue's depth and the age of its oldest job due, and the outbox's backlog. A source
    that does not answer (Redis or the database away) leaves its gauges as they were: the scrape
    itself must still answer, it is how the operator sees the rest."""
    now = clock.now()
    if isinstance(runner, RedisRunner):
        try:
            depth = await queue_depth(runner.queue, now.timestamp())
        except (RedisError, OSError):
            log.warning("metrics_queue_unavailable")
        else:
            for state in ("queued", "active", "scheduled"):
                metrics.QUEUE_DEPTH.labels(state=state).set(depth[state])
            metrics.QUEUE_OLDEST.set(depth["oldest_seconds"])
    elif isinstance(runner, jobs.ProcessRunner):
        metrics.QUEUE_DEPTH.labels(state="active").set(runner.pending)
    waiting = OutboxSignal.delivered_at.is_null()
    try:
        backlog = await OutboxSignal.count().where(waiting)
        oldest = (
            await OutboxSignal.select(OutboxSignal.created_at).where(waiting).order_by(OutboxSignal.created_at).first()
        )
    except Exception:  # the database away: /ready says so; the scrape still answers
        log.warning("metrics_outbox_unavailable")
        return
    metrics.OUTBOX_BACKLOG.set(backlog)
    metrics.OUTBOX_OLDEST.set(max(0.0, (now - oldest["created_at"]).total_seconds()) if oldest else 0.0)


async def queue_depth(queue: RedisQueue, now: float) -> dict[str, float]:
    queued, active = await queue.count("queued"), await queue.count("active")
    incomplete = await queue.count("incomplete")
    oldest = 0.0
    # Either end of the list may be the next one out; the older of the two is the wait.
    for index in (0, -1):
        job_id = await queue.redis.lindex(queue.namespace("queued"), index)
        job = queue.deserialize(await queue.redis.get(job_id)) if job_id else None
        if job is not None:
            due = max(job.queued, job.scheduled * 1000) / 1000
            oldest = max(oldest, now - due)
    return {
        "queued": queued,
        "active": active,
        "scheduled": max(0, incomplete - queued - active),
        "oldest_seconds": oldest,
    }
