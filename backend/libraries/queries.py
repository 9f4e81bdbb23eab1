"""Finding and reading library branches: status at any moment, seats, rooms, upcoming events."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import msgspec
from piccolo.columns.combination import WhereRaw

from backend.core import clock
from backend.core.errors import NotFound
from backend.core.geo import distance_m
from backend.core.i18n import CITY_TZ, N_
from backend.events.api import UpcomingEvent, upcoming_at_venue
from backend.libraries import hours
from backend.libraries.schemas import HolidayRulesIn, ServiceCode
from backend.libraries.tables import HoursException, LibraryBranch, ReadingRoom

# A branch's services are bits of one integer, in this order: append new ones, never reorder.
SERVICES: tuple[ServiceCode, ...] = (
    "lending",
    "e_reading",
    "children",
    "self_service_24h",
    "accessible_reading",
    "online_loan_pickup",
)


def to_mask(values: Sequence[str]) -> int:
    return sum(1 << SERVICES.index(v) for v in set(values))


def from_mask(mask: int) -> list[ServiceCode]:
    return [service for bit, service in enumerate(SERVICES) if mask & (1 << bit)]


# --- hours as the engine reads them ---------------------------------------------------------------


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


# --- branches -------------------------------------------------------------------------------------


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
        found, schedule, await _rooms(row, exceptions, at), await upcoming_at_venue(row["venue"], now=clock.now())
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
