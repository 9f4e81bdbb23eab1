"""Shaping shifts, places and attendance for the API, in the caller's language."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Mapping
from typing import Any

from backend.core.i18n import pick, pick_content
from backend.core.values import as_uuid, mask_phone
from backend.places.api import AimNames, aim_of, aim_read
from backend.volunteers.shifts.attendance import CheckOut, Scan
from backend.volunteers.shifts.queries import Sheet, ShiftView
from backend.volunteers.shifts.schemas import (
    AttendanceSheet,
    CheckInRead,
    CheckOutRead,
    CheckpointBrief,
    HoursBrief,
    MySignup,
    RouteBrief,
    ScanBrief,
    ScanRead,
    SheetRow,
    ShiftRead,
    SignupRead,
    TeamBrief,
)
from backend.volunteers.shifts.tables import ShiftSignup, SignupStatus


def shift_read(view: ShiftView) -> ShiftRead:
    shift, mine = view.shift, view.my_signup
    title = pick_content(shift.title)  # type: ignore[arg-type]  # JSON read with load_json: a dict
    route = None
    if shift.route:
        route_id = as_uuid(shift.route)
        route = RouteBrief(id=route_id, name=pick(view.route_name)[0], checkpoint_count=view.checkpoint_count)
    return ShiftRead(
        id=as_uuid(shift.id),
        team=TeamBrief(id=as_uuid(shift.team), name=pick(view.team_name)[0]),
        title=title.text,
        title_locale=title.locale,
        title_converted=title.converted,
        starts_at=shift.starts_at,
        ends_at=shift.ends_at,
        capacity=shift.capacity,
        seats_left=max(0, shift.capacity - shift.seats_taken),
        route=route,
        min_attendance_percent=shift.min_attendance_percent,
        latitude=shift.latitude,
        longitude=shift.longitude,
        check_in_radius_m=shift.check_in_radius_m,
        status=shift.status,  # type: ignore[arg-type]  # the column holds a ShiftStatus value
        my_signup=_my_signup(mine) if mine else None,
        audience=aim_read(aim_of(shift.to_dict()), view.aim_names or AimNames({}, {}, {})),
    )


def _my_signup(row: Mapping[str, Any]) -> MySignup:
    return MySignup(
        id=as_uuid(row["id"]),
        status=row["status"],
        checked_in_at=row["checked_in_at"],
        checked_out_at=row["checked_out_at"],
    )


def signup_read(signup: ShiftSignup) -> SignupRead:
    return SignupRead(
        id=as_uuid(signup.id),
        shift_id=as_uuid(signup.shift),
        status=signup.status,  # type: ignore[arg-type]  # the column holds a SignupStatus value
        created_at=signup.created_at,
        cancelled_at=signup.cancelled_at,
        checked_in_at=signup.checked_in_at,
        checked_out_at=signup.checked_out_at,
    )


def check_in_read(signup: ShiftSignup, *, shift_id: uuid.UUID, already: bool) -> CheckInRead:
    return CheckInRead(
        signup_id=as_uuid(signup.id),
        shift_id=shift_id,
        checked_in_at=signup.checked_in_at,
        already_checked_in=already,
    )


def _hours_brief(entry: Mapping[str, Any] | None) -> HoursBrief | None:
    return HoursBrief(id=as_uuid(entry["id"]), status=entry["status"], minutes=entry["minutes"]) if entry else None


def scan_read(scan: Scan) -> ScanRead:
    checkpoint, following = scan.checkpoint, scan.next_checkpoint
    return ScanRead(
        checkpoint_id=checkpoint["id"],
        position=checkpoint["position"],
        name=pick(checkpoint["name"])[0],
        scanned_at=scan.scanned_at,
        already_scanned=scan.already_scanned,
        next_checkpoint=CheckpointBrief(position=following["position"], name=pick(following["name"])[0])
        if following
        else None,
        missed=scan.missed,
    )


def check_out_read(done: CheckOut) -> CheckOutRead:
    signup, hours = done.signup, _hours_brief(done.hours_entry)
    return CheckOutRead(
        signup_id=as_uuid(signup.id),
        shift_id=as_uuid(done.shift.id),
        status=signup.status,  # type: ignore[arg-type]  # the column holds a SignupStatus value
        checked_in_at=done.checked_in_at,
        checked_out_at=done.checked_out_at,
        closed_automatically=signup.closed_automatically,
        minutes_in_shift=done.minutes_in_shift,
        required_minutes=done.required_minutes,
        credited_minutes=hours.minutes if hours else 0,
        hours_entry=hours,
        flags=list(signup.flags or []),
    )


def sheet_read(sheet: Sheet) -> AttendanceSheet:
    """The coordinator's sheet: who took a place and how they attended, phones masked."""
    signups = [_sheet_row(row, sheet) for row in sheet.signups]
    counts = Counter(row.status for row in signups)
    return AttendanceSheet(
        shift=shift_read(sheet.shift),
        counts={status.value: counts[status.value] for status in SignupStatus},
        signups=signups,
    )


def _sheet_row(row: Mapping[str, Any], sheet: Sheet) -> SheetRow:
    signup_id = as_uuid(row["id"])
    entry = _hours_brief(sheet.entries.get(signup_id))
    closed = row["checked_out_at"] is not None
    return SheetRow(
        signup_id=signup_id,
        display_name=row["user.display_name"] or "",
        phone=mask_phone(row["user.phone"]),
        status=row["status"],
        created_at=row["created_at"],
        checked_in_at=row["checked_in_at"],
        checked_out_at=row["checked_out_at"],
        closed_automatically=row["closed_automatically"],
        flags=list(row["flags"] or []),
        scans=[
            ScanBrief(
                position=scan["checkpoint.position"],
                name=pick(scan["checkpoint.name"])[0],
                scanned_at=scan["scanned_at"],
            )
            for scan in sheet.scans.get(signup_id, [])
        ],
        credited_minutes=(entry.minutes if entry else 0) if closed else None,
        hours_entry=entry,
    )
