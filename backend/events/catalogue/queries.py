"""Reading the catalogue, scoped to who is asking: venues, one event, and the filtered, paginated
selects behind GET /events."""

from __future__ import annotations

import base64
import math
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import msgspec
from piccolo.columns.combination import WhereRaw
from piccolo.querystring import QueryString

from backend.accounts.api import Permission, may, scope_paths
from backend.core import clock
from backend.core.db import is_postgres
from backend.core.errors import DomainError, Forbidden, NotFound
from backend.core.geo import EARTH_RADIUS_M, distance_m
from backend.core.i18n import N_
from backend.events.catalogue.aiming import PlaceFilters, open_to
from backend.events.catalogue.tables import Event, EventStatus, Venue
from backend.events.catalogue.texts import search_key, search_words
from backend.events.catalogue.vocabulary import AUDIENCES, SPOKEN_LANGUAGES

MAX_RADIUS_M = 50_000


# --- venues and one event -----------------------------------------------------------------------


async def get_venue(venue_id: uuid.UUID) -> Venue:
    venue = await Venue.objects().output(load_json=True).where(Venue.id == venue_id).first()
    if venue is None:
        raise NotFound("venue_not_found", N_("This venue does not exist."))
    return venue


async def list_venues(*, community_id: uuid.UUID | None = None) -> list[Venue]:
    query = Venue.objects().output(load_json=True).order_by(Venue.created_at)
    if community_id is not None:
        query = query.where(Venue.community == community_id)
    return await query


async def get_event(*, event_id: uuid.UUID, user_id: uuid.UUID | None) -> Event:
    """A published (or past) event for anyone; a draft only for organisers in its scope."""
    event = await Event.objects().output(load_json=True).where(Event.id == event_id).first()
    if event is None:
        raise NotFound("event_not_found", N_("This event does not exist."))
    if event.status == EventStatus.draft.value and (
        user_id is None
        or not await may(user_id=user_id, permission=Permission.manage_events, organisation_id=event.organisation)
    ):
        raise NotFound("event_not_found", N_("This event does not exist."))
    return event


async def editable_event(*, user_id: uuid.UUID, event_id: uuid.UUID) -> Event:
    """An event the user may manage; another organisation's answers 404, like a missing one."""
    event = await Event.objects().output(load_json=True).where(Event.id == event_id).first()
    # Someone else's event answers like a missing one: ids of other organisations reveal nothing.
    if event is None or not await may(
        user_id=user_id, permission=Permission.manage_events, organisation_id=event.organisation
    ):
        raise NotFound("event_not_found", N_("This event does not exist."))
    return event


async def door_event(*, user_id: uuid.UUID, event_id: uuid.UUID) -> Event:
    """An event whose tickets the user may check in. A public event of others is 403 (everyone
    can see it exists); a draft of others answers like a missing one."""
    event = await Event.objects().output(load_json=True).where(Event.id == event_id).first()
    if event is None:
        raise NotFound("event_not_found", N_("This event does not exist."))
    if await may(user_id=user_id, permission=Permission.manage_events, organisation_id=event.organisation):
        return event
    if event.status == EventStatus.draft.value:
        raise NotFound("event_not_found", N_("This event does not exist."))
    raise Forbidden("check_in_forbidden", N_("Only the organisers of this event can check tickets in."))


# --- browsing ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventFilters:
    starts_from: datetime | None = None
    starts_to: datetime | None = None
    categories: tuple[str, ...] = ()
    venue_id: uuid.UUID | None = None
    community_id: uuid.UUID | None = None
    audience: str | None = None
    language: str | None = None
    free_seats: bool = False
    evenings_weekends: bool = False
    text: str | None = None
    near: tuple[float, float] | None = None
    radius_m: int = 5_000
    mine: bool = False  # staff: every status, within the caller's organisations
    statuses: tuple[str, ...] = field(default=())
    places: PlaceFilters | None = None  # aimed at places (issue 19): ``aiming_where``


