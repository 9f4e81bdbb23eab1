"""The audit trail of the events domain: one entry for each change staff make (venues, events,
posters, the door) and for each reading of an attendee list, with who, where and what changed;
nothing for a refusal, nothing for a resident's own sign-up."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from PIL import Image

from backend.accounts.tables import Role, User
from backend.core.tables import AuditEntry
from tests import factories

Client = httpx.AsyncClient


@pytest.fixture
async def org(client: Client) -> dict[str, Any]:
    tree = await factories.city_tree()
    venue = await factories.venue(tree["community_a"], tree["community_a"])
    organiser = await factories.staff(Role.organiser, tree["street_a"])
    await AuditEntry.delete(force=True)  # what the factories did is not what these tests look at
    return {"tree": tree, "venue": venue, "organiser": organiser, "auth": factories.token_for(organiser)}


async def entries(action: str | None = None) -> list[dict[str, Any]]:
    """The events domain's entries (making staff accounts in a test leaves accounts' own)."""
    query = AuditEntry.select().where(AuditEntry.action.like("events.%")).output(load_json=True).order_by(AuditEntry.at)
    if action is not None:
        query = query.where(AuditEntry.action == action)
    return await query


def assert_by(entry: dict[str, Any], org: dict[str, Any], *, action: str, object_type: str) -> None:
    assert entry["action"] == action
    assert entry["object_type"] == object_type
    assert entry["actor"] == org["organiser"].id and entry["actor_kind"] == "staff"
    assert entry["organisation"] == org["tree"]["street_a"].id
    assert entry["permission"] == "manage_events"
    assert entry["address"] and entry["request_id"]


async def create(client: Client, org: dict[str, Any], **overrides: Any) -> list[dict[str, Any]]:
    body = factories.event_body(org["tree"]["street_a"], org["venue"], **overrides)
    response = await client.post("/api/v1/events", json=body, headers=org["auth"])
    assert response.status_code == 201, response.text
    return response.json()["events"]


async def published(client: Client, org: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    [event] = await create(client, org, **overrides)
    assert (await client.post(f"/api/v1/events/{event['id']}/publish", headers=org["auth"])).status_code == 200
    await AuditEntry.delete(force=True)
    return event


def png() -> bytes:
    buffer = io.BytesIO()
    Image.effect_noise((400, 300), 50).convert("RGB").save(buffer, format="PNG")
    return buffer.getvalue()


# --- venues and events ------------------------------------------------------------------------------


async def test_a_new_venue_is_one_entry(client: Client, org: dict[str, Any]) -> None:
    response = await client.post(
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
    assert response.status_code == 201, response.text
    [entry] = await entries()
    assert_by(entry, org, action="events.venue_created", object_type="venue")
    assert entry["object_id"] == response.json()["id"]
    assert entry["changes"]["name"] == [None, {"zh-Hans": "双塔礼堂"}]
    assert entry["changes"]["shared"] == [None, True]


async def test_each_occurrence_of_a_new_series_is_its_own_entry(client: Client, org: dict[str, Any]) -> None:
    made = await create(client, org, recurrence={"freq": "weekly", "count": 3}, contact_phone="13812345678")
    found = await entries("events.event_created")
    assert [e["object_id"] for e in found] == [e["id"] for e in made]
    for entry in found:
        assert_by(entry, org, action="events.event_created", object_type="event")
        assert entry["changes"]["status"] == [None, "draft"]
        assert entry["changes"]["capacity"] == [None, 20]
        assert entry["changes"]["contact_phone"] == [None, "138****5678"]  # a phone only masked
    assert len({e["changes"]["starts_at"][1] for e in found}) == 3


async def test_an_edit_records_before_and_after_of_what_changed(client: Client, org: dict[str, Any]) -> None:
    event = await published(client, org)
    response = await client.patch(
        f"/api/v1/events/{event['id']}",
        json={"capacity": 30, "title": {"zh-Hans": "评弹专场"}},
        headers=org["auth"],
    )
    assert response.status_code == 200, response.text
    [entry] = await entries()
    assert_by(entry, org, action="events.event_changed", object_type="event")
    assert entry["object_id"] == event["id"]
    assert entry["changes"]["capacity"] == [20, 30]
    assert entry["changes"]["title"][1] == {"zh-Hans": "评弹专场"}
    assert set(entry["changes"]) == {"capacity", "title"}  # what did not change is not listed


async def test_publishing_cancelling_and_completing_are_entries(client: Client, org: dict[str, Any]) -> None:
    [draft] = await create(client, org)
    await AuditEntry.delete(force=True)
    await client.post(f"/api/v1/events/{draft['id']}/publish", headers=org["auth"])
    resident = await factories.resident()
    signed = await client.post(
        f"/api/v1/events/{draft['id']}/registrations", json={}, headers=factories.token_for(resident)
    )
    assert signed.status_code == 201
    await client.post(f"/api/v1/events/{draft['id']}/cancel", headers=org["auth"])
    published_entry, cancelled_entry = await entries()  # the resident's own sign-up is not audited
    assert_by(published_entry, org, action="events.event_published", object_type="event")
    assert published_entry["changes"] == {"status": ["draft", "published"]}
    assert_by(cancelled_entry, org, action="events.event_cancelled", object_type="event")
    assert cancelled_entry["changes"] == {
        "status": ["published", "cancelled"],
        "registrations_released": [None, 1],
    }

    started = await published(client, org)
    from backend.events.catalogue.tables import Event

    await Event.update({Event.starts_at: datetime.now(UTC) - timedelta(minutes=5)}).where(
        Event.id == uuid.UUID(started["id"])
    )
    assert (await client.post(f"/api/v1/events/{started['id']}/complete", headers=org["auth"])).status_code == 200
    [completed] = await entries()
    assert_by(completed, org, action="events.event_completed", object_type="event")
    assert completed["changes"] == {"status": ["published", "completed"]}


async def test_a_poster_uploaded_then_removed_is_two_entries(client: Client, org: dict[str, Any]) -> None:
    event = await published(client, org)
    uploaded = await client.post(
        f"/api/v1/events/{event['id']}/poster", files={"file": ("p.png", png(), "image/png")}, headers=org["auth"]
    )
    assert uploaded.status_code == 200, uploaded.text
    removed = await client.delete(f"/api/v1/events/{event['id']}/poster", headers=org["auth"])
    assert removed.status_code == 204
    first, second = await entries()
    assert_by(first, org, action="events.poster_uploaded", object_type="event")
    assert first["changes"]["poster"] == [[], sorted(uploaded.json()["poster_urls"].values())]
    assert_by(second, org, action="events.poster_removed", object_type="event")
    assert second["changes"]["poster"] == [sorted(uploaded.json()["poster_urls"].values()), []]
    again = await client.delete(f"/api/v1/events/{event['id']}/poster", headers=org["auth"])
    assert again.status_code == 204 and len(await entries()) == 2  # nothing removed, nothing recorded


# --- the door and the list --------------------------------------------------------------------------


async def test_a_check_in_is_one_entry_and_a_second_scan_none(client: Client, org: dict[str, Any]) -> None:
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=20)
    event = await published(client, org, starts_at=start.isoformat(), ends_at=(start + timedelta(hours=1)).isoformat())
    resident = await factories.resident()
    place = await client.post(
        f"/api/v1/events/{event['id']}/registrations", json={"party_size": 2}, headers=factories.token_for(resident)
    )
    ticket = await client.get(
        f"/api/v1/registrations/{place.json()['id']}/ticket", headers=factories.token_for(resident)
    )
    for _ in range(2):
        scanned = await client.post(
            f"/api/v1/events/{event['id']}/check-ins", json={"ticket": ticket.json()["ticket"]}, headers=org["auth"]
        )
        assert scanned.status_code == 200, scanned.text
    [entry] = await entries()
    assert_by(entry, org, action="events.ticket_checked_in", object_type="registration")
    assert entry["object_id"] == place.json()["id"]
    assert entry["changes"]["status"] == ["confirmed", "attended"]
    assert entry["changes"]["party_size"] == [None, 2]


async def test_reading_the_attendee_list_is_a_sensitive_read(client: Client, org: dict[str, Any]) -> None:
    event = await published(client, org)
    resident = await factories.resident("李小梅")
    await client.post(f"/api/v1/events/{event['id']}/registrations", json={}, headers=factories.token_for(resident))
    for form in ("json", "csv"):
        response = await client.get(
            f"/api/v1/events/{event['id']}/registrations", params={"format": form}, headers=org["auth"]
        )
        assert response.status_code == 200
    as_json, as_csv = await entries("events.attendees_read")
    for entry, form in ((as_json, "json"), (as_csv, "csv")):
        assert_by(entry, org, action="events.attendees_read", object_type="event")
        assert entry["object_id"] == event["id"]
        assert entry["changes"] == {"format": [None, form], "rows": [None, 1]}
    assert "李小梅" not in str(await entries())


async def test_refusals_write_nothing(client: Client, org: dict[str, Any]) -> None:
    event = await published(client, org)
    outsider = factories.token_for(await factories.staff(Role.organiser, org["tree"]["street_b"]))
    resident = factories.token_for(await factories.resident())
    for headers in (outsider, resident):
        assert (
            await client.patch(f"/api/v1/events/{event['id']}", json={"capacity": 5}, headers=headers)
        ).status_code == 404
        assert (await client.post(f"/api/v1/events/{event['id']}/cancel", headers=headers)).status_code == 404
        assert (await client.get(f"/api/v1/events/{event['id']}/registrations", headers=headers)).status_code == 404
    # Refused by a rule checked inside the transaction: the entry goes with the rolled-back change.
    too_small = await client.patch(f"/api/v1/events/{event['id']}", json={"capacity": 2}, headers=org["auth"])
    assert (too_small.status_code, too_small.json()["code"]) == (422, "party_larger_than_capacity")
    assert await entries() == []


async def test_the_system_is_the_actor_of_work_without_a_request(client: Client, org: dict[str, Any]) -> None:
    """Services called outside a request (the demo seeder, the CLI) are recorded as the system's."""
    await factories.published_event(org["tree"]["street_a"], org["venue"])
    found = await entries()
    assert [e["action"] for e in found] == ["events.event_created", "events.event_published"]
    assert {(e["actor"], e["actor_kind"]) for e in found} == {(None, "system")}
    assert await User.exists().where(User.id == org["organiser"].id)
