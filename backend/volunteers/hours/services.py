"""The hours ledger: entries are only added; a coordinator of the team verifies each one.

Minutes of an entry never change; the one thing written later is the decision (pending →
verified or rejected), once. A correction is a new entry (see ``hours_decisions``).

A shift's entry counts only the minutes inside the shift window, and only when the volunteer was
there for at least the shift's attendance rule (60% by default): exactly at the rule is enough.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from piccolo.query.functions.aggregate import Sum

from backend.core.errors import DomainError, Forbidden, NotFound
from backend.core.i18n import CITY_TZ, N_, pick
from backend.volunteers.hours.tables import HoursEntry, HoursKind, HoursStatus
from backend.volunteers.people.queries import masked_names
from backend.volunteers.shifts.tables import Shift
from backend.volunteers.teams.guards import get_team, is_active_member, require_coordinator


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


# --- reading the ledger ---------------------------------------------------------------------------


async def hours_entry_of_signup(signup_id: uuid.UUID) -> dict[str, Any] | None:
    """The entry an attended shift place made (id, status, minutes); None below the rule."""
    return (
        await HoursEntry.select(HoursEntry.id, HoursEntry.status, HoursEntry.minutes)
        .where(HoursEntry.source_key == shift_source_key(signup_id))
        .first()
    )


async def shift_hours_entries(*, shift_id: uuid.UUID) -> list[dict[str, Any]]:
    """The entries a shift's places made (id, signup, status, minutes)."""
    return await HoursEntry.select(HoursEntry.id, HoursEntry.signup, HoursEntry.status, HoursEntry.minutes).where(
        (HoursEntry.shift == shift_id) & (HoursEntry.kind == HoursKind.shift.value)
    )


MAX_PAGE = 200
SERVICE_DATE_WINDOW_DAYS = 365
MAX_STARS = 5

# What every listing of entries reads: the entry, its team's name, and who it is for and decided it.
ENTRY_COLUMNS: tuple[Any, ...] = (
    HoursEntry.id,
    HoursEntry.user,
    HoursEntry.team,
    HoursEntry.team.name.as_alias("team_name"),
    HoursEntry.kind,
    HoursEntry.minutes,
    HoursEntry.service_date,
    HoursEntry.content,
    HoursEntry.reason,
    HoursEntry.flags,
    HoursEntry.status,
    HoursEntry.corrects,
    HoursEntry.created_at,
    HoursEntry.decided_at,
    HoursEntry.decision_note,
    HoursEntry.user.display_name.as_alias("user_name"),
    HoursEntry.decided_by.display_name.as_alias("decided_by_name"),
)


def city_today() -> date:
    return _now().astimezone(CITY_TZ).date()


