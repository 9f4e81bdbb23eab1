"""Two conventions every answer of events keeps: times are UTC written with Z (what people read
is formatted text, in Suzhou time), and a person's name and phone reach staff only masked (the
need-to-know table of docs/ARCHITECTURE.md)."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from backend.accounts import services as account_services
from backend.accounts.tables import Role
from backend.core.tables import AuditEntry
from backend.events.catalogue.tables import Event
from tests import factories

Client = httpx.AsyncClient
# An ISO date-time in a JSON answer: "2026-12-05T06:00:00Z", "…+08:00", "…123456Z".
MOMENT = re.compile(r'"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(Z|[+-]\d{2}:\d{2})?)"')
NAME, PHONE = "欧阳娜娜", "13912345678"


@pytest.fixture
async def scene(client: Client) -> dict[str, Any]:
    tree = await factories.city_tree()
    venue = await factories.venue(tree["community_a"], tree["community_a"])
    organiser = await factories.staff(Role.organiser, tree["street_a"])
    resident = await factories.resident()
    await account_services.update_me(user_id=resident.id, changes={"display_name": NAME, "phone": PHONE})
    return {
        "tree": tree,
        "venue": venue,
        "auth": factories.token_for(organiser),
        "admin": factories.token_for(await factories.staff(Role.admin, tree["city"])),
        "resident": factories.token_for(resident),
    }


def moments(answer: httpx.Response) -> list[tuple[str, str]]:
    return MOMENT.findall(answer.text)


async def test_every_time_in_an_events_answer_is_utc_with_z(client: Client, scene: dict[str, Any]) -> None:
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=40)
    body = factories.event_body(  # every time sent in Suzhou time, with +08:00
        scene["tree"]["street_a"],
        scene["venue"],
        starts_at=_in_suzhou(start),
        ends_at=_in_suzhou(start + timedelta(hours=2)),
        registration_opens_at=_in_suzhou(start - timedelta(days=2)),
    )
    created = await client.post("/api/v1/events", json=body, headers=scene["auth"])
    assert created.status_code == 201, created.text
    event_id = created.json()["events"][0]["id"]
    answers = [created]
    answers.append(await client.patch(f"/api/v1/events/{event_id}", json={"capacity": 30}, headers=scene["auth"]))
    answers.append(await client.post(f"/api/v1/events/{event_id}/publish", headers=scene["auth"]))
    answers.append(await client.get("/api/v1/events"))
    answers.append(await client.get(f"/api/v1/events/{event_id}"))
    signed = await client.post(f"/api/v1/events/{event_id}/registrations", json={}, headers=scene["resident"])
    answers += [signed, await client.get("/api/v1/me/registrations", headers=scene["resident"])]
    ticket = await client.get(f"/api/v1/registrations/{signed.json()['id']}/ticket", headers=scene["resident"])
    answers.append(ticket)
    answers.append(
        await client.post(
            f"/api/v1/events/{event_id}/check-ins", json={"ticket": ticket.json()["ticket"]}, headers=scene["auth"]
        )
    )
    answers.append(await client.get(f"/api/v1/events/{event_id}/registrations", headers=scene["auth"]))
    # errors that carry a time
    later = await factories.published_event(scene["tree"]["street_a"], scene["venue"])
    await Event.update({Event.registration_opens_at: datetime.now(UTC) + timedelta(days=1)}).where(Event.id == later.id)
    await client.patch(f"/api/v1/events/{later.id}", json={}, headers=scene["auth"])  # the cached read goes
    not_open = await client.post(f"/api/v1/events/{later.id}/registrations", json={}, headers=scene["resident"])
    assert not_open.json()["code"] == "registration_not_open"
    answers.append(not_open)
    for answer in answers:
        assert answer.status_code < 500, answer.text
        found = moments(answer)
        assert found, answer.request.url
        assert all(offset == "Z" for _, offset in found), (answer.request.url, found)


def _in_suzhou(moment: datetime) -> str:
    return (moment + timedelta(hours=8)).replace(tzinfo=None).isoformat() + "+08:00"


async def test_staff_see_a_resident_only_masked(client: Client, scene: dict[str, Any]) -> None:
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=30)
    event = await factories.published_event(
        scene["tree"]["street_a"],
        scene["venue"],
        starts_at=start.isoformat(),
        ends_at=(start + timedelta(hours=2)).isoformat(),
    )
    signed = await client.post(f"/api/v1/events/{event.id}/registrations", json={}, headers=scene["resident"])
    ticket = await client.get(f"/api/v1/registrations/{signed.json()['id']}/ticket", headers=scene["resident"])
    for staff in (scene["auth"], scene["admin"]):  # the organiser, and an administrator above them
        listed = await client.get(f"/api/v1/events/{event.id}/registrations", headers=staff)
        [item] = listed.json()["items"]
        assert (item["name"], item["phone"]) == ("欧**娜", "139****5678")
        sheet = await client.get(f"/api/v1/events/{event.id}/registrations", params={"format": "csv"}, headers=staff)
        rows = list(csv.reader(io.StringIO(sheet.content.decode("utf-8-sig"))))
        assert rows[1][:2] == ["欧**娜", "139****5678"]
        for answer in (listed, sheet, await client.get(f"/api/v1/events/{event.id}", headers=staff)):
            assert NAME not in answer.text and PHONE not in answer.text
    scanned = await client.post(
        f"/api/v1/events/{event.id}/check-ins", json={"ticket": ticket.json()["ticket"]}, headers=scene["auth"]
    )
    assert scanned.json()["name"] == "欧**娜" and NAME not in scanned.text
    # What the trail keeps of all this holds no name or phone either.
    trail = str(await AuditEntry.select())
    assert NAME not in trail and PHONE not in trail
    # The resident sees their own place, and nobody else's name.
    mine = await client.get(f"/api/v1/registrations/{signed.json()['id']}", headers=scene["resident"])
    assert mine.status_code == 200 and "name" not in mine.json()
