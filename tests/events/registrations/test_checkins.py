"""Tickets, scanning at the door, no-shows, and the organiser's list and CSV."""

from __future__ import annotations

import base64
import csv
import io
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import msgspec
import pytest
from PIL import Image
from redis.asyncio import Redis

from backend.accounts import services as account_services
from backend.accounts.tables import Role, User
from backend.core import signals
from backend.core.cache import VersionedCache
from backend.core.i18n import format_datetime
from backend.core.stores import build_stores
from backend.core.values import mask_name
from backend.events.api import AttendanceRecorded
from backend.events.catalogue import services as event_services
from backend.events.catalogue.schemas import EventCreate
from backend.events.catalogue.tables import Event
from backend.events.registrations.door import make_ticket, mark_no_shows
from backend.events.registrations.tables import Registration
from backend.settings import Settings
from tests import factories
from tests.conftest import SECRET, build_app, serve_in_process
from tests.statements import statements_run

Client = httpx.AsyncClient


@pytest.fixture
async def door(client: Client) -> dict[str, Any]:
    tree = await factories.city_tree()
    venue = await factories.venue(tree["community_a"], tree["community_a"])
    organiser = await factories.staff(Role.organiser, tree["street_a"])
    # Half an hour before the start: the door is open (it opens 60 minutes before) and sign-up too.
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=30)
    event = await factories.published_event(
        tree["street_a"],
        venue,
        capacity=3,
        max_party_size=2,
        starts_at=start.isoformat(),
        ends_at=(start + timedelta(hours=2)).isoformat(),
    )
    return {
        "tree": tree,
        "venue": venue,
        "organiser": organiser,
        "event": event,
        "auth": factories.token_for(organiser),
    }


async def draft_event(door: dict[str, Any]) -> Event:
    data = msgspec.convert(factories.event_body(door["tree"]["street_a"], door["venue"]), EventCreate)
    _, events = await event_services.create_events(
        user_id=door["organiser"].id, data=data, cache=VersionedCache(build_stores(None))
    )
    return events[0]


@pytest.fixture
def attendance(listen: Any) -> list[signals.SignalMessage]:
    return listen(AttendanceRecorded)


async def registered(
    client: Client, event_id: uuid.UUID, name: str = "李小梅", party_size: int = 1, phone: str | None = "13812345678"
) -> tuple[User, dict[str, Any]]:
    user = await factories.resident()
    await account_services.update_me(user_id=user.id, changes={"display_name": name, "phone": phone})
    response = await client.post(
        f"/api/v1/events/{event_id}/registrations", json={"party_size": party_size}, headers=factories.token_for(user)
    )
    assert response.status_code == 201, response.text
    return user, response.json()


async def ticket_of(client: Client, user: User, registration_id: str) -> dict[str, Any]:
    response = await client.get(f"/api/v1/registrations/{registration_id}/ticket", headers=factories.token_for(user))
    assert response.status_code == 200, response.text
    return response.json()


async def scan(
    client: Client, door: dict[str, Any], ticket: str, event_id: uuid.UUID | None = None, **headers: str
) -> httpx.Response:
    return await client.post(
        f"/api/v1/events/{event_id or door['event'].id}/check-ins",
        json={"ticket": ticket},
        headers={**door["auth"], **headers},
    )


# --- tickets ---------------------------------------------------------------------------------------


async def test_the_owner_gets_a_short_signed_ticket_with_a_qr_code(client: Client, door: dict[str, Any]) -> None:
    user, registration = await registered(client, door["event"].id)
    ticket = await ticket_of(client, user, registration["id"])
    assert ticket["ticket"].startswith("L1.") and len(ticket["ticket"]) <= 48
    png = base64.b64decode(ticket["qr_png"].removeprefix("data:image/png;base64,"))
    assert Image.open(io.BytesIO(png)).format == "PNG"
    image = await client.get(
        f"/api/v1/registrations/{registration['id']}/ticket.png", headers=factories.token_for(user)
    )
    assert image.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(image.content)).size[0] > 100


async def test_nobody_else_gets_the_ticket(client: Client, door: dict[str, Any]) -> None:
    _, registration = await registered(client, door["event"].id)
    other = factories.token_for(await factories.resident())
    for path in ("ticket", "ticket.png"):
        response = await client.get(f"/api/v1/registrations/{registration['id']}/{path}", headers=other)
        assert (response.status_code, response.json()["code"]) == (404, "registration_not_found")
        assert (
            await client.get(f"/api/v1/registrations/{registration['id']}/{path}", headers=door["auth"])
        ).status_code == 404
        assert (await client.get(f"/api/v1/registrations/{registration['id']}/{path}")).status_code == 401


