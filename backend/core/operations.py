"""Operations: liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import hmac
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.plugins.prometheus import PrometheusController

from backend.core.db import engine_ready
from backend.core.errors import DomainError, NotFound, problem_response
from backend.core.i18n import N_
from backend.core.openapi import problems
from backend.core.stores import redis_ready
from backend.settings import Settings


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


def requires_metrics_token(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
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
