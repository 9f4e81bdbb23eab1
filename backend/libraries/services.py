"""Library branches as staff keep them: details, hours and exceptions, rooms, live occupancy.
Finding and reading branches is in ``queries.py``."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import msgspec

from backend.accounts.api import Permission, require
from backend.core import clock
from backend.core.errors import DomainError, NotFound
from backend.core.i18n import N_
from backend.events.api import venue as get_venue
from backend.libraries.queries import to_mask
from backend.libraries.schemas import BranchCreate, ExceptionPut, IntervalIn, RoomCreate
from backend.libraries.tables import HoursException, LibraryBranch, ReadingRoom

# --- hours as stored ------------------------------------------------------------------------------


def _stored_intervals(intervals: Sequence[IntervalIn]) -> list[list[str]]:
    return [[i.opens, i.closes] for i in intervals]


def _stored_week(weekly: Mapping[int, Sequence[IntervalIn]]) -> dict[str, list[list[str]]]:
    return {str(day): _stored_intervals(intervals) for day, intervals in sorted(weekly.items()) if intervals}


# --- writing --------------------------------------------------------------------------------------


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
    now = clock.now()
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
    values: dict[Any, Any] = {LibraryBranch.updated_at: clock.now()}
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
        created_at=clock.now(),
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
            LibraryBranch.free_seats_at: clock.now(),
            LibraryBranch.free_seats_by: user_id,
        }
    ).where(LibraryBranch.id == branch.id)