async def test_a_place_in_line_has_no_ticket_yet(client: Client, door: dict[str, Any]) -> None:
    for _ in range(3):
        await registered(client, door["event"].id)
    user, waiting = await registered(client, door["event"].id)
    assert waiting["status"] == "waitlisted"
    response = await client.get(f"/api/v1/registrations/{waiting['id']}/ticket", headers=factories.token_for(user))
    assert (response.status_code, response.json()["code"]) == (409, "ticket_not_available")


# --- scanning ----------------------------------------------------------------------------------------


async def test_scan_twice_says_already_checked_in(client: Client, door: dict[str, Any], attendance: list) -> None:
    user, registration = await registered(client, door["event"].id, "李小梅", party_size=2)
    ticket = (await ticket_of(client, user, registration["id"]))["ticket"]
    first = await scan(client, door, ticket, **{"Accept-Language": "en"})
    assert first.status_code == 200, first.text
    body = first.json()
    assert (body["status"], body["already_checked_in"], body["name"], body["party_size"]) == (
        "attended",
        False,
        "李*梅",
        2,
    )
    assert body["message"] == "Welcome! 2 people checked in."
    second = await scan(client, door, ticket, **{"Accept-Language": "en"})
    assert second.status_code == 200
    checked_at = datetime.fromisoformat(body["checked_in_at"]).astimezone(factories_city_tz())
    assert second.json()["already_checked_in"] is True
    assert second.json()["message"] == f"Already checked in at {checked_at:%H:%M}."
    assert [str(m.payload.registration_id) for m in attendance] == [registration["id"]]  # points awarded once
    assert str(attendance[0].payload.user_id) == str(user.id)
    mine = await client.get(f"/api/v1/registrations/{registration['id']}", headers=factories.token_for(user))
    assert mine.json()["status"] == "attended"


def factories_city_tz() -> Any:
    from backend.core.i18n import CITY_TZ

    return CITY_TZ


async def test_forged_and_other_event_tickets_are_refused(
    client: Client, door: dict[str, Any], attendance: list
) -> None:
    user, registration = await registered(client, door["event"].id)
    genuine = (await ticket_of(client, user, registration["id"]))["ticket"]
    version, raw_id, signature = genuine.split(".")
    forged_signature = f"{version}.{raw_id}.{'A' * len(signature)}"
    someone_else = make_ticket(SECRET, uuid.uuid4())
    wrong_key = make_ticket("another-secret-another-secret-another", uuid.UUID(registration["id"]))
    for ticket in (forged_signature, wrong_key, "hello", "L1..", "L2." + genuine[3:], someone_else):
        response = await scan(client, door, ticket)
        assert (response.status_code, response.json()["code"]) == (422, "ticket_invalid"), ticket
    other_event = await factories.published_event(door["tree"]["street_a"], door["venue"])
    response = await scan(client, door, genuine, event_id=other_event.id)
    assert (response.status_code, response.json()["code"]) == (422, "ticket_other_event")
    assert attendance == []
    assert await Registration.count().where(Registration.status == "attended") == 0


async def test_only_the_events_organisers_scan(client: Client, door: dict[str, Any]) -> None:
    user, registration = await registered(client, door["event"].id)
    ticket = (await ticket_of(client, user, registration["id"]))["ticket"]
    outsider = await factories.staff(Role.organiser, door["tree"]["street_b"])
    # The event is public: anyone may know it exists, so a caller without the right is told so.
    for headers in (factories.token_for(outsider), factories.token_for(user)):
        response = await client.post(
            f"/api/v1/events/{door['event'].id}/check-ins",
            json={"ticket": ticket},
            headers={**headers, "Accept-Language": "en"},
        )
        assert (response.status_code, response.json()["code"]) == (403, "check_in_forbidden")
        assert response.json()["detail"] == "Only the organisers of this event can check tickets in."
    draft = await draft_event(door)
    response = await client.post(
        f"/api/v1/events/{draft.id}/check-ins", json={"ticket": ticket}, headers=factories.token_for(outsider)
    )
    assert (response.status_code, response.json()["code"]) == (404, "event_not_found")  # a draft stays unseen
    city_admin = await factories.staff(Role.admin, door["tree"]["city"])
    response = await client.post(
        f"/api/v1/events/{door['event'].id}/check-ins", json={"ticket": ticket}, headers=factories.token_for(city_admin)
    )
    assert response.status_code == 200


