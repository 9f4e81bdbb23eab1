"""Liveness, readiness and metrics."""

from __future__ import annotations

from pathlib import Path

import httpx
from redis.asyncio import Redis

from backend.settings import Settings
from tests.conftest import build_app, serve_in_process
from tests.servers import start_redis

Client = httpx.AsyncClient


async def test_health_and_ready(client: Client, backend: str) -> None:
    assert (await client.get("/health")).json() == {"status": "ok"}
    ready = await client.get("/ready")
    assert ready.status_code == 200
    assert ready.json()["database"] is True
    assert ready.json()["redis"] is (True if backend == "postgres" else None)


async def test_ready_stays_ready_but_degraded_when_redis_goes_away(settings: Settings, tmp_path: Path) -> None:
    server = start_redis(tmp_path)
    redis = Redis.from_url(server.url)
    app = build_app(settings, redis)
    try:
        async with serve_in_process(app) as client:
            assert (await client.get("/ready")).json()["status"] == "ready"
            server.stop()
            response = await client.get("/ready", headers={"Accept-Language": "en"})
            # Still serving (from the database): a balancer keeps the instance in rotation.
            assert response.status_code == 200
            assert response.json() == {"status": "degraded", "database": True, "redis": False}
            assert (await client.get("/health")).status_code == 200
    finally:
        server.stop()
        await redis.aclose()


async def test_metrics_count_requests(client: Client) -> None:
    await client.get("/api/v1/locales")
    text = (await client.get("/metrics")).text
    assert "linli_requests_total" in text
    assert 'path="/api/v1/locales"' in text
