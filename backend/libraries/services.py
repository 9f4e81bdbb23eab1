"""Library branches as staff keep them: details, hours and exceptions, rooms, live occupancy.
Finding and reading branches is in ``queries.py``.

Every change here is staff acting, so each records one audit entry (``libraries.<what>``) in the
transaction that makes it: the branch's library is the organisation, ``manage_libraries`` the
permission, and the entry holds the fields that changed (no person: a seat count names none)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import msgspec
from piccolo.columns import Column

from backend.accounts.api import Permission, require
from backend.core import audit, clock
from backend.core.db import transaction
from backend.core.errors import DomainError, NotFound
from backend.core.i18n import N_
from backend.events.api import venue as get_venue
from backend.libraries.queries import from_mask, to_mask
from backend.libraries.schemas import BranchCreate, ExceptionPut, IntervalIn, RoomCreate
from backend.libraries.tables import HoursException, LibraryBranch, ReadingRoom

PERMISSION = Permission.manage_libraries
# The fields of a branch its audit entries show; hours alone changing is an entry of its own kind.
AUDITED_FIELDS = (
    "name",
    "address",
    "contact_phone",
    "services_mask",
    "e_reading_seats",
    "weekly_hours",
    "holiday_rules",
    "free_seats",
)
HOURS_FIELDS = frozenset({"weekly_hours", "holiday_rules"})

# --- hours as stored ------------------------------------------------------------------------------


def _stored_intervals(intervals: Sequence[IntervalIn]) -> list[list[str]]:
    return [[i.opens, i.closes] for i in intervals]


def _stored_week(weekly: Mapping[int, Sequence[IntervalIn]]) -> dict[str, list[list[str]]]:
    return {str(day): _stored_intervals(intervals) for day, intervals in sorted(weekly.items()) if intervals}


# --- the audit trail ------------------------------------------------------------------------------


async def _audit(
    action: str,
    branch: LibraryBranch,
    *,
    object_type: str = "library_branch",
    object_id: Any = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> None:
    await audit.record(
        f"libraries.{action}",
        object_type=object_type,
        object_id=object_id or branch.id,
        organisation_id=branch.organisation,
        permission=PERMISSION.value,
        before=before,
        after=after,
    )


def _audited(values: Mapping[str, Any]) -> dict[str, Any]:
    """The audited fields among stored ``values``, services by name rather than as bits."""
    shown = {name: values[name] for name in AUDITED_FIELDS if name in values}
    if "services_mask" in shown:
        shown["services"] = from_mask(shown.pop("services_mask"))
    return shown


def _exception_fields(row: Mapping[str, Any] | None) -> dict[str, Any]:
    if row is None:
        return {}
    return {
        "day": row["day"],
        "room": row["room"],
        "closed": row["closed"],
        "intervals": row["intervals"],
        "note": row["note"],
    }


# --- writing --------------------------------------------------------------------------------------


async def _branch_for_staff(user_id: uuid.UUID, branch_id: uuid.UUID) -> LibraryBranch:
    branch = await LibraryBranch.objects().output(load_json=True).where(LibraryBranch.id == branch_id).first()
    if branch is None:
        raise NotFound("branch_not_found", N_("This library branch does not exist."))
    await require(user_id=user_id, permission=PERMISSION, organisation_id=branch.organisation)
    return branch


async def create_branch(*, user_id: uuid.UUID, data: BranchCreate) -> LibraryBranch:
    """A branch kept by a library organisation; only its staff and admins above it may."""
    await require(user_id=user_id, permission=PERMISSION, organisation_id=data.organisation_id)
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
    async with transaction(LibraryBranch._meta.db):
        await branch.save()
        after = {"venue": venue.id, "community": branch.community, **_audited(branch.to_dict())}
        await _audit("branch_created", branch, after=after)
    return branch


def _column_values(branch: LibraryBranch, changes: Mapping[str, Any]) -> dict[str, Any]:
    """The changes as column name → stored value (unset fields left out)."""
    values: dict[str, Any] = {}
    for name, value in changes.items():
        if value is msgspec.UNSET:
            continue
        if name == "services":
            values["services_mask"] = to_mask(value)
        elif name == "weekly_hours":
            values["weekly_hours"] = _stored_week(value)
        elif name == "holiday_rules":
            values["holiday_rules"] = msgspec.to_builtins(value)
        elif name in ("name", "address"):
            values[name] = dict(value)
        else:
            values[name] = value
    if "e_reading_seats" in values and branch.free_seats is not None and branch.free_seats > values["e_reading_seats"]:
        values["free_seats"] = values["e_reading_seats"]
    return values


async def update_branch(*, user_id: uuid.UUID, branch_id: uuid.UUID, changes: Mapping[str, Any]) -> None:
    """Details, weekly hours or holiday rules; hours alone changing is audited as such."""
    async with transaction(LibraryBranch._meta.db):
        branch = await _branch_for_staff(user_id, branch_id)
        values = _column_values(branch, changes)
        columns: dict[Column | str, Any] = {LibraryBranch._meta.get_column_by_name(k): v for k, v in values.items()}
        columns[LibraryBranch.updated_at] = clock.now()
        await LibraryBranch.update(columns).where(LibraryBranch.id == branch.id)
        before = _audited(branch.to_dict())
        after = {**before, **_audited(values)}
        changed = set(audit.differences(before, after))
        action = "hours_changed" if changed and changed <= HOURS_FIELDS else "branch_changed"
        await _audit(action, branch, before=before, after=after)


def refuse_empty_exception(data: ExceptionPut) -> None:
    """An exception says something: the day closed, or its special hours (also for a preview)."""
    if not data.closed and not data.intervals:
        raise DomainError("exception_empty", N_("Give special hours, or mark the day closed."), status=422)


async def put_exception(
    *, user_id: uuid.UUID, branch_id: uuid.UUID, day: date, data: ExceptionPut, room_id: uuid.UUID | None = None
) -> None:
    """Closed that day, or special hours; setting it again replaces it."""
    same_day = (HoursException.branch == branch_id) & (HoursException.day == day)
    same_day &= HoursException.room.is_null() if room_id is None else (HoursException.room == room_id)
    async with transaction(HoursException._meta.db):
        branch = await _branch_for_staff(user_id, branch_id)
        refuse_empty_exception(data)
        if room_id is not None:
            await _room_of(branch_id, room_id)
        replaced = await HoursException.select().where(same_day).output(load_json=True).first()
        await HoursException.delete().where(same_day)
        exception = HoursException(
            branch=branch_id,
            room=room_id,
            day=day,
            closed=data.closed,
            intervals=[] if data.closed else _stored_intervals(data.intervals),
            note=dict(data.note),
        )
        await exception.save()
        await _audit(
            "date_exception_set",
            branch,
            object_type="library_hours_exception",
            object_id=f"{branch_id}:{day.isoformat()}" + (f":{room_id}" if room_id else ""),
            before=_exception_fields(replaced),
            after=_exception_fields(exception.to_dict()),
        )


async def delete_exception(*, user_id: uuid.UUID, branch_id: uuid.UUID, day: date) -> None:
    """Back to the usual hours on a date; removing what is not there changes (and records) nothing."""
    async with transaction(HoursException._meta.db):
        branch = await _branch_for_staff(user_id, branch_id)
        that_day = (HoursException.branch == branch_id) & (HoursException.day == day) & HoursException.room.is_null()
        removed = await HoursException.select().where(that_day).output(load_json=True).first()
        if removed is None:
            return
        await HoursException.delete().where(that_day)
        await _audit(
            "date_exception_removed",
            branch,
            object_type="library_hours_exception",
            object_id=f"{branch_id}:{day.isoformat()}",
            before=_exception_fields(removed),
        )


async def add_room(*, user_id: uuid.UUID, branch_id: uuid.UUID, data: RoomCreate) -> ReadingRoom:
    room = ReadingRoom(
        branch=branch_id,
        name=dict(data.name),
        seats=data.seats,
        weekly_hours=_stored_week(data.weekly_hours) if data.weekly_hours is not None else None,
        created_at=clock.now(),
    )
    async with transaction(ReadingRoom._meta.db):
        branch = await _branch_for_staff(user_id, branch_id)
        await room.save()
        after = {"name": room.name, "seats": room.seats, "weekly_hours": room.weekly_hours}
        await _audit("room_added", branch, object_type="library_room", object_id=room.id, after=after)
    return room


async def _room_of(branch_id: uuid.UUID, room_id: uuid.UUID) -> ReadingRoom:
    room = await ReadingRoom.objects().where((ReadingRoom.id == room_id) & (ReadingRoom.branch == branch_id)).first()
    if room is None:
        raise NotFound("room_not_found", N_("This room does not exist."))
    return room


async def set_occupancy(*, user_id: uuid.UUID, branch_id: uuid.UUID, free_seats: int) -> None:
    """Staff report how many e-reading seats are free now; the report carries its time."""
    async with transaction(LibraryBranch._meta.db):
        branch = await _branch_for_staff(user_id, branch_id)
        if free_seats > branch.e_reading_seats:
            raise DomainError(
                "occupancy_too_high",
                N_("This branch has only {total} e-reading seats."),
                params={"total": branch.e_reading_seats},
                status=422,
            )
        now = clock.now()
        await LibraryBranch.update(
            {
                LibraryBranch.free_seats: free_seats,
                LibraryBranch.free_seats_at: now,
                LibraryBranch.free_seats_by: user_id,
            }
        ).where(LibraryBranch.id == branch.id)
        await _audit(
            "seats_reported",
            branch,
            before={"free_seats": branch.free_seats, "reported_at": branch.free_seats_at},
            after={"free_seats": free_seats, "reported_at": now},
        )
