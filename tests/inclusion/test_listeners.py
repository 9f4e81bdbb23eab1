"""Points arrive through signals: once, however often a signal is delivered, and only for real attendance."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from backend.accounts.tables import Role
from backend.core import runtime, signals
from backend.core.tables import OutboxSignal
from backend.core.wiring import assemble
from backend.domains import DOMAINS
from backend.events.catalogue.tables import Event
from backend.events.sharing.services import share_link_code
from backend.inclusion.points import awards, listeners
from backend.inclusion.points.tables import PointEntry, PointReason
from backend.settings import Settings
from backend.volunteers.api import HoursVerified
from tests import factories
from tests.conftest import build_app, serve_in_process
from tests.inclusion.test_points import (
    attended,
    entries,
    hours_payload,
    new_event,
    person,
    place,  # noqa: F401 (a fixture)
    points_of,
    team_in,
    verified_hours,
)

Client = httpx.AsyncClient


async def _sign_up(client: Client, event_id: uuid.UUID, user: Any, share_code: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"party_size": 1}
    if share_code:
        body["share_code"] = f"e={share_code}"
    response = await client.post(
        f"/api/v1/events/{event_id}/registrations", json=body, headers=factories.token_for(user)
    )
    assert response.status_code == 201, response.text
    return response.json()


async def _check_in(client: Client, organiser: Any, event_id: uuid.UUID, user: Any, registration_id: str) -> None:
    # The event starts in half an hour: its door opens an hour before the start.
    soon = datetime.now(UTC) + timedelta(minutes=30)
    await Event.update({Event.starts_at: soon, Event.ends_at: soon + timedelta(hours=2)}).where(Event.id == event_id)
    ticket = await client.get(f"/api/v1/registrations/{registration_id}/ticket", headers=factories.token_for(user))
    assert ticket.status_code == 200, ticket.text
    for _ in range(2):  # a second scan at the door changes nothing
        scanned = await client.post(
            f"/api/v1/events/{event_id}/check-ins",
            json={"ticket": ticket.json()["ticket"]},
            headers=factories.token_for(organiser),
        )
        assert scanned.status_code == 200, scanned.text


async def test_checked_in_at_the_door_the_resident_sees_their_points_once(
    client: Client, place: dict[str, Any]
) -> None:
    event = await new_event(place)
    organiser = await factories.staff(Role.organiser, place["tree"]["street_a"])
    resident = await person()
    registration = await _sign_up(client, event.id, resident)
    assert (await points_of(client, resident))["balance"] == 0
    await _check_in(client, organiser, event.id, resident, registration["id"])
    assert await signals.sweep(older_than_seconds=0) == 0  # nothing was left undelivered
    mine = await points_of(client, resident, lang="en")
    assert mine["balance"] == 30
    assert [(e["reason"], e["points"], e["reason_text"]) for e in mine["entries"]] == [
        ("first_event", 20, "Your first event: Pingtan Evening"),
        ("attendance", 10, "Attended: Pingtan Evening"),
    ]
    assert mine["entries"][0]["expires_at"] is None


async def test_a_neighbour_is_credited_when_they_are_checked_in_not_when_they_sign_up(
    client: Client, place: dict[str, Any]
) -> None:
    event = await new_event(place)
    organiser = await factories.staff(Role.organiser, place["tree"]["street_a"])
    sharer, neighbour = await person(), await person()
    code = await share_link_code(event_id=event.id, sharer_id=sharer.id)
    registration = await _sign_up(client, event.id, neighbour, share_code=code)
    assert await entries(sharer) == []
    await _check_in(client, organiser, event.id, neighbour, registration["id"])
    brought = await points_of(client, sharer, lang="en")
    assert [(e["points"], e["reason_text"]) for e in brought["entries"]] == [
        (10, "Brought a neighbour to: Pingtan Evening")
    ]
    assert brought["balance"] == 10


async def test_five_concurrent_deliveries_of_one_attendance_award_once(client: Client, place: dict[str, Any]) -> None:
    resident = await person()
    payload = await attended(await new_event(place), resident)
    written = await asyncio.gather(*(awards.award_for_attendance(payload) for _ in range(5)))
    assert sorted(written) == [0, 0, 0, 0, 30]
    message = signals.SignalMessage(id=uuid.uuid4(), name=payload.NAME, payload=payload, created_at=datetime.now(UTC))
    await asyncio.gather(*(listeners.award_attendance(message) for _ in range(5)))
    assert sorted((e["reason"], e["points"]) for e in await entries(resident)) == [
        ("attendance", 10),
        ("first_event", 20),
    ]


async def test_concurrent_attendances_of_one_person_respect_the_daily_cap(
    client: Client, place: dict[str, Any]
) -> None:
    resident = await person()
    payloads = [await attended(await new_event(place), resident) for _ in range(5)]
    await asyncio.gather(*(awards.award_for_attendance(payload) for payload in payloads))
    assert sum(e["points"] for e in await entries(resident, PointReason.attendance)) == 30
    assert len(await entries(resident, PointReason.first_event)) == 1


async def test_a_replayed_hours_signal_awards_once(client: Client, place: dict[str, Any]) -> None:
    volunteer = await person()
    entry = await verified_hours(volunteer, await team_in(place["community"]), 120)
    async with signals.atomic():
        signal_id = await signals.emit(hours_payload(entry, place["community"]))
    assert [e["points"] for e in await entries(volunteer)] == [10]
    # Delivered again (a crash after the listeners ran, before the signal was marked delivered).
    await OutboxSignal.update({OutboxSignal.delivered_at: None, OutboxSignal.claimed_until: None}).where(
        OutboxSignal.id == signal_id
    )
    assert await signals.deliver(signal_id) is True
    assert await signals.deliver(signal_id) is False
    assert [e["points"] for e in await entries(volunteer)] == [10]
    assert await PointEntry.count().where(PointEntry.source_key == f"hours:{entry.id}") == 1


async def test_the_listener_is_declared_once_and_takes_the_expiry_from_the_apps_settings(
    client: Client, place: dict[str, Any], settings: Settings, shared_redis: Any
) -> None:
    assert assemble(DOMAINS, settings).subscriptions[HoursVerified.NAME].listeners.count(listeners.award_hours) == 1
    app = build_app(settings, shared_redis, points_expire_months=3)
    async with serve_in_process(app):
        with runtime.bound(app.state.runtime):
            volunteer = await person()
            entry = await verified_hours(volunteer, await team_in(place["community"]), 60)
            async with signals.atomic():
                await signals.emit(hours_payload(entry, place["community"]))
    [award] = await entries(volunteer)
    assert award["expires_at"] is not None and award["expires_at"] > datetime.now(UTC)