@dataclass(frozen=True)
class EventRow:
    event: dict[str, Any]
    distance_m: int | None


class _Cursor(msgspec.Struct, array_like=True):
    starts_at: datetime | None = None
    id: uuid.UUID | None = None
    offset: int = 0


def encode_cursor(cursor: _Cursor) -> str:
    return base64.urlsafe_b64encode(msgspec.json.encode(cursor)).decode().rstrip("=")


def decode_cursor(text: str | None) -> _Cursor:
    if not text:
        return _Cursor()
    try:
        return msgspec.json.decode(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)), type=_Cursor)
    except (ValueError, msgspec.DecodeError):
        raise DomainError(
            "cursor_invalid", N_("This page link is not valid; start again from the first page."), status=400
        ) from None


def _needle(text: str) -> str:
    """What the stored ``search_text`` must contain: words in Latin script match from their
    start ("tea" finds "Tea Ceremony", not "steady": the needle is " tea"); anything else
    (Chinese, Japanese, Korean, written as ``texts.search_key`` codes) matches anywhere."""
    query = search_words(text)
    return f" {search_key(query)}" if query[:1].isascii() and query[:1].isalnum() else search_key(query)


def _like_pattern(text: str) -> str:
    """The needle anywhere; % and _ are literal."""
    escaped = _needle(text).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# SQLite answers a needle of three characters or more from its FTS5 trigram index (the
# events migration "search index" keeps it in step by triggers); a shorter one (a single
# Latin letter, "%", "_b") is rare and scans. PostgreSQL's pg_trgm GIN index serves the LIKE
# itself (and its planner, with statistics, chooses between it and the time order).
_FTS_MIN = 3
# SQLite has no statistics to choose by, so it is told: a needle with fewer hits than this is
# read from the index hit by hit and sorted (a search that finds nothing reads nothing); a
# common one walks published events in time order, checked by LIKE, and stops at a page.
_FEW_HITS = 1_000


@dataclass(frozen=True)
class _TextClause:
    clause: Any
    from_index: bool  # the rows come from the text index: the time-order index must not be used


async def _text_clause(text: str) -> _TextClause:
    needle = _needle(text)
    if is_postgres(Event._meta.db) or len(needle) < _FTS_MIN or "\x00" in needle:  # FTS5 ends strings at NUL
        return _TextClause(WhereRaw("search_text LIKE {} ESCAPE '\\'", _like_pattern(text)), from_index=False)
    phrase = '"' + needle.replace('"', '""') + '"'
    [hits] = await Event.raw(
        "SELECT count(*) AS n FROM (SELECT rowid FROM event_event_search WHERE event_event_search MATCH {} LIMIT {})",
        phrase,
        _FEW_HITS,
    )
    if hits["n"] >= _FEW_HITS:
        # Common: in time order, a page is found within a few hundred rows, each checked by LIKE
        # (an IN over the index's hits would first collect every one of them).
        return _TextClause(WhereRaw("search_text LIKE {} ESCAPE '\\'", _like_pattern(text)), from_index=False)
    clause = WhereRaw(
        '"event_event".rowid IN (SELECT rowid FROM event_event_search WHERE event_event_search MATCH {})', phrase
    )
    return _TextClause(clause, from_index=True)