async def test_cancelled_places_and_late_scans_are_refused(client: Client, door: dict[str, Any]) -> None:
    user, registration = await registered(client, door["event"].id)
    ticket = (await ticket_of(client, user, registration["id"]))["ticket"]
    await client.delete(f"/api/v1/registrations/{registration['id']}", headers=factories.token_for(user))
    assert (await scan(client, door, ticket)).json()["code"] == "ticket_not_confirmed"
    user2, registration2 = await registered(client, door["event"].id)
    ticket2 = (await ticket_of(client, user2, registration2["id"]))["ticket"]
    await Event.update(
        {Event.ends_at: datetime.now(UTC) - timedelta(hours=4), Event.starts_at: datetime.now(UTC) - timedelta(hours=6)}
    ).where(Event.id == door["event"].id)
    assert (await scan(client, door, ticket2)).json()["code"] == "check_in_closed"


async def test_an_early_scan_is_refused_says_when_the_door_opens_and_changes_nothing(
    client: Client, door: dict[str, Any], attendance: list
) -> None:
    later = datetime.now(UTC).replace(microsecond=0, second=0) + timedelta(days=14)
    await Event.update({Event.starts_at: later, Event.ends_at: later + timedelta(hours=2)}).where(
        Event.id == door["event"].id
    )
    user, registration = await registered(client, door["event"].id)
    ticket = (await ticket_of(client, user, registration["id"]))["ticket"]
    opens_at = later - timedelta(hours=1)
    details = {}
    for lang in ("en", "zh-Hans", "zh-Hant", "ja", "ko"):
        early = await scan(client, door, ticket, **{"Accept-Language": lang})
        assert (early.status_code, early.json()["code"]) == (409, "check_in_not_open"), lang
        assert early.json()["params"] == {"opens_at": opens_at.strftime("%Y-%m-%dT%H:%M:%SZ"), "minutes": 60}
        details[lang] = early.json()["detail"]
        assert format_datetime(opens_at, lang) in details[lang], details[lang]  # in Suzhou time, for people
        assert "60" in details[lang]
    assert len(set(details.values())) == 5, details  # said in each reader's language
    assert attendance == []  # no attendance, so no points
    assert (await Registration.select(Registration.status).first())["status"] == "confirmed"
    cancelled = await client.delete(f"/api/v1/registrations/{registration['id']}", headers=factories.token_for(user))
    assert cancelled.status_code == 200  # the resident can still give up the place


async def test_the_door_opening_time_is_a_setting(
    client: Client, door: dict[str, Any], settings: Settings, shared_redis: Redis | None
) -> None:
    # The event starts in 30 minutes: a door opening 15 minutes before is still shut.
    user, registration = await registered(client, door["event"].id)
    ticket = (await ticket_of(client, user, registration["id"]))["ticket"]
    async with serve_in_process(build_app(settings, shared_redis, check_in_opens_minutes=15)) as strict:
        refused = await scan(strict, door, ticket, **{"Accept-Language": "en"})
        assert (refused.status_code, refused.json()["code"]) == (409, "check_in_not_open")
        assert "15 minutes" in refused.json()["detail"]
    assert (await scan(client, door, ticket)).status_code == 200


async def test_a_late_scan_says_when_the_door_closed(client: Client, door: dict[str, Any]) -> None:
    user, registration = await registered(client, door["event"].id)
    ticket = (await ticket_of(client, user, registration["id"]))["ticket"]
    ended = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3, minutes=10)
    await Event.update({Event.starts_at: ended - timedelta(hours=2), Event.ends_at: ended}).where(
        Event.id == door["event"].id
    )
    late = await scan(client, door, ticket, **{"Accept-Language": "en"})
    assert (late.status_code, late.json()["code"]) == (409, "check_in_closed")
    # The door stays open three hours after the end, for late arrivals.
    closed_at = ended + timedelta(hours=3)
    assert late.json()["params"]["closed_at"] == closed_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert late.json()["detail"] == f"Check-in for this event closed at {format_datetime(closed_at, 'en')}."
    await Event.update({Event.ends_at: datetime.now(UTC) - timedelta(hours=2, minutes=50)}).where(
        Event.id == door["event"].id
    )
    assert (await scan(client, door, ticket)).status_code == 200


# --- no-shows ------------------------------------------------------------------------------------------


async def test_unchecked_places_become_no_shows_after_the_event(client: Client, door: dict[str, Any]) -> None:
    came, came_reg = await registered(client, door["event"].id)
    stayed_home, stayed_reg = await registered(client, door["event"].id)
    await scan(client, door, (await ticket_of(client, came, came_reg["id"]))["ticket"])
    assert await mark_no_shows() == 0  # the event has not happened yet
    await Event.update(
        {Event.starts_at: datetime.now(UTC) - timedelta(hours=6), Event.ends_at: datetime.now(UTC) - timedelta(hours=4)}
    ).where(Event.id == door["event"].id)
    assert await mark_no_shows() == 1
    assert await mark_no_shows() == 0
    statuses = {r["id"]: r["status"] for r in await Registration.select(Registration.id, Registration.status)}
    assert statuses[uuid.UUID(came_reg["id"])] == "attended"
    assert statuses[uuid.UUID(stayed_reg["id"])] == "no_show"


