"""Reading the catalogue, scoped to who is asking: venues, one event, and the filtered, paginated
selects behind GET /events."""

from __future__ import annotations

import base64
import math
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import msgspec
from piccolo.columns.combination import WhereRaw

from backend.accounts.api import Permission, may, scope_paths
from backend.core import clock
from backend.core.db import fetch, is_postgres
from backend.core.errors import DomainError, Forbidden, NotFound
from backend.core.geo import EARTH_RADIUS_M, distance_m
from backend.core.i18n import N_
from backend.events.catalogue.aiming import PlaceFilters
from backend.events.catalogue.tables import AimKind, Event, EventStatus, Venue
from backend.events.catalogue.texts import search_key, search_words
from backend.events.catalogue.vocabulary import AUDIENCES, SPOKEN_LANGUAGES
from backend.places.api import Home

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
    places: PlaceFilters | None = None  # aimed at places (issue 19): ``aiming_conditions``


@dataclass(frozen=True)
class EventRow:
    event: Mapping[str, Any]  # the list's columns as the driver gives them (JSON columns as text)
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
class Sql:
    """A condition written as SQL, ``{}`` for each of its values. The list's SQL is made of these
    (its text depends only on the question's shape, so it compiles once per shape:
    ``backend.core.db.compiled``); ``browse_where`` hands the same conditions to Piccolo."""

    text: str
    values: tuple[Any, ...] = ()


def _is_in(column: str, values: Sequence[Any]) -> Sql:
    return Sql(f"{column} IN ({', '.join('{}' for _ in values)})", tuple(values))


@dataclass(frozen=True)
class _TextClause:
    clause: Sql
    from_index: bool  # the rows come from the text index: the time-order index must not be used


def _like(text: str) -> Sql:
    return Sql('"event_event"."search_text" LIKE {} ESCAPE \'\\\'', (_like_pattern(text),))


async def _text_clause(text: str) -> _TextClause:
    needle = _needle(text)
    engine = Event._meta.db
    if is_postgres(engine) or len(needle) < _FTS_MIN or "\x00" in needle:  # FTS5 ends strings at NUL
        return _TextClause(_like(text), from_index=False)
    phrase = '"' + needle.replace('"', '""') + '"'
    [hits] = await fetch(
        engine,
        "SELECT count(*) AS n FROM (SELECT rowid FROM event_event_search WHERE event_event_search MATCH {} LIMIT {})",
        (phrase, _FEW_HITS),
    )
    if hits["n"] >= _FEW_HITS:
        # Common: in time order, a page is found within a few hundred rows, each checked by LIKE
        # (an IN over the index's hits would first collect every one of them).
        return _TextClause(_like(text), from_index=False)
    clause = Sql(
        '"event_event".rowid IN (SELECT rowid FROM event_event_search WHERE event_event_search MATCH {})', (phrase,)
    )
    return _TextClause(clause, from_index=True)


def _organisations_table() -> str:
    """The organisations' table, named through the events' foreign key (its domain's tables are
    its own to import)."""
    return str(Event.organisation._foreign_key_meta.resolved_references._meta.tablename)