async def browse_where(filters: EventFilters, user_id: uuid.UUID | None) -> list[Any]:
    clauses: list[Any] = []
    text: _TextClause | None = None
    if filters.mine:
        paths = await scope_paths(user_id=user_id, permission=Permission.manage_events) if user_id else []
        if not paths:
            return [WhereRaw("1 = 0")]
        scope = Event.organisation.path.like(paths[0] + "%")
        for path in paths[1:]:
            scope = scope | Event.organisation.path.like(path + "%")
        clauses.append(scope)
        if filters.statuses:
            clauses.append(Event.status.is_in(list(filters.statuses)))
    else:
        # Residents see published events that have not ended yet.
        text = await _text_clause(filters.text) if filters.text else None
        if filters.near or (text is not None and text.from_index):
            # Written so no index can serve it: without statistics SQLite would walk every
            # published event by the status index instead of the venues' events (_list_near)
            # or the few rows the text index found.
            clauses.append(WhereRaw('("event_event"."status" || \'\') = {}', EventStatus.published.value))
        else:
            clauses.append(Event.status == EventStatus.published.value)
        clauses.append(Event.ends_at > clock.now())
    if filters.starts_from:
        clauses.append(Event.starts_at >= filters.starts_from)
    if filters.starts_to:
        clauses.append(Event.starts_at < filters.starts_to)
    if filters.categories:
        clauses.append(Event.category.is_in(list(filters.categories)))
    if filters.venue_id:
        clauses.append(Event.venue == filters.venue_id)
    if filters.community_id:
        clauses.append(Event.community == filters.community_id)
    if filters.audience:
        clauses.append(WhereRaw("(audience_mask & {}) != 0", 1 << AUDIENCES.index(filters.audience)))
    if filters.language:
        clauses.append(WhereRaw("(language_mask & {}) != 0", 1 << SPOKEN_LANGUAGES.index(filters.language)))
    if filters.free_seats:
        clauses.append(WhereRaw("seats_taken < capacity"))
    if filters.evenings_weekends:
        clauses.append(Event.evening_or_weekend == True)  # noqa: E712
    if filters.text:
        clauses.append((text or await _text_clause(filters.text)).clause)
    if filters.places is not None:
        clauses.extend(aiming_where(filters.places))
    return clauses


def aiming_where(places: PlaceFilters) -> list[Any]:
    """``alliance``, ``fellowship`` and ``for_my_estate``."""
    clauses: list[Any] = []
    if places.alliance_id is not None:
        clauses.append(Event.aim_alliance == places.alliance_id)
    if places.fellowship is not None:
        clauses.append(Event.fellowship == places.fellowship)
    if places.home_set:
        clauses.append(open_to(places.home))
    return clauses


# What a list item is made of (``presenters.list_item``) and nothing more: a list never carries
# descriptions, contacts or recurrence rules, so it neither fetches nor decodes them.
_COLUMNS = (
    Event.id,
    Event.title,
    Event.summary,
    Event.price_note,
    Event.poster,
    Event.category,
    Event.status,
    Event.starts_at,
    Event.ends_at,
    Event.capacity,
    Event.seats_taken,
    Event.waitlist_count,
    Event.is_free,
    Event.audience_mask,
    Event.language_mask,
    Event.accessibility_mask,
    Event.series,
    Event.max_party_size,
    Event.venue,
    Event.latitude,
    Event.longitude,
    Event.venue.name.as_alias("venue_name"),
    Event.venue.latitude.as_alias("venue_latitude"),
    Event.venue.longitude.as_alias("venue_longitude"),
    Event.aim,
    Event.aim_alliance,
    Event.aim_grid,
    Event.fellowship,
)
_JSON_COLUMNS = ("title", "summary", "price_note", "poster", "venue_name")


def _select() -> Any:
    return Event.select(*_COLUMNS)


