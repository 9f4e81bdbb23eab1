"""Operations: liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, get
from litestar.plugins.prometheus import PrometheusController

from backend.core.db import engine_ready
from backend.core.errors import problem_response
from backend.core.i18n import N_
from backend.core.openapi import problems
from backend.core.stores import redis_ready


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
        summary="The database and Redis (when configured) answer",
        responses=problems(503),
        cache=False,
    )
    async def ready(self, request: Request[Any, Any, Any]) -> Response[Any]:
        state = request.app.state
        database = await engine_ready(state.engine)
        redis = await redis_ready(state.stores.redis) if state.stores.shared else None
        if database and redis is not False:
            return Response(Readiness(status="ready", database=database, redis=redis))
        return problem_response(
            request,
            status=503,
            code="not_ready",
            message=N_("The service is temporarily unavailable."),
            params={"database": database, "redis": redis},
            headers={"Retry-After": "5"},
        )


class MetricsController(PrometheusController):
    path = "/metrics"
    include_in_schema = False