async def browse_conditions(filters: EventFilters, user_id: uuid.UUID | None) -> list[Sql]:
    """The list's WHERE, one condition each, every column named with its table (the list joins
    the venue, whose columns share some names)."""
    conditions: list[Sql] = []
    text: _TextClause | None = None
    if filters.mine:
        paths = await scope_paths(user_id=user_id, permission=Permission.manage_events) if user_id else []
        if not paths:
            return [Sql("1 = 0")]
        within = " OR ".join('"path" LIKE {}' for _ in paths)
        conditions.append(
            Sql(
                f'"event_event"."organisation" IN (SELECT "id" FROM "{_organisations_table()}" WHERE {within})',
                tuple(path + "%" for path in paths),
            )
        )
        if filters.statuses:
            conditions.append(_is_in('"event_event"."status"', filters.statuses))
    else:
        # Residents see published events that have not ended yet.
        text = await _text_clause(filters.text) if filters.text else None
        if (filters.near or (text is not None and text.from_index)) and not is_postgres(Event._meta.db):
            # Written so no index can serve it: without statistics SQLite would walk every
            # published event by the status index instead of the venues' events (_list_near)
            # or the few rows the text index found. Not on PostgreSQL: there the expression hid
            # the status's statistics, the planner counted one event near a venue instead of
            # hundreds, and read and sorted all of them instead of taking the first in time
            # order from the (venue, starts_at, id) index (3-10 ms a page at 300,000 events,
            # against 0.3 ms).
            conditions.append(Sql('("event_event"."status" || \'\') = {}', (EventStatus.published.value,)))
        else:
            conditions.append(Sql('"event_event"."status" = {}', (EventStatus.published.value,)))
        conditions.append(Sql('"event_event"."ends_at" > {}', (clock.now(),)))
    if filters.starts_from:
        conditions.append(Sql('"event_event"."starts_at" >= {}', (filters.starts_from,)))
    if filters.starts_to:
        conditions.append(Sql('"event_event"."starts_at" < {}', (filters.starts_to,)))
    if filters.categories:
        conditions.append(_is_in('"event_event"."category"', filters.categories))
    if filters.venue_id:
        conditions.append(Sql('"event_event"."venue" = {}', (filters.venue_id,)))
    if filters.community_id:
        conditions.append(Sql('"event_event"."community" = {}', (filters.community_id,)))
    if filters.audience:
        conditions.append(Sql('("event_event"."audience_mask" & {}) != 0', (1 << AUDIENCES.index(filters.audience),)))
    if filters.language:
        mask = 1 << SPOKEN_LANGUAGES.index(filters.language)
        conditions.append(Sql('("event_event"."language_mask" & {}) != 0', (mask,)))
    if filters.free_seats:
        conditions.append(Sql('"event_event"."seats_taken" < "event_event"."capacity"'))
    if filters.evenings_weekends:
        conditions.append(Sql('"event_event"."evening_or_weekend" = {}', (True,)))
    if filters.text:
        conditions.append((text or await _text_clause(filters.text)).clause)
    if filters.places is not None:
        conditions.extend(aiming_conditions(filters.places))
    return conditions


async def browse_where(filters: EventFilters, user_id: uuid.UUID | None) -> list[Any]:
    """``browse_conditions`` as Piccolo clauses, for queries of events built with Piccolo."""
    return [WhereRaw(f"({c.text})", *c.values) for c in await browse_conditions(filters, user_id)]


def aiming_conditions(places: PlaceFilters) -> list[Sql]:
    """``alliance``, ``fellowship`` and ``for_my_estate`` (as ``aiming.open_to`` says it)."""
    conditions: list[Sql] = []
    if places.alliance_id is not None:
        conditions.append(Sql('"event_event"."aim_alliance" = {}', (places.alliance_id,)))
    if places.fellowship is not None:
        conditions.append(Sql('"event_event"."fellowship" = {}', (places.fellowship,)))
    if places.home_set:
        conditions.append(_open_to(places.home))
    return conditions


def _open_to(home: Home | None) -> Sql:
    """Events open to everyone or aimed at the resident's estate, alliance or grids: the SQL of
    ``aiming.open_to``."""
    if home is None:
        return Sql('"event_event"."aim" = {}', (AimKind.everyone.value,))
    text = (
        '("event_event"."aim" = {} OR ("event_event"."aim" = {} AND "event_event"."id" IN'
        " (SELECT event FROM event_estate WHERE estate = {}))"
    )
    values: list[Any] = [AimKind.everyone.value, AimKind.estates.value, home.estate_id]
    if home.alliance_id is not None:
        text += ' OR ("event_event"."aim" = {} AND "event_event"."aim_alliance" = {})'
        values += [AimKind.alliance.value, home.alliance_id]
    if home.grid_ids:
        grids = _is_in('"event_event"."aim_grid"', sorted(home.grid_ids))
        text += f' OR ("event_event"."aim" = {{}} AND {grids.text})'
        values += [AimKind.grid.value, *grids.values]
    return Sql(text + ")", tuple(values))


