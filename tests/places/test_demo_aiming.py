"""The demo's aimed events: the 南园 alliance's fellowship event (联谊活动) with seats per member
estate (the resettlement estate has its share) and a meeting for one grid, read back over HTTP;
seeding again makes neither twice."""

from __future__ import annotations

from typing import Any

import httpx

from backend.core.domain import DemoWorld
from backend.domains import DOMAINS
from backend.events.catalogue.tables import Event
from backend.settings import Settings

Client = httpx.AsyncClient
V1 = "/api/v1"


async def seed(settings: Settings) -> DemoWorld:
    world = DemoWorld(keys=settings.sealing_keys)
    for domain in DOMAINS:
        if domain.name in ("accounts", "places", "events"):
            assert domain.seed_demo is not None
            await domain.seed_demo(world)
    return world


async def test_the_fellowship_event_keeps_seats_for_each_estate(client: Client, settings: Settings) -> None:
    world = await seed(settings)
    places: dict[str, Any] = world.made["places"]
    listed = await client.get(f"{V1}/events", params={"alliance": str(places["alliance"]), "lang": "en"})
    items = listed.json()["items"]
    assert [item["title"] for item in items] == ["Nanyuan Estate Alliance Neighbours' Get-together"]
    fellowship = items[0]
    assert fellowship["fellowship"] is True and fellowship["audience"]["kind"] == "alliance"
    event = (await client.get(f"{V1}/events/{fellowship['id']}", params={"lang": "zh-Hans"})).json()
    seats = {row["name"]: row["seats"] for row in event["seats_by_estate"]}
    assert seats["南园安置小区"] == 15 and sum(seats.values()) <= event["capacity"]
    everything = (await client.get(f"{V1}/events", params={"limit": 50})).json()["items"]
    grid_meetings = [item for item in everything if item["audience"]["kind"] == "grid"]
    assert [item["audience"]["grid"]["name"] for item in grid_meetings] == ["南园第一网格"]

    before = await Event.count()
    await seed(settings)
    assert await Event.count() == before