def hours_of(minutes: int) -> float:
    """Minutes as hours with one decimal, halves rounded away from zero (45 min → 0.8 h)."""
    return float((Decimal(minutes) / 60).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def month_range(month: str) -> tuple[date, date]:
    """``YYYY-MM`` → [first day, first day of the next month); a 422 for anything else."""
    try:
        year, number = (int(part) for part in month.split("-"))
        first = date(year, number, 1)
        following = date(year + number // 12, number % 12 + 1, 1)  # 9999-12 has no next month
    except ValueError:
        raise DomainError("invalid_month", N_("Give the month as YYYY-MM."), status=422) from None
    return first, following


@dataclass(frozen=True)
class Totals:
    verified_minutes: int
    pending_minutes: int
    level: int  # stars, 0 to 5
    next_milestone_hours: int | None


def milestone_level(verified_minutes: int, milestones: tuple[int, ...]) -> tuple[int, int | None]:
    """(stars reached, the next milestone in hours or None at the top)."""
    steps = milestones[:MAX_STARS]
    level = sum(1 for hours in steps if verified_minutes >= hours * 60)
    return level, steps[level] if level < len(steps) else None


async def hours_totals(*, user_id: uuid.UUID, milestones: tuple[int, ...]) -> Totals:
    """A balance is a sum: verified rows (corrections included) and, apart, what still waits."""
    rows = (
        await HoursEntry.select(HoursEntry.status, Sum(HoursEntry.minutes).as_alias("minutes"))
        .where(HoursEntry.user == user_id)
        .group_by(HoursEntry.status)
    )
    by_status = {row["status"]: int(row["minutes"] or 0) for row in rows}
    verified = by_status.get(HoursStatus.verified.value, 0)
    level, following = milestone_level(verified, milestones)
    return Totals(verified, by_status.get(HoursStatus.pending.value, 0), level, following)


async def my_entries(
    *, user_id: uuid.UUID, limit: int, before: uuid.UUID | None = None, offset: int = 0
) -> tuple[list[dict[str, Any]], uuid.UUID | None]:
    """The caller's entries, newest first, and the cursor of the next page (None at the end)."""
    query = HoursEntry.select(*ENTRY_COLUMNS).output(load_json=True).where(HoursEntry.user == user_id)
    if before is not None:
        anchor = (
            await HoursEntry.select(HoursEntry.created_at)
            .where((HoursEntry.id == before) & (HoursEntry.user == user_id))
            .first()
        )
        if anchor is None:
            raise DomainError("invalid_cursor", N_("This page cursor is not valid."), status=400)
        query = query.where(
            (HoursEntry.created_at < anchor["created_at"])
            | ((HoursEntry.created_at == anchor["created_at"]) & (HoursEntry.id < before))
        )
    elif offset:
        query = query.offset(offset)
    rows = await query.order_by(HoursEntry.created_at, HoursEntry.id, ascending=False).limit(min(limit, MAX_PAGE) + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1]["id"] if more and rows else None)


async def my_hours(
    *, user_id: uuid.UUID, milestones: tuple[int, ...], limit: int, before: uuid.UUID | None = None, offset: int = 0
) -> tuple[list[dict[str, Any]], Totals, uuid.UUID | None]:
    """A page of the caller's ledger with their totals and level."""
    rows, next_before = await my_entries(user_id=user_id, limit=limit, before=before, offset=offset)
    return rows, await hours_totals(user_id=user_id, milestones=milestones), next_before


async def team_entries(
    *,
    user_id: uuid.UUID,
    team_id: uuid.UUID,
    status: str | None = None,
    month: str | None = None,
    limit: int | None = MAX_PAGE,
    offset: int = 0,
    oldest_first: bool = False,
) -> list[dict[str, Any]]:
    """A team's entries for its coordinators, each with the volunteer's masked real name."""
    await require_coordinator(user_id=user_id, team_id=team_id)
    query = HoursEntry.select(*ENTRY_COLUMNS).output(load_json=True).where(HoursEntry.team == team_id)
    if status is not None:
        query = query.where(HoursEntry.status == status)
    if month is not None:
        first, following = month_range(month)
        query = query.where((HoursEntry.service_date >= first) & (HoursEntry.service_date < following))
    if oldest_first:
        query = query.order_by(HoursEntry.service_date, HoursEntry.created_at, HoursEntry.id)
    else:
        query = query.order_by(HoursEntry.created_at, HoursEntry.id, ascending=False)
    if limit is not None:  # the CSV reads a whole month
        query = query.limit(limit).offset(offset)
    rows = await query
    masked = await masked_names(row["user"] for row in rows)
    for row in rows:
        row["real_name_masked"] = masked.get(as_uuid(row["user"]))
    return rows


async def entry_row(entry_id: uuid.UUID) -> dict[str, Any]:
    row = await HoursEntry.select(*ENTRY_COLUMNS).output(load_json=True).where(HoursEntry.id == entry_id).first()
    if row is None:
        raise entry_not_found()
    return row


def as_uuid(value: Any) -> uuid.UUID:
    # asyncpg hands out its own UUID subclass; dictionaries and comparisons want the standard one.
    return value if type(value) is uuid.UUID else uuid.UUID(str(value))


def entry_not_found() -> DomainError:
    return NotFound("hours_entry_not_found", N_("This hours entry does not exist."))


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
    """A pending entry: claimed by a member for themself, or entered by a coordinator for a member.

    The same Idempotency-Key from the same caller is one entry, however often it is sent.
    """
    source_key = f"manual:{user_id}:{idempotency_key}" if idempotency_key else f"manual:{uuid.uuid4()}"
    if idempotency_key and (earlier := await _by_source_key(source_key)) is not None:
        return _same_request(earlier, team_id, volunteer_id or user_id, minutes)
    volunteer = await _manual_entry_volunteer(user_id, team_id, volunteer_id)
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
        created_at=_now(),
    )
    # A concurrent duplicate loses at the unique source key and reads the winner's row below.
    await HoursEntry.insert(entry).on_conflict(target=HoursEntry.source_key, action="DO NOTHING")
    stored = await _by_source_key(source_key)
    if stored is None:  # pragma: no cover - the row was just written or already there
        raise entry_not_found()
    return _same_request(stored, team_id, volunteer, minutes)


async def _manual_entry_volunteer(user_id: uuid.UUID, team_id: uuid.UUID, volunteer_id: uuid.UUID | None) -> uuid.UUID:
    if volunteer_id is None:
        await get_team(team_id)
        if not await is_active_member(user_id=user_id, team_id=team_id):
            raise Forbidden("not_team_member", N_("Only active members of this team can claim hours in it."))
        return user_id
    if volunteer_id == user_id:
        raise DomainError(
            "own_hours_are_a_claim",
            N_("To add your own hours, leave out user_id: they become a claim that another coordinator verifies."),
            status=422,
        )
    await require_coordinator(user_id=user_id, team_id=team_id)
    if not await is_active_member(user_id=volunteer_id, team_id=team_id):
        raise DomainError("volunteer_not_in_team", N_("This person is not an active member of this team."), status=422)
    return volunteer_id


def _check_service_date(service_date: date) -> None:
    today = city_today()
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


async def _by_source_key(source_key: str) -> dict[str, Any] | None:
    return (
        await HoursEntry.select(*ENTRY_COLUMNS)
        .output(load_json=True)
        .where(HoursEntry.source_key == source_key)
        .first()
    )


def _same_request(row: dict[str, Any], team_id: uuid.UUID, volunteer_id: uuid.UUID, minutes: int) -> dict[str, Any]:
    if (as_uuid(row["team"]), as_uuid(row["user"]), row["minutes"]) != (team_id, volunteer_id, minutes):
        raise DomainError(
            "idempotency_key_reused", N_("This Idempotency-Key was already used for another request."), status=422
        )
    return row