# What a list item is made of (``presenters.list_item``) and nothing more: a list never carries
# descriptions, contacts or recurrence rules, so it neither fetches nor decodes them. Written
# out as the SQL Piccolo would build for these columns and the venue's join: built once, not on
# every request (building it took longer than running it, in the list's profile).
_LIST_COLUMNS = (
    "id",
    "title",
    "summary",
    "price_note",
    "poster",
    "category",
    "status",
    "starts_at",
    "ends_at",
    "capacity",
    "seats_taken",
    "waitlist_count",
    "is_free",
    "audience_mask",
    "language_mask",
    "accessibility_mask",
    "series",
    "max_party_size",
    "venue",
    "latitude",
    "longitude",
    "aim",
    "aim_alliance",
    "aim_grid",
    "fellowship",
)
_LIST_SELECT = (
    "SELECT "
    + ", ".join(f'"event_event"."{name}" AS "{name}"' for name in _LIST_COLUMNS)
    + ', "v"."name" AS "venue_name", "v"."latitude" AS "venue_latitude", "v"."longitude" AS "venue_longitude"'
    ' FROM "event_event" LEFT JOIN "event_venue" "v" ON ("event_event"."venue" = "v"."id")'
)


async def _rows(conditions: Sequence[Sql], tail: str, *tail_values: Any) -> Sequence[Mapping[str, Any]]:
    """The list's columns for events meeting every condition, then ``tail`` (order, limit)."""
    where = " AND ".join(f"({condition.text})" for condition in conditions)
    values = [value for condition in conditions for value in condition.values]
    template = f"{_LIST_SELECT} WHERE {where} {tail}" if where else f"{_LIST_SELECT} {tail}"
    return await fetch(Event._meta.db, template, [*values, *tail_values])


async def list_events(
    *, filters: EventFilters, user_id: uuid.UUID | None, cursor: str | None, limit: int
) -> tuple[list[EventRow], str | None]:
    """One page in time order (or by distance with ``near``), and the cursor of the next."""
    position = decode_cursor(cursor)
    conditions = await browse_conditions(filters, user_id)
    if filters.near:
        return await _list_near(filters, conditions, position, limit)
    if position.starts_at is not None and position.id is not None:
        conditions.append(
            Sql(
                '"event_event"."starts_at" > {} OR ("event_event"."starts_at" = {} AND "event_event"."id" > {})',
                (position.starts_at, position.starts_at, position.id),
            )
        )
    rows = await _rows(conditions, 'ORDER BY "event_event"."starts_at", "event_event"."id" LIMIT {}', limit + 1)
    page = rows[:limit]
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
    rows = await fetch(
        Venue._meta.db,
        'SELECT "id", "latitude", "longitude" FROM "event_venue"'
        ' WHERE "latitude" >= {} AND "latitude" <= {} AND "longitude" >= {} AND "longitude" <= {}',
        (lat - dlat, lat + dlat, lng - dlng, lng + dlng),
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


_SQUARED = (
    '(("event_event"."latitude" - {}) * ("event_event"."latitude" - {})'
    ' + ("event_event"."longitude" - {}) * ("event_event"."longitude" - {}) * {})'
)


async def _list_near(
    filters: EventFilters, conditions: list[Sql], position: _Cursor, limit: int
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
    squared_values = (lat, lat, lng, lng, math.cos(math.radians(lat)) ** 2)
    radius_degrees = math.degrees(filters.radius_m / EARTH_RADIUS_M)
    within = Sql(f"{_SQUARED} <= {{}}", (*squared_values, radius_degrees**2))
    tail_values: tuple[float, ...]
    taken = 1
    while True:
        # Venues as far as the last one taken belong together: the page may interleave them.
        while taken < len(venues) and venues[taken][0] == venues[taken - 1][0]:
            taken += 1
        near = [*conditions, _is_in('"event_event"."venue"', [venue for _, venue in venues[:taken]]), within]
        if taken == 1:
            # One venue: one distance, so time order alone, which the (venue, starts_at, id)
            # index gives without reading and sorting the venue's every event.
            tail, tail_values = 'ORDER BY "event_event"."starts_at", "event_event"."id"', ()
        else:
            tail, tail_values = f'ORDER BY {_SQUARED}, "event_event"."starts_at", "event_event"."id"', squared_values
        rows = await _rows(near, f"{tail} LIMIT {{}} OFFSET {{}}", *tail_values, limit + 1, offset)
        if len(rows) > limit or taken >= len(venues):
            break
        taken = min(len(venues), taken * 4)
    page = rows[:limit]
    next_cursor = encode_cursor(_Cursor(offset=offset + limit)) if len(rows) > limit else None
    return [EventRow(row, round(distance_m(lat, lng, row["latitude"], row["longitude"]))) for row in page], next_cursor
