"""Venues and who may hold events there: a venue of the organiser's own organisation, of one above
it or of one they manage, or a shared venue; anything else is 422 ``venue_out_of_scope``."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from backend.accounts.tables import OrganisationKind, Role
from backend.events.catalogue.tables import Event, Venue
from tests import factories

Client = httpx.AsyncClient


@pytest.fixture
async def org(client: Client) -> dict[str, Any]:
    tree = await factories.city_tree()
    organiser = await factories.staff(Role.organiser, tree["street_a"])
    return {
        "tree": tree,
        "own": await factories.venue(tree["community_a"], tree["community_a"], name="南园社区活动中心"),
        "city": await factories.venue(tree["city"], None, name="苏州市民广场"),
        "other": await factories.venue(tree["street_b"], tree["community_b"], name="斜塘街道礼堂"),
        "auth": factories.token_for(organiser),
    }


async def create(client: Client, org: dict[str, Any], venue: Any) -> httpx.Response:
    body = factories.event_body(org["tree"]["street_a"], venue)
    return await client.post("/api/v1/events", json=body, headers={**org["auth"], "Accept-Language": "en"})


async def test_a_venue_says_whether_it_is_shared(client: Client, org: dict[str, Any]) -> None:
    made = await client.post(
        "/api/v1/venues",
        json={
            "organisation_id": str(org["tree"]["street_a"].id),
            "name": {"zh-Hans": "双塔礼堂"},
            "latitude": 31.29,
            "longitude": 120.63,
            "shared": True,
        },
        headers=org["auth"],
    )
    assert made.status_code == 201, made.text
    assert made.json()["shared"] is True
    listed = {v["name"]: v["shared"] for v in (await client.get("/api/v1/venues")).json()}
    assert listed == {"双塔礼堂": True, "南园社区活动中心": False, "苏州市民广场": False, "斜塘街道礼堂": False}


async def test_events_go_to_venues_in_scope(client: Client, org: dict[str, Any]) -> None:
    # a venue of a community the organiser's street is above, and one of the city above the street
    for venue in (org["own"], org["city"]):
        assert (await create(client, org, venue)).status_code == 201


async def test_another_organisations_venue_is_refused_unless_shared(client: Client, org: dict[str, Any]) -> None:
    refused = await create(client, org, org["other"])
    assert (refused.status_code, refused.json()["code"]) == (422, "venue_out_of_scope")
    assert "not shared" in refused.json()["detail"]
    assert await Event.count() == 0
    await Venue.update({Venue.shared: True}).where(Venue.id == org["other"].id)
    assert (await create(client, org, org["other"])).status_code == 201


async def test_an_event_cannot_move_to_a_venue_out_of_scope(client: Client, org: dict[str, Any]) -> None:
    [event] = (await create(client, org, org["own"])).json()["events"]
    moved = await client.patch(
        f"/api/v1/events/{event['id']}", json={"venue_id": str(org["other"].id)}, headers=org["auth"]
    )
    assert (moved.status_code, moved.json()["code"]) == (422, "venue_out_of_scope")
    assert (await Event.select(Event.venue).first())["venue"] == org["own"].id
    moved = await client.patch(
        f"/api/v1/events/{event['id']}", json={"venue_id": str(org["city"].id)}, headers=org["auth"]
    )
    assert moved.status_code == 200 and moved.json()[0]["venue"]["id"] == str(org["city"].id)


async def test_a_librarys_venues_are_shared(client: Client, org: dict[str, Any]) -> None:
    other_library = await factories.organisation(OrganisationKind.library, org["tree"]["street_b"], "莲花分馆")
    branch = await factories.venue(other_library, org["tree"]["community_b"], name="莲花分馆")
    assert branch.shared is True
    assert (await create(client, org, branch)).status_code == 201


async def test_a_city_admin_may_use_any_venue(client: Client, org: dict[str, Any]) -> None:
    admin = factories.token_for(await factories.staff(Role.admin, org["tree"]["city"]))
    body = factories.event_body(org["tree"]["street_a"], org["other"])
    assert (await client.post("/api/v1/events", json=body, headers=admin)).status_code == 201
