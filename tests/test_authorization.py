"""Who may do what: every state-changing or private operation, called by every kind of caller.

One world per operation (a city tree, a street's events, a resident with a confirmed place, a
library branch), then the operation is called as each identity below. Each cell of ``MATRIX`` is
the exact status the app must answer. A 2xx is an allow; anything else is a deny, which must be a
problem+json answer and must leave every table the operations touch exactly as it was.

A cell where a caller who should be refused is let through is a leak: it is recorded with
``xfail(strict=True, reason="LEAK: …")`` rather than by bending the table to fit the app.
"""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import msgspec
import pytest
from PIL import Image

from backend.accounts.tables import OrganisationKind, Role
from backend.core.cache import VersionedCache
from backend.core.stores import build_stores
from backend.events.catalogue import services as event_services
from backend.events.catalogue.schemas import EventCreate
from backend.events.catalogue.tables import Event, Series, Venue
from backend.events.registrations import services as registration_services
from backend.events.registrations.tables import Registration
from backend.libraries.tables import HoursException, LibraryBranch, ReadingRoom
from tests import factories

Client = httpx.AsyncClient
PROBLEM = "application/problem+json"
WEEKDAYS_9_TO_5 = {str(d): [{"opens": "09:00", "closes": "17:00"}] for d in range(7)}

# Who calls. ``librarian_a`` (library staff of the branch's own library) is not one of the denied
# parties; it is there so the library rows show an allowed non-admin caller too.
IDENTITIES = ("anon", "resident_a", "resident_b", "owner", "other_org", "other_lib", "librarian_a", "city_admin")

# fmt: off
MATRIX: list[tuple[str, int, int, int, int, int, int, int, int]] = [
    # operation                 anon resA resB owner other oLib libA admin
    # managing an event of street_a (someone else's event answers like a missing one)
    ("patch_event",             401, 404, 404, 200,  404,  404, 404, 200),
    ("publish_event",           401, 404, 404, 200,  404,  404, 404, 200),
    ("cancel_event",            401, 404, 404, 200,  404,  404, 404, 200),
    ("complete_event",          401, 404, 404, 200,  404,  404, 404, 200),
    ("upload_poster",           401, 404, 404, 200,  404,  404, 404, 200),
    ("event_registrations",     401, 404, 404, 200,  404,  404, 404, 200),
    ("event_registrations_csv", 401, 404, 404, 200,  404,  404, 404, 200),
    # a published event: everyone may know it exists, so a caller who may not scan is told 403
    ("check_in",                401, 403, 403, 200,  403,  403, 403, 200),
    # resident A's own registration (nobody else's, not even an admin's)
    ("get_registration",        401, 200, 404, 404,  404,  404, 404, 404),
    ("delete_registration",     401, 200, 404, 404,  404,  404, 404, 404),
    ("get_ticket",              401, 200, 404, 404,  404,  404, 404, 404),
    ("get_ticket_png",          401, 200, 404, 404,  404,  404, 404, 404),
    # a draft is public to nobody: not logged in is not a 401 here, the event simply "is not there"
    ("get_draft_event",         404, 404, 404, 200,  404,  404, 404, 200),
    ("draft_calendar_ics",      404, 404, 404, 200,  404,  404, 404, 200),
    # library_a's branch (manage_libraries: its library staff, admins above it)
    ("put_occupancy",           401, 403, 403, 403,  403,  403, 200, 200),
    ("put_exception",           401, 403, 403, 403,  403,  403, 200, 200),
    ("patch_branch",            401, 403, 403, 403,  403,  403, 200, 200),
    ("add_room",                401, 403, 403, 403,  403,  403, 201, 201),
    # creating for street_a (manage_events at street_a or above)
    ("create_venue",            401, 403, 403, 201,  403,  403, 403, 201),
    ("create_event",            401, 403, 403, 201,  403,  403, 403, 201),
]
# fmt: on

