"""Every change library staff make leaves exactly one audit entry: who, as what, where, what changed.
A refused change leaves none."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from backend.accounts.tables import OrganisationKind, Role
from backend.core import clock
from backend.core.tables import AuditEntry
from tests import factories

Client = httpx.AsyncClient
NINE_TO_FIVE = {str(d): [{"opens": "09:00", "closes": "17:00"}] for d in range(7)}
NINE_TO_FIVE_STORED = {str(d): [["09:00", "17:00"]] for d in range(7)}
V1 = "/api/v1/library-branches"


@pytest.fixture
async def lib(client: Client) -> dict[str, Any]:
    tree = await factories.city_tree()
    librarian = await factories.staff(Role.library_staff, tree["library_a"])
    venue = await factories.venue(tree["library_a"], tree["community_a"], name="双塔分馆")
    body = {
        "organisation_id": str(tree["library_a"].id),
        "venue_id": str(venue.id),
        "name": {"zh-Hans": "双塔分馆"},
        "services": ["lending", "e_reading"],
        "e_reading_seats": 20,
        "weekly_hours": NINE_TO_FIVE,
    }
    auth = factories.token_for(librarian)
    created = await client.post(V1, json=body, headers=auth)
    assert created.status_code == 201, created.text
    return {"tree": tree, "librarian": librarian, "auth": auth, "branch": created.json()}


async def entries(action: str) -> list[dict[str, Any]]:
    return await AuditEntry.select().where(AuditEntry.action == action).order_by(AuditEntry.at).output(load_json=True)


async def only_entry(action: str, lib: dict[str, Any]) -> dict[str, Any]:
    """The one entry of ``action``, made by the librarian as staff in the library's scope."""
    found = await entries(action)
    assert len(found) == 1, found
    [entry] = found
    assert (entry["actor"], entry["actor_kind"]) == (lib["librarian"].id, "staff")
    assert (entry["organisation"], entry["permission"]) == (lib["tree"]["library_a"].id, "manage_libraries")
    assert entry["request_id"] and entry["address"]
    return entry


def later(days: int) -> date:
    return clock.city_today() + timedelta(days=days)


async def test_creating_a_branch_is_recorded(client: Client, lib: dict[str, Any]) -> None:
    entry = await only_entry("libraries.branch_created", lib)
    assert (entry["object_type"], entry["object_id"]) == ("library_branch", lib["branch"]["id"])
    changes = entry["changes"]
    assert changes["name"] == [None, {"zh-Hans": "双塔分馆"}]
    assert changes["services"] == [None, ["lending", "e_reading"]]
    assert changes["e_reading_seats"] == [None, 20]
    assert "free_seats" not in changes  # nothing reported yet: nothing to show


async def test_changing_details_and_hours(client: Client, lib: dict[str, Any]) -> None:
    url = f"{V1}/{lib['branch']['id']}"
    await client.put(f"{url}/occupancy", json={"free_seats": 15}, headers=lib["auth"])
    changed = await client.patch(url, json={"e_reading_seats": 10, "contact_phone": "0512-1234"}, headers=lib["auth"])
    assert changed.status_code == 200, changed.text
    entry = await only_entry("libraries.branch_changed", lib)
    # Fewer seats than were free: the free count comes down with them, and the entry says so.
    assert entry["changes"] == {
        "contact_phone": ["", "0512-1234"],
        "e_reading_seats": [20, 10],
        "free_seats": [15, 10],
    }

    hours = {"0": [{"opens": "10:00", "closes": "18:00"}]}
    rules = {"monday_closed_unless_holiday": True}
    assert (
        await client.patch(url, json={"weekly_hours": hours, "holiday_rules": rules}, headers=lib["auth"])
    ).is_success
    entry = await only_entry("libraries.hours_changed", lib)
    assert entry["changes"]["weekly_hours"] == [NINE_TO_FIVE_STORED, {"0": [["10:00", "18:00"]]}]
    assert entry["changes"]["holiday_rules"][1]["monday_closed_unless_holiday"] is True
    assert len(await entries("libraries.branch_changed")) == 1  # hours alone: their own kind of entry


