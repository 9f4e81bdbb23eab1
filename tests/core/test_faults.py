"""When Redis goes away, residents can still browse and sign up: PostgreSQL (or SQLite) stays the
source of truth, and shared state degrades to per-process state instead of failing."""

from __future__ import annotations

from pathlib import Path

from redis.asyncio import Redis

from backend.accounts.tables import Role
from backend.events.registrations.tables import Registration
from backend.settings import Settings
from tests import factories
from tests.conftest import build_app, serve_in_process
from tests.servers import start_redis


async def test_redis_stopping_loses_no_sign_up_and_no_read(settings: Settings, tmp_path: Path, client: object) -> None:
    tree = await factories.city_tree()
    venue = await factories.venue(tree["community_a"], tree["community_a"])
    event = await factories.published_event(tree["street_a"], venue, capacity=5, max_party_size=1)
    residents = [await factories.resident() for _ in range(3)]
    await factories.staff(Role.organiser, tree["street_a"])
    server = start_redis(tmp_path)
    redis = Redis.from_url(server.url, socket_timeout=2, socket_connect_timeout=2)
    app = build_app(settings, redis)
    try:
        async with serve_in_process(app) as api:
            assert (await api.get("/api/v1/events")).status_code == 200  # cached in Redis now
            first = await api.post(
                f"/api/v1/events/{event.id}/registrations", json={}, headers=factories.token_for(residents[0])
            )
            assert first.status_code == 201
            server.stop()
            listed = await api.get("/api/v1/events")
            assert listed.status_code == 200
            assert listed.json()["items"][0]["seats_left"] == 4
            for resident in residents[1:]:
                signed = await api.post(
                    f"/api/v1/events/{event.id}/registrations", json={}, headers=factories.token_for(resident)
                )
                assert signed.status_code == 201, signed.text
            assert (await api.get("/api/v1/events")).json()["items"][0]["seats_left"] == 2
            login = await api.post("/api/v1/auth/login", json={"username": "nobody", "password": "wrong"})
            assert login.status_code == 401  # rate limiting fell back to this process, not to a 500
            assert (await api.get("/ready")).json()["status"] == "degraded"  # still in rotation
    finally:
        server.stop()
        await redis.aclose()
    assert await Registration.count().where(Registration.event == event.id) == 3
