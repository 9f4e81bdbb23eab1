"""Answers at the edge that an outside probe found wrong: browser pre-flights with a query, and
times sent as numbers of seconds (the schemas accept them) within the same years as text."""

from __future__ import annotations

from typing import Any

import httpx
from redis.asyncio import Redis

from backend.settings import Settings
from tests.conftest import build_app, serve_in_process


async def test_a_preflight_with_a_query_is_answered(client: httpx.AsyncClient) -> None:
    for path in ("/api/v1/events?limit=5", "/api/v1/library-branches?at=2026-10-01T10:00:00", "/api/v1/me?lang=ja"):
        answer = await client.options(
            path, headers={"Origin": "https://example.org", "Access-Control-Request-Method": "GET"}
        )
        assert answer.status_code == 204, (path, answer.status_code, answer.text)
        assert "OPTIONS" in answer.headers["allow"]


async def test_a_time_in_seconds_within_the_years_is_taken(client: httpx.AsyncClient) -> None:
    answer = await client.get("/api/v1/events", params={"from": "1798761600"})  # 2027-01-01T00:00Z
    assert answer.status_code == 200, answer.text
    assert (await client.get("/api/v1/events", params={"from": "7289654400"})).status_code == 422  # 2201


async def test_every_answer_carries_the_security_headers(client: httpx.AsyncClient) -> None:
    for path in ("/health", "/api/v1/events", "/api/v1/nowhere", "/api/v1/me"):
        answer = await client.get(path)
        assert answer.headers.get("x-content-type-options") == "nosniff", (path, dict(answer.headers))
        assert answer.headers["x-frame-options"] == "DENY", path
        assert answer.headers["referrer-policy"] == "strict-origin-when-cross-origin", path
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"], path


async def test_private_answers_are_never_stored(client: httpx.AsyncClient) -> None:
    login = await client.post("/api/v1/auth/dev-login", json={"openid": "private-1"})
    assert login.headers["cache-control"] == "private, no-store"
    token = {"Authorization": f"Bearer {login.json()['access_token']}"}
    for path in ("/api/v1/me", "/api/v1/me/export", "/api/v1/me/registrations", "/api/v1/me/points"):
        answer = await client.get(path, headers=token)
        assert answer.status_code == 200, (path, answer.text)
        assert answer.headers["cache-control"] == "private, no-store", path
    public = await client.get("/api/v1/events")
    assert "no-store" not in public.headers.get("cache-control", "")


async def test_metrics_take_their_own_token_and_stay_closed_in_production(
    client: httpx.AsyncClient, settings: Settings, shared_redis: Redis | None
) -> None:
    assert (await client.get("/metrics")).status_code == 200  # development and tests: open
    guarded = build_app(settings, shared_redis, metrics_token="scrape-token-0123456789")
    async with serve_in_process(guarded) as api:
        assert (await api.get("/metrics")).status_code == 401
        assert (await api.get("/metrics", headers={"Authorization": "Bearer wrong"})).status_code == 401
        scraped = await api.get("/metrics", headers={"Authorization": "Bearer scrape-token-0123456789"})
        assert scraped.status_code == 200 and "linli_requests" in scraped.text
    production = build_app(settings, shared_redis, **PRODUCTION)
    async with serve_in_process(production) as api:
        assert (await api.get("/metrics")).status_code == 404
        assert (await api.get("/schema/openapi.json")).status_code == 404  # no document unless asked
    documented = build_app(settings, shared_redis, **PRODUCTION, api_docs=True)
    async with serve_in_process(documented) as api:
        assert (await api.get("/schema/openapi.json")).status_code == 200


PRODUCTION: dict[str, Any] = {
    "env": "production",
    "dev_login": False,
    "data_keys": "k1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
}