# An allowed call of these must change the data (so the "a refusal changed nothing" check can see).
MUTATING = frozenset(
    {
        "patch_event",
        "publish_event",
        "cancel_event",
        "complete_event",
        "upload_poster",
        "check_in",
        "delete_registration",
        "put_occupancy",
        "put_exception",
        "patch_branch",
        "add_room",
        "create_venue",
        "create_event",
    }
)

# Cells where the app lets through a caller the table denies: (operation, identity) → what it does.
LEAKS: dict[tuple[str, str], str] = {}


# --- the world -------------------------------------------------------------------------------------


@dataclass
class World:
    tree: dict[str, Any]
    venue: Any
    published: Any
    draft: Any
    registration_id: str
    branch_id: str
    people: dict[str, Any]
    headers: dict[str, dict[str, str]]
    cache: VersionedCache


async def draft_event(organisation: Any, venue: Any, organiser: Any, cache: VersionedCache) -> Any:
    data = msgspec.convert(factories.event_body(organisation, venue), EventCreate)
    _, events = await event_services.create_events(user_id=organiser.id, data=data, cache=cache)
    return events[0]


async def build_world(client: Client) -> World:
    cache = VersionedCache(build_stores(None))
    tree = await factories.city_tree()
    venue = await factories.venue(tree["street_a"], tree["community_a"])
    other_library = await factories.organisation(OrganisationKind.library, tree["street_b"], "莲花分馆")
    people = {
        "resident_a": await factories.resident(),
        "resident_b": await factories.resident(),
        "owner": await factories.staff(Role.organiser, tree["street_a"]),
        "other_org": await factories.staff(Role.organiser, tree["street_b"]),
        "other_lib": await factories.staff(Role.library_staff, other_library),
        "librarian_a": await factories.staff(Role.library_staff, tree["library_a"]),
        "city_admin": await factories.staff(Role.admin, tree["city"]),
    }
    headers = {"anon": {}, **{name: factories.token_for(user) for name, user in people.items()}}
    published = await factories.published_event(tree["street_a"], venue)
    draft = await draft_event(tree["street_a"], venue, people["owner"], cache)

    signed_up = await client.post(
        f"/api/v1/events/{published.id}/registrations", json={"party_size": 1}, headers=headers["resident_a"]
    )
    assert signed_up.status_code == 201, signed_up.text
    assert signed_up.json()["status"] == "confirmed"

    branch_venue = await factories.venue(tree["library_a"], tree["community_a"], name="双塔分馆")
    created = await client.post(
        "/api/v1/library-branches",
        json={
            "organisation_id": str(tree["library_a"].id),
            "venue_id": str(branch_venue.id),
            "name": {"zh-Hans": "双塔分馆", "en": "Shuangta Branch"},
            "services": ["lending", "e_reading"],
            "e_reading_seats": 20,
            "weekly_hours": WEEKDAYS_9_TO_5,
        },
        headers=headers["librarian_a"],
    )
    assert created.status_code == 201, created.text
    return World(tree, venue, published, draft, signed_up.json()["id"], created.json()["id"], people, headers, cache)


async def fresh_published(w: World) -> Any:
    return await factories.published_event(w.tree["street_a"], w.venue)


async def fresh_registration(w: World) -> tuple[Any, str]:
    """A new published event with a confirmed place of resident A (the service: no rate limit)."""
    event = await fresh_published(w)
    signed_up = await registration_services.sign_up(
        user_id=w.people["resident_a"].id,
        event_id=event.id,
        party_size=1,
        idempotency_key=None,
        max_upcoming=1000,
    )
    registration = signed_up.registration
    assert registration.status == "confirmed"
    return event, str(registration.id)


def tiny_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


async def snapshot() -> dict[str, list[dict[str, Any]]]:
    """Every row an operation here could change, to prove a refusal changed nothing."""
    tables = (Event, Series, Registration, Venue, LibraryBranch, ReadingRoom, HoursException)
    return {t._meta.tablename: sorted((await t.select()), key=lambda row: str(row["id"])) for t in tables}