async def test_date_exceptions_set_replaced_and_removed(client: Client, lib: dict[str, Any]) -> None:
    url = f"{V1}/{lib['branch']['id']}/exceptions/{later(9).isoformat()}"
    assert (await client.put(url, json={"closed": True, "note": {"zh-Hans": "盘点"}}, headers=lib["auth"])).is_success
    entry = await only_entry("libraries.date_exception_set", lib)
    assert entry["object_type"] == "library_hours_exception"
    assert entry["changes"]["closed"] == [None, True]
    assert entry["changes"]["note"] == [None, {"zh-Hans": "盘点"}]

    special = {"intervals": [{"opens": "10:00", "closes": "12:00"}]}
    assert (await client.put(url, json=special, headers=lib["auth"])).is_success
    replaced = (await entries("libraries.date_exception_set"))[-1]
    assert len(await entries("libraries.date_exception_set")) == 2
    assert replaced["changes"]["closed"] == [True, False]
    assert replaced["changes"]["intervals"] == [[], [["10:00", "12:00"]]]

    assert (await client.delete(url, headers=lib["auth"])).status_code == 204
    removed = await only_entry("libraries.date_exception_removed", lib)
    assert removed["changes"]["intervals"] == [[["10:00", "12:00"]], None]
    # Removing what is no longer there changes nothing, and records nothing.
    assert (await client.delete(url, headers=lib["auth"])).status_code == 204
    assert len(await entries("libraries.date_exception_removed")) == 1


async def test_rooms_and_seat_reports(client: Client, lib: dict[str, Any]) -> None:
    url = f"{V1}/{lib['branch']['id']}"
    room = await client.post(f"{url}/rooms", json={"name": {"zh-Hans": "自习室"}, "seats": 12}, headers=lib["auth"])
    assert room.status_code == 201, room.text
    entry = await only_entry("libraries.room_added", lib)
    assert entry["object_type"] == "library_room"
    assert entry["changes"]["seats"] == [None, 12]

    for free in (7, 7):  # the same count again is still a report: staff looked and said so
        assert (await client.put(f"{url}/occupancy", json={"free_seats": free}, headers=lib["auth"])).is_success
    reports = await entries("libraries.seats_reported")
    assert len(reports) == 2
    assert reports[0]["changes"]["free_seats"] == [None, 7]
    assert "free_seats" not in reports[1]["changes"] and "reported_at" in reports[1]["changes"]
    assert all(r["actor"] == lib["librarian"].id and r["object_id"] == lib["branch"]["id"] for r in reports)
    # Need to know: a branch's readers learn how many seats are free and since when, not who counted.
    page = await client.get(url)
    assert str(lib["librarian"].id) not in page.text and lib["librarian"].username not in page.text


async def test_refused_and_invalid_changes_leave_no_entry(client: Client, lib: dict[str, Any]) -> None:
    url = f"{V1}/{lib['branch']['id']}"
    other_library = await factories.organisation(OrganisationKind.library, lib["tree"]["street_b"], "莲花分馆")
    outsider = factories.token_for(await factories.staff(Role.library_staff, other_library))
    before = await AuditEntry.count()
    attempts = [
        client.patch(url, json={"e_reading_seats": 3}, headers=outsider),
        client.put(f"{url}/occupancy", json={"free_seats": 3}, headers=outsider),
        client.put(f"{url}/occupancy", json={"free_seats": 99}, headers=lib["auth"]),  # more than there are
        client.put(
            f"{url}/exceptions/{later(3).isoformat()}", json={}, headers=lib["auth"]
        ),  # neither closed nor hours
        client.post(f"{url}/rooms", json={"name": {"zh-Hans": "x"}}, headers=outsider),
        client.delete(f"{url}/exceptions/{later(3).isoformat()}", headers=outsider),
    ]
    statuses = [(await attempt).status_code for attempt in attempts]
    assert statuses == [403, 403, 422, 422, 403, 403]
    assert await AuditEntry.count() == before