def _decoded(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The JSON columns as dicts; msgspec decodes them several times faster than Piccolo's
    ``load_json`` (the standard library's json), which showed in the list's profile."""
    for row in rows:
        for name in _JSON_COLUMNS:
            value = row[name]
            if isinstance(value, (str, bytes)):
                row[name] = msgspec.json.decode(value)
    return rows


async def list_events(
    *, filters: EventFilters, user_id: uuid.UUID | None, cursor: str | None, limit: int
) -> tuple[list[EventRow], str | None]:
    """One page in time order (or by distance with ``near``), and the cursor of the next."""
    position = decode_cursor(cursor)
    clauses = await browse_where(filters, user_id)
    if filters.near:
        return await _list_near(filters, clauses, position, limit)
    query = _select()
    for clause in clauses:
        query = query.where(clause)
    if position.starts_at is not None and position.id is not None:
        query = query.where(
            (Event.starts_at > position.starts_at)
            | ((Event.starts_at == position.starts_at) & (Event.id > position.id))
        )
    rows = await query.order_by(Event.starts_at, Event.id).limit(limit + 1)
    page = _decoded(rows[:limit])
    next_cursor = None
    if len(rows) > limit:
        last = page[-1]
        next_cursor = encode_cursor(_Cursor(starts_at=last["starts_at"], id=last["id"]))
    return [EventRow(row, None) for row in page], next_cursor


async def _venues_near(lat: float, lng: float, radius_m: int) -> list[tuple[float, uuid.UUID]]:
    """The venues within the radius, nearest first, as (squared equirectangular distance in
    degrees, id): few rows, read through the venues' (latitude, longitude) index."""
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    dlng = math.degrees(radius_m / (EARTH_RADIUS_M * max(math.cos(math.radians(lat)), 0.01)))
    rows = await Venue.select(Venue.id, Venue.latitude, Venue.longitude).where(
        (Venue.latitude >= lat - dlat)
        & (Venue.latitude <= lat + dlat)
        & (Venue.longitude >= lng - dlng)
        & (Venue.longitude <= lng + dlng)
    )
    squeeze = math.cos(math.radians(lat)) ** 2
    within = dlat**2
    found = []
    for row in rows:
        squared = (row["latitude"] - lat) ** 2 + (row["longitude"] - lng) ** 2 * squeeze
        if squared <= within:
            found.append((squared, row["id"]))
    found.sort()
    return found


async def _list_near(
    filters: EventFilters, clauses: list[Any], position: _Cursor, limit: int
) -> tuple[list[EventRow], str | None]:
    """Nearest first, then earliest. Venues first: the few within the radius, nearest first
    (``_venues_near``); then the events of the nearest venues only, through the events' (venue,
    starts_at, id) index, taking more venues (four times as many each time) until the page is
    full or every venue is in. An event stands where its venue stands (its coordinates are
    copied from the venue when it is written), so the events of the venues taken so far come
    before any other's: the page is the one a sort of every event in the circle would give.
    The database orders by an equirectangular distance (plain arithmetic both engines
    evaluate, within a fraction of a metre of the great circle at a city's scale); the distance
    shown is the great-circle one."""
    assert filters.near is not None
    lat, lng = filters.near
    venues = await _venues_near(lat, lng, filters.radius_m)
    offset = max(0, position.offset)
    if not venues:
        return [], None
    squared = QueryString(
        '(("event_event"."latitude" - {}) * ("event_event"."latitude" - {})'
        ' + ("event_event"."longitude" - {}) * ("event_event"."longitude" - {}) * {})',
        lat,
        lat,
        lng,
        lng,
        math.cos(math.radians(lat)) ** 2,
    )
    radius_degrees = math.degrees(filters.radius_m / EARTH_RADIUS_M)
    taken = 1
    while True:
        # Venues as far as the last one taken belong together: the page may interleave them.
        while taken < len(venues) and venues[taken][0] == venues[taken - 1][0]:
            taken += 1
        query = _select()
        for clause in clauses:
            query = query.where(clause)
        query = query.where(Event.venue.is_in([venue for _, venue in venues[:taken]])).where(
            WhereRaw("{} <= {}", squared, radius_degrees**2)
        )
        # One venue: one distance, so time order alone, which the (venue, starts_at, id) index
        # gives without reading and sorting the venue's every event.
        order = (Event.starts_at, Event.id) if taken == 1 else (squared, Event.starts_at, Event.id)
        rows = await query.order_by(*order).offset(offset).limit(limit + 1)
        if len(rows) > limit or taken >= len(venues):
            break
        taken = min(len(venues), taken * 4)
    page = _decoded(rows[:limit])
    next_cursor = encode_cursor(_Cursor(offset=offset + limit)) if len(rows) > limit else None
    return [EventRow(row, round(distance_m(lat, lng, row["latitude"], row["longitude"]))) for row in page], next_cursor