# --- the operations --------------------------------------------------------------------------------

Prepare = Callable[[Client, World], Awaitable[dict[str, Any]]]
Send = Callable[[Client, World, dict[str, Any], dict[str, str]], Awaitable[httpx.Response]]


async def _nothing(c: Client, w: World) -> dict[str, Any]:
    return {}


async def _fresh_event(c: Client, w: World) -> dict[str, Any]:
    return {"event_id": (await fresh_published(w)).id}


async def _fresh_draft(c: Client, w: World) -> dict[str, Any]:
    return {"event_id": (await draft_event(w.tree["street_a"], w.venue, w.people["owner"], w.cache)).id}


async def _started_event(c: Client, w: World) -> dict[str, Any]:
    event = await fresh_published(w)
    await Event.update({Event.starts_at: datetime.now(UTC) - timedelta(minutes=30)}).where(Event.id == event.id)
    return {"event_id": event.id}


async def _ticketed(c: Client, w: World) -> dict[str, Any]:
    event, registration_id = await fresh_registration(w)
    # Half an hour before the start: the door is open (it opens an hour before).
    soon = datetime.now(UTC) + timedelta(minutes=30)
    await Event.update({Event.starts_at: soon, Event.ends_at: soon + timedelta(hours=2)}).where(Event.id == event.id)
    ticket = await c.get(f"/api/v1/registrations/{registration_id}/ticket", headers=w.headers["resident_a"])
    assert ticket.status_code == 200, ticket.text
    return {"event_id": event.id, "ticket": ticket.json()["ticket"]}


async def _own_place(c: Client, w: World) -> dict[str, Any]:
    _, registration_id = await fresh_registration(w)
    return {"registration_id": registration_id}


def _later_day() -> str:
    return (date.today() + timedelta(days=9)).isoformat()


