"""Publishing over HTTP: venues, drafts, publishing, edits, series, cancellation, scope."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from backend.accounts.tables import Role
from backend.core import signals
from backend.events.api import EventCancelled
from backend.events.catalogue.tables import Event
from backend.events.registrations.tables import Registration
from tests import factories

Client = httpx.AsyncClient


@pytest.fixture
async def org(client: Client) -> dict[str, Any]:
    tree = await factories.city_tree()
    venue = await factories.venue(tree["community_a"], tree["community_a"])
    organiser = await factories.staff(Role.organiser, tree["street_a"])
    outsider = await factories.staff(Role.organiser, tree["street_b"])
    return {
        "tree": tree,
        "venue": venue,
        "organiser": organiser,
        "outsider": outsider,
        "auth": factories.token_for(organiser),
    }


def body(org: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    return factories.event_body(org["tree"]["street_a"], org["venue"], **overrides)


async def create(client: Client, org: dict[str, Any], **overrides: Any) -> list[dict[str, Any]]:
    response = await client.post("/api/v1/events", json=body(org, **overrides), headers=org["auth"])
    assert response.status_code == 201, response.text
    return response.json()["events"]


async def publish(client: Client, org: dict[str, Any], event_id: str, scope: str = "this") -> httpx.Response:
    return await client.post(f"/api/v1/events/{event_id}/publish", params={"scope": scope}, headers=org["auth"])


@pytest.fixture
def cancelled_signals(listen: Any) -> list[signals.SignalMessage]:
    return listen(EventCancelled)


# --- creating ------------------------------------------------------------------------------------


async def test_a_draft_is_for_its_organisers_until_published(client: Client, org: dict[str, Any]) -> None:
    event = (await create(client, org))[0]
    assert event["status"] == "draft"
    resident = factories.token_for(await factories.resident())
    assert (await client.get(f"/api/v1/events/{event['id']}", headers=resident)).status_code == 404
    assert (await client.get(f"/api/v1/events/{event['id']}")).status_code == 404
    assert (await client.get(f"/api/v1/events/{event['id']}", headers=org["auth"])).status_code == 200
    assert (await client.get("/api/v1/events")).json()["items"] == []
    mine = await client.get("/api/v1/events", params={"mine": "true"}, headers=org["auth"])
    assert [item["id"] for item in mine.json()["items"]] == [event["id"]]

    published = await publish(client, org, event["id"])
    assert published.json()[0]["status"] == "published"
    assert [i["id"] for i in (await client.get("/api/v1/events")).json()["items"]] == [event["id"]]
    again = await publish(client, org, event["id"])
    assert (again.status_code, again.json()["code"]) == (409, "event_not_draft")


async def test_the_response_says_which_language_was_served(client: Client, org: dict[str, Any]) -> None:
    event = (await create(client, org, title={"en": "Tea Culture Evening"}, summary={}))[0]
    await publish(client, org, event["id"])
    shown = (await client.get(f"/api/v1/events/{event['id']}", headers={"Accept-Language": "zh-CN"})).json()
    assert (shown["title"], shown["locale"]) == ("Tea Culture Evening", "en")  # "original in English"


async def test_only_organisers_in_scope_create(client: Client, org: dict[str, Any]) -> None:
    outsider = await client.post("/api/v1/events", json=body(org), headers=factories.token_for(org["outsider"]))
    assert (outsider.status_code, outsider.json()["code"]) == (403, "forbidden")
    resident = await client.post(
        "/api/v1/events", json=body(org), headers=factories.token_for(await factories.resident())
    )
    assert resident.status_code == 403
    coordinator = await factories.staff(Role.coordinator, org["tree"]["street_a"])
    assert (
        await client.post("/api/v1/events", json=body(org), headers=factories.token_for(coordinator))
    ).status_code == 403
    admin = await factories.staff(Role.admin, org["tree"]["city"])
    assert (await client.post("/api/v1/events", json=body(org), headers=factories.token_for(admin))).status_code == 201
    assert (await client.post("/api/v1/events", json=body(org))).status_code == 401


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"ends_at": "2020-01-01T00:00:00+08:00"}, 422, "ends_before_start"),
        ({"starts_at": "2020-01-01T10:00:00+08:00", "ends_at": "2020-01-01T12:00:00+08:00"}, 422, "event_in_past"),
        ({"capacity": 2, "max_party_size": 3}, 422, "party_larger_than_capacity"),
        ({"title": {"zh-Hans": "   "}}, 422, "title_required"),
        ({"title": {"fr": "Soirée"}}, 422, "validation_failed"),
        ({"category": "karaoke"}, 422, "validation_failed"),
        ({"capacity": -5}, 422, "validation_failed"),
        ({"capacity": 10**9}, 422, "validation_failed"),
        ({"starts_at": "2026-12-01T10:00:00"}, 422, "validation_failed"),  # no time zone
        ({"venue_id": str(uuid.uuid4())}, 404, "venue_not_found"),
        ({"audiences": ["everyone"]}, 422, "validation_failed"),
        ({"title": {"zh-Hans": "x" * 121}}, 422, "validation_failed"),
        ({"recurrence": {"freq": "weekly"}}, 422, "recurrence_unbounded"),
        ({"recurrence": {"freq": "hourly", "count": 3}}, 422, "validation_failed"),
    ],
)
async def test_bad_events_are_refused(
    client: Client, org: dict[str, Any], change: dict, status: int, code: str
) -> None:
    response = await client.post("/api/v1/events", json=body(org, **change), headers=org["auth"])
    assert (response.status_code, response.json()["code"]) == (status, code), response.text
    assert await Event.count() == 0


# --- editing -------------------------------------------------------------------------------------------


async def test_another_organisation_cannot_touch_an_event(client: Client, org: dict[str, Any]) -> None:
    event = (await create(client, org))[0]
    await publish(client, org, event["id"])
    outsider = factories.token_for(org["outsider"])
    for method, path, payload in [
        ("PATCH", f"/api/v1/events/{event['id']}", {"capacity": 1}),
        ("POST", f"/api/v1/events/{event['id']}/cancel", None),
        ("POST", f"/api/v1/events/{event['id']}/publish", None),
    ]:
        response = await client.request(method, path, json=payload, headers=outsider)
        assert (response.status_code, response.json()["code"]) == (404, "event_not_found"), (method, path)
    unchanged = await Event.select(Event.capacity, Event.status).where(Event.id == uuid.UUID(event["id"])).first()
    assert unchanged == {"capacity": 20, "status": "published"}


async def test_edits_apply_and_capacity_guards_confirmed_seats(client: Client, org: dict[str, Any]) -> None:
    event = (await create(client, org, capacity=2, max_party_size=1))[0]
    await publish(client, org, event["id"])
    residents = [await factories.resident() for _ in range(3)]
    for user in residents:
        await client.post(f"/api/v1/events/{event['id']}/registrations", json={}, headers=factories.token_for(user))
    shrink = await client.patch(f"/api/v1/events/{event['id']}", json={"capacity": 1}, headers=org["auth"])
    assert (shrink.status_code, shrink.json()["code"]) == (409, "capacity_below_confirmed")
    grow = await client.patch(
        f"/api/v1/events/{event['id']}", json={"capacity": 3, "title": {"zh-Hans": "评弹专场"}}, headers=org["auth"]
    )
    assert grow.status_code == 200, grow.text
    assert grow.json()[0]["title"] == "评弹专场"
    # The bigger room let the third resident in.
    assert grow.json()[0]["seats_left"] == 0
    assert await Registration.count().where(Registration.status == "confirmed") == 3


async def test_a_series_edit_of_this_and_following_leaves_earlier_ones_alone(
    client: Client, org: dict[str, Any]
) -> None:
    occurrences = await create(client, org, recurrence={"freq": "weekly", "count": 4})
    assert len(occurrences) == 4
    assert len({o["series_id"] for o in occurrences}) == 1
    third = occurrences[2]
    new_start = datetime.fromisoformat(third["starts_at"]) + timedelta(hours=1)
    response = await client.patch(
        f"/api/v1/events/{third['id']}",
        params={"scope": "following"},
        json={
            "title": {"zh-Hans": "评弹(新时间)"},
            "starts_at": new_start.isoformat(),
            "ends_at": (datetime.fromisoformat(third["ends_at"]) + timedelta(hours=1)).isoformat(),
        },
        headers=org["auth"],
    )
    assert response.status_code == 200, response.text
    assert [e["id"] for e in response.json()] == [occurrences[2]["id"], occurrences[3]["id"]]
    after = {
        e["id"]: e
        for e in (await client.get("/api/v1/events", params={"mine": "true"}, headers=org["auth"])).json()["items"]
    }
    for index, original in enumerate(occurrences):
        now = after[original["id"]]
        moved = index >= 2
        assert (now["title"] == "评弹(新时间)") is moved
        shift = datetime.fromisoformat(now["starts_at"]) - datetime.fromisoformat(original["starts_at"])
        assert shift == (timedelta(hours=1) if moved else timedelta(0))


async def test_publish_and_cancel_this_and_following(
    client: Client, org: dict[str, Any], cancelled_signals: list
) -> None:
    occurrences = await create(client, org, recurrence={"freq": "daily", "count": 3})
    published = await publish(client, org, occurrences[1]["id"], scope="following")
    assert [e["id"] for e in published.json()] == [occurrences[1]["id"], occurrences[2]["id"]]
    listed = [i["id"] for i in (await client.get("/api/v1/events")).json()["items"]]
    assert listed == [occurrences[1]["id"], occurrences[2]["id"]]
    cancelled = await client.post(
        f"/api/v1/events/{occurrences[2]['id']}/cancel", params={"scope": "following"}, headers=org["auth"]
    )
    assert [e["status"] for e in cancelled.json()] == ["cancelled"]
    assert [i["id"] for i in (await client.get("/api/v1/events")).json()["items"]] == [occurrences[1]["id"]]


# --- cancelling --------------------------------------------------------------------------------------------


async def test_cancelling_cancels_every_registration_and_says_so_once(
    client: Client, org: dict[str, Any], cancelled_signals: list
) -> None:
    event = (await create(client, org, capacity=1, max_party_size=1))[0]
    await publish(client, org, event["id"])
    residents = [await factories.resident() for _ in range(3)]
    for user in residents:
        await client.post(f"/api/v1/events/{event['id']}/registrations", json={}, headers=factories.token_for(user))
    response = await client.post(f"/api/v1/events/{event['id']}/cancel", headers=org["auth"])
    assert response.status_code == 200, response.text
    assert response.json()[0]["status"] == "cancelled"
    assert await Registration.count().where(Registration.status != "cancelled") == 0
    assert len(cancelled_signals) == 1
    assert {str(r.user_id) for r in cancelled_signals[0].payload.registrations} == {str(u.id) for u in residents}
    again = await client.post(f"/api/v1/events/{event['id']}/cancel", headers=org["auth"])
    assert (again.status_code, again.json()["code"]) == (409, "event_closed")
    assert len(cancelled_signals) == 1
    mine = await client.get("/api/v1/me/registrations", headers=factories.token_for(residents[0]))
    assert mine.json()[0]["status"] == "cancelled"
    assert mine.json()[0]["event"]["status"] == "cancelled"


async def test_completing_needs_a_started_event(client: Client, org: dict[str, Any]) -> None:
    event = (await create(client, org))[0]
    await publish(client, org, event["id"])
    early = await client.post(f"/api/v1/events/{event['id']}/complete", headers=org["auth"])
    assert early.json()["code"] == "event_not_completable"
    await Event.update({Event.starts_at: datetime.now(UTC) - timedelta(hours=1)}).where(
        Event.id == uuid.UUID(event["id"])
    )
    done = await client.post(f"/api/v1/events/{event['id']}/complete", headers=org["auth"])
    assert done.json()["status"] == "completed"


# --- venues and categories ------------------------------------------------------------------------------


async def test_venues_are_created_in_scope_and_listed(client: Client, org: dict[str, Any]) -> None:
    tree = org["tree"]
    payload = {
        "organisation_id": str(tree["street_a"].id),
        "community_id": str(tree["community_a"].id),
        "name": {"zh-Hans": "双塔市集", "en": "Shuangta Market"},
        "latitude": 31.2971,
        "longitude": 120.6330,
        "accessibility_notes": {"zh-Hans": "无台阶入口"},
    }
    created = await client.post("/api/v1/venues", json=payload, headers={**org["auth"], "Accept-Language": "en"})
    assert created.status_code == 201, created.text
    assert created.json()["name"] == "Shuangta Market"
    outsider = await client.post("/api/v1/venues", json=payload, headers=factories.token_for(org["outsider"]))
    assert outsider.status_code == 403
    wrong_community = await client.post(
        "/api/v1/venues", json={**payload, "community_id": str(tree["street_a"].id)}, headers=org["auth"]
    )
    assert wrong_community.json()["code"] == "community_invalid"
    off_earth = await client.post("/api/v1/venues", json={**payload, "latitude": 91}, headers=org["auth"])
    assert off_earth.status_code == 422
    listed = await client.get("/api/v1/venues", params={"community_id": str(tree["community_a"].id)})
    assert len(listed.json()) == 2


async def test_categories_are_named_in_the_callers_language(client: Client) -> None:
    zh = {c["code"]: c["name"] for c in (await client.get("/api/v1/categories")).json()}
    en = {
        c["code"]: c["name"] for c in (await client.get("/api/v1/categories", headers={"Accept-Language": "en"})).json()
    }
    assert len(zh) == len(en) == 11
    assert en["intangible_heritage"] == "Intangible heritage"
    assert zh["intangible_heritage"] != en["intangible_heritage"]
