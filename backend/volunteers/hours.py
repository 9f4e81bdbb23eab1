"""The hours ledger: entries are only added; a coordinator of the team verifies each one.

A shift's entry counts only the minutes inside the shift window, and only when the volunteer was
there for at least the shift's attendance rule (60% by default): exactly at the rule is enough.
"""

from __future__ import annotations

import math
import uuid
from datetime import UTC, datetime, timedelta

from backend.core.i18n import CITY_TZ, pick
from backend.volunteers.tables import HoursEntry, HoursKind, HoursStatus, Shift


def _now() -> datetime:
    return datetime.now(UTC)


def minutes_in_window(start: datetime, end: datetime, window_start: datetime, window_end: datetime) -> int:
    """Whole minutes of [start, end) that fall inside [window_start, window_end)."""
    overlap = min(end, window_end) - max(start, window_start)
    return max(0, int(overlap // timedelta(minutes=1)))


def required_minutes(shift: Shift) -> int:
    """The least a volunteer must be present for the shift to count (rounded up)."""
    length = int((shift.ends_at - shift.starts_at) // timedelta(minutes=1))
    return math.ceil(length * shift.min_attendance_percent / 100)


def shift_source_key(signup_id: uuid.UUID) -> str:
    return f"shift:{signup_id}"


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
    title = shift.title if isinstance(shift.title, dict) else {}
    entry = HoursEntry(
        user=user_id,
        team=shift.team,
        kind=HoursKind.shift.value,
        minutes=minutes,
        service_date=shift.starts_at.astimezone(CITY_TZ).date(),
        content=pick(title, "zh-Hans")[0],
        shift=shift.id,
        signup=signup_id,
        source_key=shift_source_key(signup_id),
        flags=list(flags),
        status=HoursStatus.pending.value,
        created_by=user_id,
        created_at=_now(),
    )
    inserted = await HoursEntry.insert(entry).on_conflict(target=HoursEntry.source_key, action="DO NOTHING")
    if not inserted:
        return await HoursEntry.objects().where(HoursEntry.source_key == shift_source_key(signup_id)).first()
    return entry
