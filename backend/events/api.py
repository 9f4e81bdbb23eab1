"""The events domain's public face: what it announces (typed signal payloads) and what the domains
after it may read (venues, an event's summary, attendances, registrants, upcoming events, and
what the public pages show: ``event_page``, ``share_link``).

Later domains import this module, never events' tables or internals.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from piccolo.columns.combination import WhereRaw
from piccolo.query.functions.aggregate import Sum

from backend.accounts.api import OrganisationRef, Permission, organisations_under, scope_paths
from backend.core import clock
from backend.core.errors import NotFound
from backend.core.i18n import CITY_TZ, N_
from backend.core.values import as_uuid
from backend.events.catalogue.aiming import open_to
from backend.events.catalogue.aiming import views as aim_views
from backend.events.catalogue.posters import remove_poster, set_poster
from backend.events.catalogue.presenters import list_item as event_list_item
from backend.events.catalogue.presenters import poster_urls
from backend.events.catalogue.queries import MAX_RADIUS_M, EventFilters, browse_where, door_event, editable_event
from backend.events.catalogue.schemas import (
    AccessibilityCode,
    AudienceCode,
    CategoryCode,
    EventBrief,
    EventCreate,
    EventListItem,
    EventUpdate,
    SpokenLanguage,
    VenueCreate,
)
from backend.events.catalogue.services import (
    cancel_event,
    complete_event,
    create_events,
    create_venue,
    publish_event,
    update_event,
)
from backend.events.catalogue.tables import Event, EventStatus, Venue
from backend.events.catalogue.texts import texts
from backend.events.catalogue.vocabulary import (
    ACCESSIBILITY,
    ACCESSIBILITY_NAMES,
    AUDIENCE_NAMES,
    AUDIENCES,
    SPOKEN_LANGUAGES,
    category_name,
    from_mask,
    language_name,
)
from backend.events.pages import PosterRendition, PublicEvent, SharedEvent, Tag, event_page, share_link
from backend.events.registrations.door import CheckIn, check_in, mark_no_shows
from backend.events.registrations.presenters import REGISTRATION_STATUS_NAMES, attendees_csv, check_in_read
from backend.events.registrations.queries import Attendee
from backend.events.registrations.services import attendee_list
from backend.events.registrations.tables import Registration, RegistrationStatus
from backend.events.schemas import CheckInRead
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
from backend.places.api import home_of

__all__ = [
    "ACCESSIBILITY",
    "ACCESSIBILITY_NAMES",
    "AUDIENCES",
    "AUDIENCE_NAMES",
    "MAX_RADIUS_M",
    "ORGANISER_STATES",
    "REGISTRATION_STATUS_NAMES",
    "SPOKEN_LANGUAGES",
    "AccessibilityCode",
    "Attendance",
    "AttendanceRecorded",
    "Attendee",
    "AudienceCode",
    "CategoryCode",
    "CheckIn",
    "CheckInRead",
    "DoorEvent",
    "EditableEvent",
    "EventBrief",
    "EventCancelled",
    "EventChanged",
    "EventCreate",
    "EventListItem",
    "EventSummary",
    "EventUpdate",
    "OrganiserEvent",
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
    "TodayAtDoor",
    "UpcomingEvent",
    "VenueCreate",
    "VenueRef",
    "attendance",
    "attended_earlier",
    "attendee_list",
    "attendees_csv",
    "cancel_event",
    "category_name",
    "check_in",
    "check_in_read",
    "complete_event",
    "confirmed_starting",
    "create_events",
    "create_venue",
    "door",
    "editable",
    "event_list_item",
    "event_list_items",
    "event_page",
    "event_summary",
    "events_held_by",
    "events_today",
    "from_mask",
    "language_name",
    "mark_no_shows",
    "masks_of",
    "open_upcoming",
    "organiser_events",
    "organising_organisations",
    "publish_event",
    "registrants",
    "remove_poster",
    "set_poster",
    "share_link",
    "upcoming_at_venue",
    "update_event",
    "venue",
    "venues",
    "venues_in_scope",
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
    open_to_user: uuid.UUID | None = None,
    limit: int,
) -> list[dict[str, Any]]:
    """Published events one could still join (a seat or a waitlist, registration not closed),
    soonest first; ``box`` is (south, north, west, east); with ``open_to_user``, only those that
    person may sign up for by where they live (everyone's, and those aimed at their estate,
    alliance or grids: the sign-up's own rule). Rows as ``event_list_item`` takes them."""
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
    if open_to_user is not None:
        query = query.where(open_to(await home_of(open_to_user)))
    return await query.order_by(Event.starts_at, Event.id).limit(limit)


async def event_list_items(
    rows: Sequence[dict[str, Any]], distances: Sequence[int | None] | None = None
) -> list[EventListItem]:
    """List items of ``open_upcoming`` rows with whom each is for, named (the places' names are
    read for the whole list at once), as the API's own event list shows them."""
    found = await aim_views(rows)
    spans = distances or [None] * len(rows)
    return [event_list_item(row, span, found[as_uuid(row["id"])]) for row, span in zip(rows, spans, strict=True)]


def masks_of(row: dict[str, Any]) -> tuple[set[str], set[str]]:
    """(spoken languages, audiences) of an ``open_upcoming`` row."""
    return set(from_mask(row["language_mask"], SPOKEN_LANGUAGES)), set(from_mask(row["audience_mask"], AUDIENCES))


# --- the organisers' console (backend/web/console/events_controllers.py) ---------------------------
# The console calls the same services as the API's controllers (re-exported here), and reads an
# organiser's own events through the functions below, each scoped by the same permission.


@dataclass(frozen=True)
class OrganiserEvent:
    """A row of the organiser's list: content per locale, seats and the line."""

    id: uuid.UUID
    title: dict[str, str]
    status: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    seats_taken: int
    waitlist_count: int
    venue_name: dict[str, str]

    @property
    def past(self) -> bool:
        return self.ends_at <= clock.now()


# The list's states: what organisers ask for, not the stored status alone ("past" is published or
# completed and over; "published" is published and not over yet).
ORGANISER_STATES = ("draft", "published", "past", "cancelled")
ORGANISER_SORTS = {"starts_at": Event.starts_at, "seats_taken": Event.seats_taken, "status": Event.status}


def _state_clauses(state: str | None) -> list[Any]:
    now = clock.now()
    if state == "draft":
        return [Event.status == EventStatus.draft.value]
    if state == "published":
        return [Event.status == EventStatus.published.value, Event.ends_at > now]
    if state == "past":
        return [
            Event.status.is_in([EventStatus.published.value, EventStatus.completed.value]),
            (Event.ends_at <= now) | (Event.status == EventStatus.completed.value),
        ]
    if state == "cancelled":
        return [Event.status == EventStatus.cancelled.value]
    return []


@dataclass(frozen=True)
class TodayAtDoor:
    """The console's home card: today's events (in Suzhou) the person organises, how many have
    arrived at their doors and how many seats are taken."""

    events: int
    arrived: int
    seats_taken: int


async def events_today(*, user_id: uuid.UUID) -> TodayAtDoor:
    """Counts only, over the events ``organiser_events`` lists (the same scope as ``GET /events?mine``):
    published or completed, starting today in the city; arrivals are checked-in parties' people."""
    today = clock.city_today()
    start = datetime.combine(today, time(), tzinfo=CITY_TZ).astimezone(UTC)
    clauses = await browse_where(EventFilters(mine=True), user_id)
    clauses += [
        Event.status.is_in([EventStatus.published.value, EventStatus.completed.value]),
        Event.starts_at >= start,  # in UTC: SQLite compares the stored text
        Event.starts_at < start + timedelta(days=1),
    ]
    query = Event.select(Event.id, Event.seats_taken)
    for clause in clauses:
        query = query.where(clause)
    rows = await query
    if not rows:
        return TodayAtDoor(0, 0, 0)
    arrived = await Registration.select(Sum(Registration.party_size).as_alias("people")).where(
        Registration.event.is_in([row["id"] for row in rows])
        & (Registration.status == RegistrationStatus.attended.value)
    )
    return TodayAtDoor(len(rows), int(arrived[0]["people"] or 0), sum(row["seats_taken"] for row in rows))


async def organiser_events(
    *,
    user_id: uuid.UUID,
    state: str | None = None,
    text: str | None = None,
    sort: str = "starts_at",
    descending: bool = False,
    offset: int = 0,
    limit: int = 25,
) -> tuple[list[OrganiserEvent], int]:
    """Every event of the organisations where the user may manage events (as ``GET /events?mine``
    scopes it), by state and words, one page and the total."""
    clauses = await browse_where(EventFilters(mine=True, text=(text or "").strip() or None), user_id)
    clauses += _state_clauses(state)
    rows_query = Event.select(
        Event.id,
        Event.title,
        Event.status,
        Event.starts_at,
        Event.ends_at,
        Event.capacity,
        Event.seats_taken,
        Event.waitlist_count,
        Event.venue.name.as_alias("venue_name"),
    ).output(load_json=True)
    count_query = Event.count()
    for clause in clauses:
        rows_query = rows_query.where(clause)
        count_query = count_query.where(clause)
    order = ORGANISER_SORTS.get(sort, Event.starts_at)
    rows = await rows_query.order_by(order, ascending=not descending).order_by(Event.id).offset(offset).limit(limit)
    events = [
        OrganiserEvent(
            **{**row, "id": as_uuid(row["id"]), "title": row["title"] or {}, "venue_name": row["venue_name"] or {}}
        )
        for row in rows
    ]
    return events, await count_query


@dataclass(frozen=True)
class EditableEvent:
    """An event as its organisers edit it: every field, content per locale, and the counts the
    console shows beside it (``to_notify``: confirmed and waitlisted sign-ups a cancellation tells)."""

    id: uuid.UUID
    organisation_id: uuid.UUID
    venue_id: uuid.UUID
    venue_name: dict[str, str]
    series_id: uuid.UUID | None
    status: str
    category: str
    title: dict[str, str]
    summary: dict[str, str]
    description: dict[str, str]
    price_note: dict[str, str]
    starts_at: datetime
    ends_at: datetime
    registration_opens_at: datetime | None
    registration_closes_at: datetime | None
    capacity: int
    seats_taken: int
    waitlist_count: int
    max_party_size: int
    waitlist_enabled: bool
    audiences: list[str]
    languages: list[str]
    accessibility: list[str]
    is_free: bool
    contact_name: str
    contact_phone: str
    poster_urls: dict[str, str]
    to_notify: int

    @property
    def past(self) -> bool:
        return self.ends_at <= clock.now()

    @property
    def closed(self) -> bool:
        return self.status in (EventStatus.cancelled.value, EventStatus.completed.value)


async def editable(*, user_id: uuid.UUID, event_id: uuid.UUID) -> EditableEvent:
    """An event the user may manage (404 for another organisation's, as in the API)."""
    event = await editable_event(user_id=user_id, event_id=event_id)
    place = await venue(event.venue)
    to_notify = await Registration.count().where(
        (Registration.event == event.id)
        & Registration.status.is_in([RegistrationStatus.confirmed.value, RegistrationStatus.waitlisted.value])
    )
    return EditableEvent(
        id=event.id,
        organisation_id=event.organisation,
        venue_id=event.venue,
        venue_name=place.name,
        series_id=event.series,
        status=event.status,
        category=event.category,
        title=dict(texts(event.title)),
        summary=dict(texts(event.summary)),
        description=dict(texts(event.description)),
        price_note=dict(texts(event.price_note)),
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        registration_opens_at=event.registration_opens_at,
        registration_closes_at=event.registration_closes_at,
        capacity=event.capacity,
        seats_taken=event.seats_taken,
        waitlist_count=event.waitlist_count,
        max_party_size=event.max_party_size,
        waitlist_enabled=event.waitlist_enabled,
        audiences=from_mask(event.audience_mask, AUDIENCES),
        languages=from_mask(event.language_mask, SPOKEN_LANGUAGES),
        accessibility=from_mask(event.accessibility_mask, ACCESSIBILITY),
        is_free=event.is_free,
        contact_name=event.contact_name,
        contact_phone=event.contact_phone,
        poster_urls=poster_urls(event.poster),
        to_notify=to_notify,
    )


async def organising_organisations(user_id: uuid.UUID) -> list[OrganisationRef]:
    """Where the user may create events (every organisation under a role with manage_events),
    retired ones left out."""
    found: dict[uuid.UUID, OrganisationRef] = {}
    for path in await scope_paths(user_id=user_id, permission=Permission.manage_events):
        for ref in await organisations_under(path):
            if not ref.retired:
                found[ref.id] = ref
    return sorted(found.values(), key=lambda ref: ref.path)


async def venues_in_scope(user_id: uuid.UUID) -> list[VenueRef]:
    """Venues the user could hold an event at (``check_venue_in_scope`` decides on saving):
    shared ones, those kept inside the user's scope, and those kept above it."""
    paths = await scope_paths(user_id=user_id, permission=Permission.manage_events)
    rows = (
        await Venue.select(*_VENUE_COLUMNS, Venue.organisation.path.as_alias("keeper_path"))
        .output(load_json=True)
        .order_by(Venue.created_at)
    )
    return [
        _venue(row)
        for row in rows
        if row["shared"] or any(row["keeper_path"].startswith(p) or p.startswith(row["keeper_path"]) for p in paths)
    ]


@dataclass(frozen=True)
class DoorEvent:
    id: uuid.UUID
    title: dict[str, str]
    starts_at: datetime
    ends_at: datetime
    status: str
    capacity: int
    seats_taken: int
    arrived: int  # people (party sizes added up) checked in


async def door(*, user_id: uuid.UUID, event_id: uuid.UUID) -> DoorEvent:
    """The event at its door, for whoever may check its tickets in (403/404 as the API's check-in),
    with the people arrived so far."""
    event = await door_event(user_id=user_id, event_id=event_id)
    rows = await Registration.select(Registration.party_size).where(
        (Registration.event == event.id) & (Registration.status == RegistrationStatus.attended.value)
    )
    return DoorEvent(
        id=event.id,
        title=dict(texts(event.title)),
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        status=event.status,
        capacity=event.capacity,
        seats_taken=event.seats_taken,
        arrived=sum(row["party_size"] for row in rows),
    )