# --- the organiser's list --------------------------------------------------------------------------------


async def test_the_list_is_masked_and_counted(client: Client, door: dict[str, Any]) -> None:
    await registered(client, door["event"].id, "李小梅", party_size=2, phone="13812345678")
    await registered(client, door["event"].id, "Alice", phone=None)
    await registered(client, door["event"].id, "王五", party_size=2)
    response = await client.get(f"/api/v1/events/{door['event'].id}/registrations", headers=door["auth"])
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["counts"]["confirmed"] == 2 and body["counts"]["waitlisted"] == 1
    assert body["people"]["confirmed"] == 3 and body["people"]["waitlisted"] == 2
    assert [(i["name"], i["phone"], i["waitlist_position"]) for i in body["items"]] == [
        ("李*梅", "138****5678", None),
        ("A***e", None, None),
        ("王*", "138****5678", 1),
    ]
    assert "13812345678" not in response.text and "李小梅" not in response.text


async def test_the_csv_opens_in_excel_with_chinese_intact(client: Client, door: dict[str, Any]) -> None:
    await registered(client, door["event"].id, "李小梅", party_size=2)
    response = await client.get(
        f"/api/v1/events/{door['event'].id}/registrations", params={"format": "csv"}, headers=door["auth"]
    )
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")  # the BOM Excel looks for
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][0] == "姓名"  # headers in the organiser's language (zh-Hans by default)
    assert rows[1][:4] == ["李*梅", "138****5678", "2", "已确认"]
    english = await client.get(
        f"/api/v1/events/{door['event'].id}/registrations",
        params={"format": "csv"},
        headers={**door["auth"], "Accept-Language": "en"},
    )
    assert english.content.decode("utf-8-sig").splitlines()[0].startswith("Name,Phone,People,Status")


async def test_a_name_that_looks_like_a_formula_stays_text_in_the_csv(client: Client, door: dict[str, Any]) -> None:
    await registered(client, door["event"].id, "=HYPERLINK(1)")
    response = await client.get(
        f"/api/v1/events/{door['event'].id}/registrations", params={"format": "csv"}, headers=door["auth"]
    )
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1][0].startswith("'=")  # Excel shows it; it does not run it


async def test_another_organisation_cannot_list(client: Client, door: dict[str, Any]) -> None:
    await registered(client, door["event"].id)
    outsider = await factories.staff(Role.organiser, door["tree"]["street_b"])
    for params in ({}, {"format": "csv"}):
        response = await client.get(
            f"/api/v1/events/{door['event'].id}/registrations", params=params, headers=factories.token_for(outsider)
        )
        assert (response.status_code, response.json()["code"]) == (404, "event_not_found")
    resident = await client.get(
        f"/api/v1/events/{door['event'].id}/registrations", headers=factories.token_for(await factories.resident())
    )
    assert resident.status_code == 404


async def test_the_list_runs_as_many_queries_for_30_people_as_for_3(client: Client, door: dict[str, Any]) -> None:
    """Names are joined into the list and places in line counted from it: no query per row."""
    url = f"/api/v1/events/{door['event'].id}/registrations"
    await client.get(url, headers=door["auth"])  # whatever a first request warms up
    runs: dict[tuple[int, str], int] = {}
    signed_up = 0
    for size in (3, 30):
        while signed_up < size:
            await registered(client, door["event"].id, f"居民{signed_up}")
            signed_up += 1
        for form in ("json", "csv"):
            with statements_run() as seen:
                response = await client.get(url, params={"format": form}, headers=door["auth"])
            assert response.status_code == 200, response.text
            rows = len(response.json()["items"]) if form == "json" else len(response.text.splitlines()) - 1
            assert rows == size
            runs[(size, form)] = len(seen)
    assert runs[(30, "json")] == runs[(3, "json")] and runs[(30, "csv")] == runs[(3, "csv")], runs


@pytest.mark.parametrize(
    ("name", "masked"),
    [("李小梅", "李*梅"), ("王五", "王*"), ("欧阳娜娜", "欧**娜"), ("A", "A"), ("", ""), ("Alice", "A***e")],
)
def test_names_are_masked(name: str, masked: str) -> None:
    assert mask_name(name) == masked
