"""The hours ledger: entries are only added; a coordinator of the team verifies each one.

Minutes of an entry never change; the one thing written later is the decision (pending →
verified or rejected), once. A correction is a new entry (see ``decisions``).

A shift's entry counts only the minutes inside the shift window, and only when the volunteer was
there for at least the shift's attendance rule (60% by default): exactly at the rule is enough.
"""

from __future__ import annotations

import math
import uuid
from datetime import date, datetime, timedelta
from typing import Any

from backend.core import audit, clock
from backend.core.db import transaction
from backend.core.errors import DomainError, Forbidden
from backend.core.i18n import CITY_TZ, N_, pick
from backend.core.idempotency import key_reused
from backend.core.values import as_uuid
from backend.volunteers.hours.queries import entry_by_source_key, entry_not_found, shift_source_key
from backend.volunteers.hours.tables import HoursEntry, HoursKind, HoursStatus
from backend.volunteers.shifts.tables import Shift
from backend.volunteers.teams.guards import Coordination, get_team, is_active_member, require_coordination

SERVICE_DATE_WINDOW_DAYS = 365


def minutes_in_window(start: datetime, end: datetime, window_start: datetime, window_end: datetime) -> int:
    """Whole minutes of [start, end) that fall inside [window_start, window_end)."""
    overlap = min(end, window_end) - max(start, window_start)
    return max(0, int(overlap // timedelta(minutes=1)))


def required_minutes(shift: Shift) -> int:
    """The least a volunteer must be present for the shift to count (rounded up)."""
    length = int((shift.ends_at - shift.starts_at) // timedelta(minutes=1))
    return math.ceil(length * shift.min_attendance_percent / 100)


async def record_shift_hours(
    *,
    shift: Shift,
    signup_id: uuid.UUID,
    user_id: uuid.UUID,
    checked_in_at: datetime,
    checked_out_at: datetime,
    flags: list[str],
) -> HoursEntry | None:
    """A pending entry for an attended shift, or None below the attendance rule.

    Call it inside the check-out transaction; the signup's source key makes a second call a no-op.
    """
    minutes = minutes_in_window(checked_in_at, checked_out_at, shift.starts_at, shift.ends_at)
    if minutes < required_minutes(shift) or minutes == 0:
        return None
    title: dict[str, str] = shift.title if isinstance(shift.title, dict) else {}
    entry = HoursEntry(
        user=user_id,
        team=shift.team,
        kind=HoursKind.shift.value,
        minutes=minutes,
        service_date=shift.starts_at.astimezone(CITY_TZ).date(),
        content=pick(title, "zh-Hans")[0],
        title=title,
        shift=shift.id,
        signup=signup_id,
        source_key=shift_source_key(signup_id),
        flags=list(flags),
        status=HoursStatus.pending.value,
        created_by=user_id,
        created_at=clock.now(),
    )
    inserted = await HoursEntry.insert(entry).on_conflict(target=HoursEntry.source_key, action="DO NOTHING")
    if not inserted:
        return await HoursEntry.objects().where(HoursEntry.source_key == shift_source_key(signup_id)).first()
    return entry


# --- manual entries ---------------------------------------------------------------------------------


async def add_manual_entry(
    *,
    user_id: uuid.UUID,
    team_id: uuid.UUID,
    volunteer_id: uuid.UUID | None,
    minutes: int,
    service_date: date,
    content: str,
    reason: str,
    idempotency_key: str | None,
) -> dict[str, Any]:
    """A pending entry: claimed by a member for themself, or entered by a coordinator for a member
    (which the audit trail records). The same Idempotency-Key from the same caller is one entry,
    however often it is sent.
    """
    source_key = f"manual:{user_id}:{idempotency_key}" if idempotency_key else f"manual:{uuid.uuid4()}"
    if idempotency_key and (earlier := await entry_by_source_key(source_key)) is not None:
        return _same_request(earlier, team_id, volunteer_id or user_id, minutes)
    volunteer, coordination = await _manual_entry_volunteer(user_id, team_id, volunteer_id)
    _check_service_date(service_date)
    entry = HoursEntry(
        user=volunteer,
        team=team_id,
        kind=HoursKind.manual.value,
        minutes=minutes,
        service_date=service_date,
        content=content.strip(),
        reason=required_reason(reason),
        source_key=source_key,
        flags=[] if volunteer == user_id else ["entered_by_coordinator"],
        status=HoursStatus.pending.value,
        created_by=user_id,
        created_at=clock.now(),
    )
    async with transaction(HoursEntry._meta.db):
        # A concurrent duplicate loses at the unique source key and reads the winner's row below.
        inserted = (
            await HoursEntry.insert(entry)
            .on_conflict(target=HoursEntry.source_key, action="DO NOTHING")
            .returning(HoursEntry.id)
        )
        if inserted and coordination is not None:
            await audit.record(
                "volunteers.hours_entered",
                object_type="hours_entry",
                object_id=entry.id,
                organisation_id=coordination.organisation_id,
                permission=coordination.permission,
                after={
                    "user": volunteer,
                    "team": team_id,
                    "minutes": minutes,
                    "service_date": service_date,
                    "reason": entry.reason,
                },
            )
    stored = await entry_by_source_key(source_key)
    if stored is None:  # pragma: no cover - the row was just written or already there
        raise entry_not_found()
    return _same_request(stored, team_id, volunteer, minutes)


async def _manual_entry_volunteer(
    user_id: uuid.UUID, team_id: uuid.UUID, volunteer_id: uuid.UUID | None
) -> tuple[uuid.UUID, Coordination | None]:
    """Whose hours these are, and the coordinator's say when they enter them for a member."""
    if volunteer_id is None:
        await get_team(team_id)
        if not await is_active_member(user_id=user_id, team_id=team_id):
            raise Forbidden("not_team_member", N_("Only active members of this team can claim hours in it."))
        return user_id, None
    if volunteer_id == user_id:
        raise DomainError(
            "own_hours_are_a_claim",
            N_("To add your own hours, leave out user_id: they become a claim that another coordinator verifies."),
            status=422,
        )
    coordination = await require_coordination(user_id=user_id, team_id=team_id)
    if not await is_active_member(user_id=volunteer_id, team_id=team_id):
        raise DomainError("volunteer_not_in_team", N_("This person is not an active member of this team."), status=422)
    return volunteer_id, coordination


def _check_service_date(service_date: date) -> None:
    today = clock.city_today()
    if service_date > today:
        raise DomainError("service_date_in_future", N_("The service date cannot be in the future."), status=422)
    if service_date < today - timedelta(days=SERVICE_DATE_WINDOW_DAYS):
        raise DomainError(
            "service_date_too_old",
            N_("Hours can be added for the last {days} days only."),
            params={"days": SERVICE_DATE_WINDOW_DAYS},
            status=422,
        )


def required_reason(reason: str) -> str:
    text = reason.strip()
    if len(text) < 2:
        raise DomainError(
            "reason_required", N_("Give a reason of at least {limit} characters."), params={"limit": 2}, status=422
        )
    return text


def _same_request(row: dict[str, Any], team_id: uuid.UUID, volunteer_id: uuid.UUID, minutes: int) -> dict[str, Any]:
    if (as_uuid(row["team"]), as_uuid(row["user"]), row["minutes"]) != (team_id, volunteer_id, minutes):
        raise key_reused()
    return row
