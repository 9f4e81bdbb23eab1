"""Reading registrations, scoped to who is asking: a resident's own, a place in line, and the
organiser's list of who signed up."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from backend.core import clock
from backend.core.errors import NotFound
from backend.core.i18n import N_
from backend.core.values import as_uuid, mask_name, mask_phone
from backend.events.catalogue import aiming
from backend.events.catalogue.tables import Event
from backend.events.registrations.tables import Registration, RegistrationStatus

ACTIVE = (RegistrationStatus.confirmed.value, RegistrationStatus.waitlisted.value)


# --- a resident's own --------------------------------------------------------------------------------


async def waitlist_position(registration: Registration) -> int | None:
    """1 for the head of the line; None unless waitlisted."""
    if registration.status != RegistrationStatus.waitlisted.value:
        return None
    ahead: int = await Registration.count().where(
        (Registration.event == registration.event)
        & (Registration.status == RegistrationStatus.waitlisted.value)
        & (Registration.queue_number < registration.queue_number)
    )
    return ahead + 1


async def get_registration(*, user_id: uuid.UUID, registration_id: uuid.UUID) -> Registration:
    """One of the resident's own registrations."""
    registration = (
        await Registration.objects()
        .where((Registration.id == registration_id) & (Registration.user == user_id))
        .first()
    )
    # Another resident's registration answers exactly like a missing one.
    if registration is None:
        raise NotFound("registration_not_found", N_("This registration does not exist."))
    return registration


async def my_registrations(*, user_id: uuid.UUID, include_past: bool) -> list[Registration]:
    query = Registration.objects().where(Registration.user == user_id)
    if not include_past:
        query = query.where(Registration.event.ends_at > clock.now())
    return await query.order_by(Registration.created_at, ascending=False).limit(200)


@dataclass(frozen=True)
class Placed:
    """A registration as a sign-up's hot path made it: what its answer shows, without building
    an ORM row (which costs more than the statement that writes it)."""

    id: uuid.UUID
    event: uuid.UUID
    user: uuid.UUID
    party_size: int
    status: str
    queue_number: int
    created_at: datetime


@dataclass(frozen=True)
class RegisteredEvent:
    """The event as a registration shows it."""

    id: uuid.UUID
    title: dict[str, str]
    starts_at: datetime
    ends_at: datetime
    status: str
    capacity: int
    seats_taken: int
    # Where seats are kept per estate: those left in the share this registration counts against.
    share_seats_left: int | None = None

    @property
    def seats_left(self) -> int:
        return max(0, self.capacity - self.seats_taken)


async def registration_context(registration: Registration) -> tuple[RegisteredEvent, dict[str, str], int | None]:
    """What a registration is shown with: its event, the venue's name, its place in line."""
    row = (
        await Event.select(
            Event.id,
            Event.title,
            Event.starts_at,
            Event.ends_at,
            Event.status,
            Event.capacity,
            Event.seats_taken,
            Event.venue.name.as_alias("venue_name"),
        )
        .where(Event.id == registration.event)
        .output(load_json=True)
        .first()
    )
    assert row is not None  # a registration's event exists: a foreign key
    venue_name = row.pop("venue_name")
    position = await waitlist_position(registration)
    if position is not None:
        row["share_seats_left"] = await _share_seats_left(registration, row["capacity"])
    return RegisteredEvent(**row), venue_name, position


async def _share_seats_left(registration: Registration, capacity: int) -> int | None:
    """For a party in line at an event keeping seats per estate: the seats left in its share."""
    shares = await aiming.shares_of(registration.event)
    if not shares:
        return None
    estate = as_uuid(registration.estate) if registration.estate else None
    key = aiming.share_key(shares, estate)
    taken = (await aiming.taken_by_share(registration.event, shares)).get(key, 0)
    return max(0, aiming.share_limit(shares, capacity, key) - taken)


# --- the organiser's list ------------------------------------------------------------------------


@dataclass(frozen=True)
class Attendee:
    registration_id: uuid.UUID
    name: str
    phone: str | None
    party_size: int
    status: str
    waitlist_position: int | None
    created_at: datetime
    checked_in_at: datetime | None


async def attendees(*, event_id: uuid.UUID) -> tuple[list[Attendee], dict[str, int]]:
    """Everyone who signed up to the event, masked, in arrival order, and the counts by status
    (for its organisers: ``services.attendee_list`` checks who asks)."""
    rows: list[dict[str, Any]] = (
        await Registration.select(
            Registration.id,
            Registration.party_size,
            Registration.status,
            Registration.queue_number,
            Registration.created_at,
            Registration.checked_in_at,
            Registration.user.display_name,
            Registration.user.phone,
        )
        .where(Registration.event == event_id)
        .order_by(Registration.queue_number)
        .limit(20_000)
    )
    position = 0
    result = []
    for row in rows:
        waiting = row["status"] == RegistrationStatus.waitlisted.value
        position += waiting
        result.append(
            Attendee(
                registration_id=row["id"],
                name=mask_name(row["user.display_name"] or ""),
                phone=mask_phone(row["user.phone"]),
                party_size=row["party_size"],
                status=row["status"],
                waitlist_position=position if waiting else None,
                created_at=row["created_at"],
                checked_in_at=row["checked_in_at"],
            )
        )
    counts = {status.value: 0 for status in RegistrationStatus}
    for attendee in result:
        counts[attendee.status] += 1
    return result, counts
