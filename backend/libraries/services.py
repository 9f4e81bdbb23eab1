"""Library branches: details, hours and exceptions, rooms, live occupancy, and finding one open."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import msgspec
from piccolo.columns.combination import WhereRaw

from backend.accounts.api import Permission, require
from backend.core.errors import DomainError, NotFound
from backend.core.geo import distance_m
from backend.core.i18n import CITY_TZ, N_
from backend.events.api import UpcomingEvent, upcoming_at_venue
from backend.events.api import venue as get_venue
from backend.libraries import hours
from backend.libraries.schemas import BranchCreate, ExceptionPut, HolidayRulesIn, IntervalIn, RoomCreate
from backend.libraries.tables import HoursException, LibraryBranch, ReadingRoom

SERVICES: tuple[str, ...] = (
    "lending",
    "e_reading",
    "children",
    "self_service_24h",
    "accessible_reading",
    "online_loan_pickup",
)


def _now() -> datetime:
    return datetime.now(UTC)


def to_mask(values: Sequence[str]) -> int:
    return sum(1 << SERVICES.index(v) for v in set(values))


def from_mask(mask: int) -> list[str]:
    return [service for bit, service in enumerate(SERVICES) if mask & (1 << bit)]


# --- hours as stored, and as the engine reads them ------------------------------------------------


def _stored_intervals(intervals: Sequence[IntervalIn]) -> list[list[str]]:
    return [[i.opens, i.closes] for i in intervals]


def _stored_week(weekly: Mapping[int, Sequence[IntervalIn]]) -> dict[str, list[list[str]]]:
    return {str(day): _stored_intervals(intervals) for day, intervals in sorted(weekly.items()) if intervals}


def _intervals(stored: Sequence[Sequence[str]]) -> tuple[hours.Interval, ...]:
    return tuple(hours.Interval(time.fromisoformat(opens), time.fromisoformat(closes)) for opens, closes in stored)


def _week(stored: Mapping[str, Sequence[Sequence[str]]]) -> dict[int, tuple[hours.Interval, ...]]:
    return {int(day): _intervals(intervals) for day, intervals in stored.items()}


def schedule_of(
    weekly: Mapping[str, Any], rules: Mapping[str, Any], exceptions: Sequence[dict[str, Any]]
) -> hours.Schedule:
    return hours.Schedule(
        weekly=_week(weekly),
        exceptions={
            e["day"]: hours.DateException(
                day=e["day"], closed=e["closed"], intervals=_intervals(e["intervals"]), note=e["note"]
            )
            for e in exceptions
        },
        rules=hours.HolidayRules(**msgspec.to_builtins(msgspec.convert(dict(rules), HolidayRulesIn))),
    )


# --- writing -----------------------------------------------------------------------------------------


async def _branch_for_staff(user_id: uuid.UUID, branch_id: uuid.UUID) -> LibraryBranch:
    branch = await LibraryBranch.objects().output(load_json=True).where(LibraryBranch.id == branch_id).first()
    if branch is None:
        raise NotFound("branch_not_found", N_("This library branch does not exist."))
    await require(user_id=user_id, permission=Permission.manage_libraries, organisation_id=branch.organisation)
    return branch


async def create_branch(*, user_id: uuid.UUID, data: BranchCreate) -> LibraryBranch:
    """A branch kept by a library organisation; only its staff and admins above it may."""
    await require(user_id=user_id, permission=Permission.manage_libraries, organisation_id=data.organisation_id)
    venue = await get_venue(data.venue_id)
    now = _now()
    branch = LibraryBranch(
        organisation=data.organisation_id,
        venue=venue.id,
        name=dict(data.name),
        address=dict(data.address),
        district=data.district_id,
        community=data.community_id or venue.community_id,
        latitude=venue.latitude,
        longitude=venue.longitude,
        contact_phone=data.contact_phone,
        services_mask=to_mask(data.services),
        e_reading_seats=data.e_reading_seats,
        weekly_hours=_stored_week(data.weekly_hours),
        holiday_rules=msgspec.to_builtins(data.holiday_rules),
        created_at=now,
        updated_at=now,
    )
    await branch.save()
    return branch


async def update_branch(*, user_id: uuid.UUID, branch_id: uuid.UUID, changes: Mapping[str, Any]) -> None:
    branch = await _branch_for_staff(user_id, branch_id)
    values: dict[Any, Any] = {LibraryBranch.updated_at: _now()}
    for name, value in changes.items():
        if value is msgspec.UNSET:
            continue
        if name == "services":
            values[LibraryBranch.services_mask] = to_mask(value)
        elif name == "weekly_hours":
            values[LibraryBranch.weekly_hours] = _stored_week(value)
        elif name == "holiday_rules":
            values[LibraryBranch.holiday_rules] = msgspec.to_builtins(value)
        elif name in ("name", "address"):
            values[getattr(LibraryBranch, name)] = dict(value)
        else:
            values[getattr(LibraryBranch, name)] = value
    if "e_reading_seats" in values and branch.free_seats is not None and branch.free_seats > changes["e_reading_seats"]:
        values[LibraryBranch.free_seats] = changes["e_reading_seats"]
    await LibraryBranch.update(values).where(LibraryBranch.id == branch.id)


async def put_exception(
    *, user_id: uuid.UUID, branch_id: uuid.UUID, day: date, data: ExceptionPut, room_id: uuid.UUID | None = None
) -> None:
    """Closed that day, or special hours; setting it again replaces it."""
    await _branch_for_staff(user_id, branch_id)
    if not data.closed and not data.intervals:
        raise DomainError("exception_empty", N_("Give special hours, or mark the day closed."), status=422)
    if room_id is not None:
        await _room_of(branch_id, room_id)
    same_day = (HoursException.branch == branch_id) & (HoursException.day == day)
    same_day &= HoursException.room.is_null() if room_id is None else (HoursException.room == room_id)
    async with HoursException._meta.db.transaction():
        await HoursException.delete().where(same_day)
        await HoursException(
            branch=branch_id,
            room=room_id,
            day=day,
            closed=data.closed,
            intervals=[] if data.closed else _stored_intervals(data.intervals),
            note=dict(data.note),
        ).save()


async def delete_exception(*, user_id: uuid.UUID, branch_id: uuid.UUID, day: date) -> None:
    await _branch_for_staff(user_id, branch_id)
    await HoursException.delete().where(
        (HoursException.branch == branch_id) & (HoursException.day == day) & HoursException.room.is_null()
    )


async def add_room(*, user_id: uuid.UUID, branch_id: uuid.UUID, data: RoomCreate) -> ReadingRoom:
    await _branch_for_staff(user_id, branch_id)
    room = ReadingRoom(
        branch=branch_id,
        name=dict(data.name),
        seats=data.seats,
        weekly_hours=_stored_week(data.weekly_hours) if data.weekly_hours is not None else None,
        created_at=_now(),
    )
    await room.save()
    return room


async def _room_of(branch_id: uuid.UUID, room_id: uuid.UUID) -> ReadingRoom:
    room = await ReadingRoom.objects().where((ReadingRoom.id == room_id) & (ReadingRoom.branch == branch_id)).first()
    if room is None:
        raise NotFound("room_not_found", N_("This room does not exist."))
    return room


async def set_occupancy(*, user_id: uuid.UUID, branch_id: uuid.UUID, free_seats: int) -> None:
    """Staff report how many e-reading seats are free now; the report carries its time."""
    branch = await _branch_for_staff(user_id, branch_id)
    if free_seats > branch.e_reading_seats:
        raise DomainError(
            "occupancy_too_high",
            N_("This branch has only {total} e-reading seats."),
            params={"total": branch.e_reading_seats},
            status=422,
        )
    await LibraryBranch.update(
        {
            LibraryBranch.free_seats: free_seats,
            LibraryBranch.free_seats_at: _now(),
            LibraryBranch.free_seats_by: user_id,
        }
    ).where(LibraryBranch.id == branch.id)


# --- reading --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Occupancy:
    known: bool
    free_seats: int | None
    total: int
    reported_at: datetime | None


def occupancy_of(row: Mapping[str, Any], *, at: datetime, stale_after: timedelta) -> Occupancy:
    """A report older than ``stale_after`` is no longer trusted: the seats are unknown."""
    reported_at = row["free_seats_at"]
    fresh = (
        reported_at is not None and row["free_seats"] is not None and timedelta(0) <= at - reported_at <= stale_after
    )
    return Occupancy(
        known=fresh,
        free_seats=row["free_seats"] if fresh else None,
        total=row["e_reading_seats"],
        reported_at=reported_at,
    )


@dataclass(frozen=True)
class BranchFilters:
    near: tuple[float, float] | None = None
    radius_m: int = 5_000
    open_now: bool = False
    service: str | None = None
    has_free_seats: bool = False
    community_id: uuid.UUID | None = None


@dataclass(frozen=True)
class FoundBranch:
    row: dict[str, Any]
    status: hours.Status
    occupancy: Occupancy
    distance_m: int | None


async def _exceptions_by_branch(branch_ids: list[uuid.UUID], around: date) -> dict[uuid.UUID, list[dict[str, Any]]]:
    if not branch_ids:
        return {}
    rows = (
        await HoursException.select()
        .where(
            HoursException.branch.is_in(branch_ids)
            & HoursException.room.is_null()
            & (HoursException.day >= around - timedelta(days=15))
            & (HoursException.day <= around + timedelta(days=15))
        )
        .output(load_json=True)
    )
    grouped: dict[uuid.UUID, list[dict[str, Any]]] = {}
    for row in rows:
        grouped.setdefault(row["branch"], []).append(row)
    return grouped


async def find_branches(*, filters: BranchFilters, at: datetime, stale_after: timedelta) -> list[FoundBranch]:
    """Branches matching the filters, with their status at ``at``; nearest first with ``near``."""
    query = LibraryBranch.select().output(load_json=True)
    if filters.service:
        query = query.where(WhereRaw("(services_mask & {}) != 0", 1 << SERVICES.index(filters.service)))
    if filters.community_id:
        query = query.where(LibraryBranch.community == filters.community_id)
    rows = await query.order_by(LibraryBranch.created_at).limit(5_000)
    exceptions = await _exceptions_by_branch([r["id"] for r in rows], at.astimezone(CITY_TZ).date())
    found = []
    for row in rows:
        distance = round(distance_m(*filters.near, row["latitude"], row["longitude"])) if filters.near else None
        if distance is not None and distance > filters.radius_m:
            continue
        status = hours.status_at(
            schedule_of(row["weekly_hours"], row["holiday_rules"], exceptions.get(row["id"], [])), at
        )
        occupancy = occupancy_of(row, at=at, stale_after=stale_after)
        if filters.open_now and not status.is_open:
            continue
        if filters.has_free_seats and not (occupancy.known and (occupancy.free_seats or 0) > 0):
            continue
        found.append(FoundBranch(row, status, occupancy, distance))
    if filters.near:
        found.sort(key=lambda b: (b.distance_m, str(b.row["id"])))
    return found


@dataclass(frozen=True)
class BranchDetail:
    found: FoundBranch
    schedule: hours.Schedule
    rooms: list[tuple[dict[str, Any], hours.Status]]
    upcoming: list[UpcomingEvent]


async def get_branch(*, branch_id: uuid.UUID, at: datetime, stale_after: timedelta) -> BranchDetail:
    row = await LibraryBranch.select().where(LibraryBranch.id == branch_id).output(load_json=True).first()
    if row is None:
        raise NotFound("branch_not_found", N_("This library branch does not exist."))
    local_day = at.astimezone(CITY_TZ).date()
    exceptions = (await _exceptions_by_branch([row["id"]], local_day)).get(row["id"], [])
    schedule = schedule_of(row["weekly_hours"], row["holiday_rules"], exceptions)
    found = FoundBranch(row, hours.status_at(schedule, at), occupancy_of(row, at=at, stale_after=stale_after), None)
    return BranchDetail(
        found, schedule, await _rooms(row, exceptions, at), await upcoming_at_venue(row["venue"], now=_now())
    )


async def _rooms(
    branch: Mapping[str, Any], branch_exceptions: list[dict[str, Any]], at: datetime
) -> list[tuple[dict[str, Any], hours.Status]]:
    rooms = await ReadingRoom.select().where(ReadingRoom.branch == branch["id"]).output(load_json=True)
    room_exceptions = (
        await HoursException.select()
        .where((HoursException.branch == branch["id"]) & HoursException.room.is_not_null())
        .output(load_json=True)
    )
    result = []
    for room in rooms:
        own = [e for e in room_exceptions if e["room"] == room["id"]]
        # A room without hours of its own keeps the branch's, closures included.
        weekly, exceptions = (
            (room["weekly_hours"], own)
            if room["weekly_hours"] is not None
            else (branch["weekly_hours"], branch_exceptions + own)
        )
        by_day = {e["day"]: e for e in exceptions}  # a room's own exception beats the branch's
        status = hours.status_at(schedule_of(weekly, branch["holiday_rules"], list(by_day.values())), at)
        result.append((room, status))
    return result