OPERATIONS: dict[str, tuple[Prepare, Send]] = {
    "patch_event": (
        _fresh_event,
        lambda c, w, x, h: c.patch(
            f"/api/v1/events/{x['event_id']}", json={"title": {"zh-Hans": "改了", "en": "Changed"}}, headers=h
        ),
    ),
    "publish_event": (_fresh_draft, lambda c, w, x, h: c.post(f"/api/v1/events/{x['event_id']}/publish", headers=h)),
    "cancel_event": (_fresh_event, lambda c, w, x, h: c.post(f"/api/v1/events/{x['event_id']}/cancel", headers=h)),
    "complete_event": (
        _started_event,
        lambda c, w, x, h: c.post(f"/api/v1/events/{x['event_id']}/complete", headers=h),
    ),
    "upload_poster": (
        _fresh_event,
        lambda c, w, x, h: c.post(
            f"/api/v1/events/{x['event_id']}/poster", files={"file": ("poster.png", tiny_png(), "image/png")}, headers=h
        ),
    ),
    "event_registrations": (
        _nothing,
        lambda c, w, x, h: c.get(f"/api/v1/events/{w.published.id}/registrations", headers=h),
    ),
    "event_registrations_csv": (
        _nothing,
        lambda c, w, x, h: c.get(f"/api/v1/events/{w.published.id}/registrations", params={"format": "csv"}, headers=h),
    ),
    "check_in": (
        _ticketed,
        lambda c, w, x, h: c.post(f"/api/v1/events/{x['event_id']}/check-ins", json={"ticket": x["ticket"]}, headers=h),
    ),
    "get_registration": (_nothing, lambda c, w, x, h: c.get(f"/api/v1/registrations/{w.registration_id}", headers=h)),
    "delete_registration": (
        _own_place,
        lambda c, w, x, h: c.delete(f"/api/v1/registrations/{x['registration_id']}", headers=h),
    ),
    "get_ticket": (_nothing, lambda c, w, x, h: c.get(f"/api/v1/registrations/{w.registration_id}/ticket", headers=h)),
    "get_ticket_png": (
        _nothing,
        lambda c, w, x, h: c.get(f"/api/v1/registrations/{w.registration_id}/ticket.png", headers=h),
    ),
    "get_draft_event": (_nothing, lambda c, w, x, h: c.get(f"/api/v1/events/{w.draft.id}", headers=h)),
    "draft_calendar_ics": (_nothing, lambda c, w, x, h: c.get(f"/api/v1/events/{w.draft.id}/calendar.ics", headers=h)),
    "put_occupancy": (
        _nothing,
        lambda c, w, x, h: c.put(
            f"/api/v1/library-branches/{w.branch_id}/occupancy", json={"free_seats": 7}, headers=h
        ),
    ),
    "put_exception": (
        _nothing,
        lambda c, w, x, h: c.put(
            f"/api/v1/library-branches/{w.branch_id}/exceptions/{_later_day()}", json={"closed": True}, headers=h
        ),
    ),
    "patch_branch": (
        _nothing,
        lambda c, w, x, h: c.patch(f"/api/v1/library-branches/{w.branch_id}", json={"e_reading_seats": 33}, headers=h),
    ),
    "add_room": (
        _nothing,
        lambda c, w, x, h: c.post(
            f"/api/v1/library-branches/{w.branch_id}/rooms",
            json={"name": {"zh-Hans": "自习室", "en": "Study room"}, "seats": 12},
            headers=h,
        ),
    ),
    "create_venue": (
        _nothing,
        lambda c, w, x, h: c.post(
            "/api/v1/venues",
            json={
                "organisation_id": str(w.tree["street_a"].id),
                "community_id": str(w.tree["community_a"].id),
                "name": {"zh-Hans": "新场地", "en": "New venue"},
                "latitude": 31.2946,
                "longitude": 120.6285,
            },
            headers=h,
        ),
    ),
    "create_event": (
        _nothing,
        lambda c, w, x, h: c.post("/api/v1/events", json=factories.event_body(w.tree["street_a"], w.venue), headers=h),
    ),
}


def _params() -> list[Any]:
    assert {row[0] for row in MATRIX} == set(OPERATIONS), "every operation has one row, and every row an operation"
    params = []
    for name, *codes in MATRIX:
        leaks = [f"{who}: {what}" for (op, who), what in LEAKS.items() if op == name]
        marks = [pytest.mark.xfail(strict=True, reason="LEAK: " + "; ".join(leaks))] if leaks else []
        params.append(pytest.param(name, dict(zip(IDENTITIES, codes, strict=True)), id=name, marks=marks))
    return params


@pytest.mark.parametrize(("operation", "expected"), _params())
async def test_authorization_matrix(client: Client, operation: str, expected: dict[str, int]) -> None:
    world = await build_world(client)
    prepare, send = OPERATIONS[operation]
    wrong: list[str] = []
    for identity in IDENTITIES:
        context = await prepare(client, world)  # fresh events and places: an allowed call never feeds the next
        before = await snapshot()
        response = await send(client, world, context, world.headers[identity])
        want = expected[identity]
        if response.status_code != want:
            wrong.append(f"{identity}: expected {want}, got {response.status_code} {response.text[:200]}")
        if response.is_success:
            if operation in MUTATING and await snapshot() == before:
                wrong.append(f"{identity}: allowed with {response.status_code} but nothing changed")
            continue
        if not response.headers.get("content-type", "").startswith(PROBLEM):
            wrong.append(f"{identity}: a refusal that is not problem+json ({response.headers.get('content-type')})")
        if await snapshot() != before:
            wrong.append(f"{identity}: refused with {response.status_code} but the data changed")
    assert not wrong, f"{operation}:\n  " + "\n  ".join(wrong)


def test_matrix_size() -> None:
    assert len(MATRIX) == 20 and len(IDENTITIES) == 8
