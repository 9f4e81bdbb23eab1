"""The events domain's public face: what it announces (typed signal payloads) and what the domains
after it may read (venues, an event's summary, attendances, registrants, upcoming events, and
what the public pages show: ``event_page``, ``share_link``).

Later domains import this module, never events' tables or internals.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from piccolo.columns.combination import WhereRaw

from backend.core.errors import NotFound
from backend.core.i18n import N_
from backend.core.values import as_uuid
from backend.events.catalogue.presenters import list_item as event_list_item
from backend.events.catalogue.queries import MAX_RADIUS_M
from backend.events.catalogue.schemas import CategoryCode, EventBrief, EventListItem, SpokenLanguage, VenueCreate
from backend.events.catalogue.services import create_venue
from backend.events.catalogue.tables import Event, EventStatus, Venue
from backend.events.catalogue.vocabulary import AUDIENCES, SPOKEN_LANGUAGES, from_mask
from backend.events.pages import PosterRendition, PublicEvent, SharedEvent, Tag, event_page, share_link
from backend.events.registrations.door import mark_no_shows
from backend.events.registrations.tables import Registration, RegistrationStatus
from backend.events.signals import (
    AttendanceRecorded,
    EventCancelled,
    EventChanged,
    RegistrationCancelled,
    RegistrationConfirmed,
    RegistrationPromoted,
    RegistrationRef,
    RegistrationWaitlisted,
)

__all__ = [
    "AUDIENCES",
    "MAX_RADIUS_M",
    "SPOKEN_LANGUAGES",
    "Attendance",
    "AttendanceRecorded",
    "CategoryCode",
    "EventBrief",
    "EventCancelled",
    "EventChanged",
    "EventListItem",
    "EventSummary",
    "PosterRendition",
    "PublicEvent",
    "RegistrationCancelled",
    "RegistrationConfirmed",
    "RegistrationPromoted",
    "RegistrationRef",
    "RegistrationWaitlisted",
    "SharedEvent",
    "SpokenLanguage",
    "Tag",
    "UpcomingEvent",
    "VenueCreate",
    "VenueRef",
    "attendance",
    "attended_earlier",
    "confirmed_starting",
    "create_venue",
    "event_list_item",
    "event_page",
    "event_summary",
    "events_held_by",
    "from_mask",
    "mark_no_shows",
    "masks_of",
    "open_upcoming",
    "registrants",
    "share_link",
    "upcoming_at_venue",
    "venue",
    "venues",
]


# --- venues ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VenueRef:
    id: uuid.UUID
    name: dict[str, str]
    community_id: uuid.UUID | None
    latitude: float
    longitude: float
    shared: bool = False  # any organiser may hold events there


def _venue(row: dict[str, Any]) -> VenueRef:
    community = row["community"]
    return VenueRef(
        id=as_uuid(row["id"]),
        name=row["name"] or {},
        community_id=as_uuid(community) if community else None,
        latitude=row["latitude"],
        longitude=row["longitude"],
        shared=row["shared"],
    )


_VENUE_COLUMNS = (Venue.id, Venue.name, Venue.community, Venue.latitude, Venue.longitude, Venue.shared)


async def venue(venue_id: uuid.UUID) -> VenueRef:
    """A venue, or 404 ``venue_not_found``."""
    row = await Venue.select(*_VENUE_COLUMNS).where(Venue.id == venue_id).output(load_json=True).first()
    if row is None:
        raise NotFound("venue_not_found", N_("This venue does not exist."))
    return _venue(row)


async def venues() -> list[VenueRef]:
    return [
        _venue(row) for row in await Venue.select(*_VENUE_COLUMNS).output(load_json=True).order_by(Venue.created_at)
    ]


# --- one event -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventSummary:
    """An event as a notice or a record names it: user content kept per locale."""

    id: uuid.UUID
    title: dict[str, str]
    starts_at: datetime
    ends_at: datetime
    status: str
    venue_name: dict[str, str]

    @property
    def published(self) -> bool:
        return self.status == EventStatus.published.value


async def event_summary(event_id: uuid.UUID) -> EventSummary | None:
    row = (
        await Event.select(
            Event.id, Event.title, Event.starts_at, Event.ends_at, Event.status, Event.venue.name.as_alias("venue_name")
        )
        .where(Event.id == event_id)
        .output(load_json=True)
        .first()
    )
    if row is None:
        return None
    return EventSummary(
        id=as_uuid(row["id"]),
        title=row["title"] or {},
        starts_at=row["starts_at"],
        ends_at=row["ends_at"],
        status=row["status"],
        venue_name=row["venue_name"] or {},
    )


@dataclass(frozen=True)
class UpcomingEvent:
    id: uuid.UUID
    title: dict[str, str]
    starts_at: datetime
    ends_at: datetime
    status: str


async def upcoming_at_venue(venue_id: uuid.UUID, *, now: datetime, limit: int = 5) -> list[UpcomingEvent]:
    """Published events at the venue that have not ended, soonest first."""
    rows = (
        await Event.select(Event.id, Event.title, Event.starts_at, Event.ends_at, Event.status)
        .where((Event.venue == venue_id) & (Event.status == EventStatus.published.value) & (Event.ends_at > now))
        .order_by(Event.starts_at)
        .limit(limit)
        .output(load_json=True)
    )
    return [
        UpcomingEvent(
            id=as_uuid(r["id"]),
            title=r["title"] or {},
            starts_at=r["starts_at"],
            ends_at=r["ends_at"],
            status=r["status"],
        )
        for r in rows
    ]


# --- registrations and attendance ------------------------------------------------------------------


@dataclass(frozen=True)
class Attendance:
    """A checked-in registration, with where the event happened."""

    registration_id: uuid.UUID
    user_id: uuid.UUID
    event_id: uuid.UUID
    event_title: dict[str, str]
    checked_in_at: datetime
    referred_by: uuid.UUID | None
    # The venue's community, else the event's own (None: neither says).
    community_id: uuid.UUID | None


async def attendance(registration_id: uuid.UUID) -> Attendance | None:
    """The registration if it was checked in (status attended), else None."""
    row = (
        await Registration.select(
            Registration.id,
            Registration.user,
            Registration.event,
            Registration.checked_in_at,
            Registration.referred_by,
            Registration.status,
            Registration.event.title,
            Registration.event.community,
            Registration.event._.venue._.community,  # ._ : the same join, typed
        )
        .output(load_json=True)
        .where(Registration.id == registration_id)
        .first()
    )
    if row is None or row["status"] != RegistrationStatus.attended.value or row["checked_in_at"] is None:
        return None
    community = row["event.venue.community"] or row["event.community"]
    return Attendance(
        registration_id=as_uuid(row["id"]),
        user_id=as_uuid(row["user"]),
        event_id=as_uuid(row["event"]),
        event_title=row["event.title"] or {},
        checked_in_at=row["checked_in_at"],
        referred_by=as_uuid(row["referred_by"]) if row["referred_by"] is not None else None,
        community_id=as_uuid(community) if community is not None else None,
    )


async def attended_earlier(found: Attendance) -> bool:
    """Whether the same person had another attendance checked in before this one."""
    return await Registration.exists().where(
        (Registration.user == found.user_id)
        & (Registration.id != found.registration_id)
        & (Registration.status == RegistrationStatus.attended.value)
        & (Registration.checked_in_at < found.checked_in_at)
    )


@dataclass(frozen=True)
class Place:
    registration_id: uuid.UUID
    user_id: uuid.UUID
    event_id: uuid.UUID


async def confirmed_starting(*, after: datetime, until: datetime) -> list[Place]:
    """Confirmed places in published events that start in (after, until]."""
    rows = await Registration.select(Registration.id, Registration.user, Registration.event).where(
        (Registration.status == RegistrationStatus.confirmed.value)
        & (Registration.event.status == EventStatus.published.value)
        & (Registration.event.starts_at > after)
        & (Registration.event.starts_at <= until)
    )
    return [Place(as_uuid(r["id"]), as_uuid(r["user"]), as_uuid(r["event"])) for r in rows]


async def registrants(event_id: uuid.UUID, *, registered_by: datetime) -> list[uuid.UUID]:
    """Who holds a place or a place in line now and had registered by ``registered_by``."""
    rows = await Registration.select(Registration.user).where(
        (Registration.event == event_id)
        & Registration.status.is_in([RegistrationStatus.confirmed.value, RegistrationStatus.waitlisted.value])
        & (Registration.created_at <= registered_by)
    )
    return sorted({as_uuid(row["user"]) for row in rows})


async def events_held_by(user_id: uuid.UUID, *, starting_after: datetime) -> list[uuid.UUID]:
    """Upcoming events the person holds a place (or a place in line) for, or attended already."""
    rows = await Registration.select(Registration.event).where(
        (Registration.user == user_id)
        & Registration.status.is_in(
            [RegistrationStatus.confirmed.value, RegistrationStatus.waitlisted.value, RegistrationStatus.attended.value]
        )
        & (Registration.event.starts_at > starting_after)
    )
    return [as_uuid(row["event"]) for row in rows]


# --- browsing for another domain's ranking ---------------------------------------------------------

_LIST_COLUMNS = (
    *Event.all_columns(),
    Event.venue.name.as_alias("venue_name"),
    Event.venue.latitude.as_alias("venue_latitude"),
    Event.venue.longitude.as_alias("venue_longitude"),
)


async def open_upcoming(
    *,
    starting_after: datetime,
    starting_before: datetime,
    excluding: Sequence[uuid.UUID] = (),
    box: tuple[float, float, float, float] | None = None,
    limit: int,
) -> list[dict[str, Any]]:
    """Published events one could still join (a seat or a waitlist, registration not closed),
    soonest first; ``box`` is (south, north, west, east). Rows as ``event_list_item`` takes them."""
    query = (
        Event.select(*_LIST_COLUMNS)
        .output(load_json=True)
        .where(
            (Event.status == EventStatus.published.value)
            & (Event.starts_at > starting_after)
            & (Event.starts_at < starting_before)
            & (Event.registration_closes_at.is_null() | (Event.registration_closes_at > starting_after))
        )
        .where(WhereRaw("(seats_taken < capacity OR waitlist_enabled = {})", True))
    )
    if excluding:
        query = query.where(Event.id.not_in(list(excluding)))
    if box is not None:
        south, north, west, east = box
        query = query.where(
            (Event.latitude >= south)
            & (Event.latitude <= north)
            & (Event.longitude >= west)
            & (Event.longitude <= east)
        )
    return await query.order_by(Event.starts_at, Event.id).limit(limit)


def masks_of(row: dict[str, Any]) -> tuple[set[str], set[str]]:
    """(spoken languages, audiences) of an ``open_upcoming`` row."""
    return set(from_mask(row["language_mask"], SPOKEN_LANGUAGES)), set(from_mask(row["audience_mask"], AUDIENCES))
