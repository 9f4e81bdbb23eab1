"""Reading the hours ledger, scoped to who is asking: a volunteer's own entries and totals, a
team's entries for its coordinators (with masked real names), the entries a shift made."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from piccolo.query.functions.aggregate import Sum
from piccolo.query.methods.select import Select

from backend.core import audit
from backend.core.errors import DomainError, NotFound
from backend.core.i18n import N_
from backend.core.values import as_uuid
from backend.volunteers.hours.tables import HoursEntry, HoursKind, HoursStatus
from backend.volunteers.people.queries import masked_names
from backend.volunteers.teams.guards import require_coordination
from backend.volunteers.teams.tables import TeamMember

MAX_PAGE = 200
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
    HoursEntry.title,
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


def shift_source_key(signup_id: uuid.UUID) -> str:
    return f"shift:{signup_id}"


def entry_not_found() -> NotFound:
    return NotFound("hours_entry_not_found", N_("This hours entry does not exist."))


def month_range(month: str) -> tuple[date, date]:
    """``YYYY-MM`` → [first day, first day of the next month); a 422 for anything else."""
    try:
        year, number = (int(part) for part in month.split("-"))
        first = date(year, number, 1)
        following = date(year + number // 12, number % 12 + 1, 1)  # 9999-12 has no next month
    except ValueError:
        raise DomainError("invalid_month", N_("Give the month as YYYY-MM."), status=422) from None
    return first, following


async def entry_row(entry_id: uuid.UUID) -> dict[str, Any]:
    row = await HoursEntry.select(*ENTRY_COLUMNS).output(load_json=True).where(HoursEntry.id == entry_id).first()
    if row is None:
        raise entry_not_found()
    return row


async def entry_by_source_key(source_key: str) -> dict[str, Any] | None:
    return (
        await HoursEntry.select(*ENTRY_COLUMNS)
        .output(load_json=True)
        .where(HoursEntry.source_key == source_key)
        .first()
    )


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


# --- a volunteer's ledger and a team's ---------------------------------------------------------


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


def totals_query(user_id: uuid.UUID) -> Select[HoursEntry]:
    """A person's minutes by status: read from the ("user", status, minutes) index alone, never
    the table (migration 2026-12-05T23:45), so it costs the person's entries, not everyone's."""
    return (
        HoursEntry.select(HoursEntry.status, Sum(HoursEntry.minutes).as_alias("minutes"))
        .where(HoursEntry.user == user_id)
        .group_by(HoursEntry.status)
    )


def newest_entries_query(user_id: uuid.UUID) -> Select[HoursEntry]:
    """A person's entries, newest first: the ("user", created_at, id) index walked backwards,
    stopping at the page (no sort of all their entries)."""
    return (
        HoursEntry.select(*ENTRY_COLUMNS)
        .output(load_json=True)
        .where(HoursEntry.user == user_id)
        .order_by(HoursEntry.created_at, HoursEntry.id, ascending=False)
    )


async def hours_totals(*, user_id: uuid.UUID, milestones: tuple[int, ...]) -> Totals:
    """A balance is a sum: verified rows (corrections included) and, apart, what still waits."""
    rows = await totals_query(user_id)
    by_status = {row["status"]: int(row["minutes"] or 0) for row in rows}
    verified = by_status.get(HoursStatus.verified.value, 0)
    level, following = milestone_level(verified, milestones)
    return Totals(verified, by_status.get(HoursStatus.pending.value, 0), level, following)


def invalid_cursor() -> DomainError:
    return DomainError("invalid_cursor", N_("This page cursor is not valid."), status=400)


async def newest_page(
    query: Select[HoursEntry], *, scope: Any, limit: int, before: uuid.UUID | None = None, offset: int = 0
) -> tuple[list[dict[str, Any]], uuid.UUID | None]:
    """A page of ``query`` (newest first, by created_at then id) and the cursor of the next page
    (None at the end). ``before`` is the last entry of the page before: it must be one of the
    entries ``scope`` selects (a 400 otherwise), and the page starts just after it, so pages join
    with no gap or repeat even when entries share a created_at."""
    limit = min(limit, MAX_PAGE)
    if before is not None:
        anchor = await HoursEntry.select(HoursEntry.created_at).where((HoursEntry.id == before) & scope).first()
        if anchor is None:
            raise invalid_cursor()
        query = query.where(
            (HoursEntry.created_at < anchor["created_at"])
            | ((HoursEntry.created_at == anchor["created_at"]) & (HoursEntry.id < before))
        )
    elif offset:
        query = query.offset(offset)
    rows = await query.limit(limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1]["id"] if more and rows else None)


async def my_entries(
    *, user_id: uuid.UUID, limit: int, before: uuid.UUID | None = None, offset: int = 0
) -> tuple[list[dict[str, Any]], uuid.UUID | None]:
    """The caller's entries, newest first, and the cursor of the next page (None at the end)."""
    return await newest_page(
        newest_entries_query(user_id), scope=HoursEntry.user == user_id, limit=limit, before=before, offset=offset
    )


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
    await require_coordination(user_id=user_id, team_id=team_id)
    return await _team_rows(
        team_id=team_id, status=status, month=month, limit=limit, offset=offset, oldest_first=oldest_first
    )


async def team_month_export(*, user_id: uuid.UUID, team_id: uuid.UUID, month: str) -> list[dict[str, Any]]:
    """A month of a team's entries, oldest first, for its CSV: a sensitive read, on the audit trail."""
    coordination = await require_coordination(user_id=user_id, team_id=team_id)
    rows = await _team_rows(team_id=team_id, month=month, limit=None, oldest_first=True)
    await audit.record(
        "volunteers.team_hours_exported",
        object_type="team",
        object_id=team_id,
        organisation_id=coordination.organisation_id,
        permission=coordination.permission,
        after={"month": month, "entries": len(rows)},
        read=True,
    )
    return rows


def team_entries_query(
    team_id: uuid.UUID,
    *,
    status: str | None = None,
    month: str | None = None,
    oldest_first: bool = False,
    volunteer_id: uuid.UUID | None = None,
) -> Select[HoursEntry]:
    """A team's entries: a month oldest first through ``(team, service_date)``; the queue (one
    status, newest first) walks ``(team, status, created_at, id)`` backwards and stops at its page
    (migration 2026-12-06T02:30), and every status newest first ``(team, created_at, id)``
    (2026-12-06T05:45), so it costs the page, not the team's years of entries."""
    query = HoursEntry.select(*ENTRY_COLUMNS).output(load_json=True).where(HoursEntry.team == team_id)
    if volunteer_id is not None:
        query = query.where(HoursEntry.user == volunteer_id)
    if status is not None:
        query = query.where(HoursEntry.status == status)
    if month is not None:
        first, following = month_range(month)
        query = query.where((HoursEntry.service_date >= first) & (HoursEntry.service_date < following))
    if oldest_first:
        return query.order_by(HoursEntry.service_date, HoursEntry.created_at, HoursEntry.id)
    return query.order_by(HoursEntry.created_at, HoursEntry.id, ascending=False)


async def _team_rows(
    *,
    team_id: uuid.UUID,
    status: str | None = None,
    month: str | None = None,
    limit: int | None = MAX_PAGE,
    offset: int = 0,
    oldest_first: bool = False,
) -> list[dict[str, Any]]:
    query = team_entries_query(team_id, status=status, month=month, oldest_first=oldest_first)
    if limit is not None:  # the CSV reads a whole month
        query = query.limit(limit).offset(offset)
    rows = await query
    masked = await masked_names(row["user"] for row in rows)
    for row in rows:
        row["real_name_masked"] = masked.get(as_uuid(row["user"]))
    return rows


# --- one volunteer's ledger in a team, for its coordinators ---------------------------------------

LEDGER_PAGE = 50


def volunteer_entries_query(team_id: uuid.UUID, volunteer_id: uuid.UUID) -> Select[HoursEntry]:
    """A volunteer's entries in a team, newest first: ``("user", team, created_at, id)`` walked
    backwards, stopping at the page (migration 2026-12-06T05:30)."""
    return team_entries_query(team_id, volunteer_id=volunteer_id)


def volunteer_sums_query(team_id: uuid.UUID, volunteer_id: uuid.UUID) -> Select[HoursEntry]:
    """A volunteer's minutes in a team by status, from ``("user", team, status, minutes)`` alone:
    every entry counts, whatever page is shown."""
    return (
        HoursEntry.select(HoursEntry.status, Sum(HoursEntry.minutes).as_alias("minutes"))
        .where((HoursEntry.user == volunteer_id) & (HoursEntry.team == team_id))
        .group_by(HoursEntry.status)
    )


def corrections_query(entry_ids: list[uuid.UUID]) -> Select[HoursEntry]:
    """The verified minutes of the corrections of these entries, by entry (the ``corrects`` index)."""
    return (
        HoursEntry.select(HoursEntry.corrects, Sum(HoursEntry.minutes).as_alias("minutes"))
        .where(HoursEntry.corrects.is_in(entry_ids) & (HoursEntry.status == HoursStatus.verified.value))
        .group_by(HoursEntry.corrects)
    )


@dataclass(frozen=True)
class Corrections:
    """What a page's rows need of rows that may be on other pages."""

    balances: dict[uuid.UUID, int]  # a corrected entry: its minutes with its verified corrections
    corrected_dates: dict[uuid.UUID, date]  # a correction: the service date of the entry it corrects


async def corrections_of(rows: list[dict[str, Any]]) -> Corrections:
    """The balances of the rows that were corrected and the dates of the entries the rows
    correct, in one query each, wherever those entries or corrections are listed."""
    entries = {as_uuid(row["id"]): int(row["minutes"]) for row in rows if row["corrects"] is None}
    originals = {as_uuid(row["corrects"]) for row in rows if row["corrects"] is not None}
    balances: dict[uuid.UUID, int] = {}
    if entries:
        for found in await corrections_query(list(entries)):
            entry_id = as_uuid(found["corrects"])
            balances[entry_id] = entries[entry_id] + int(found["minutes"] or 0)
    dates: dict[uuid.UUID, date] = {}
    if originals:
        found_dates = await HoursEntry.select(HoursEntry.id, HoursEntry.service_date).where(
            HoursEntry.id.is_in(list(originals))
        )
        dates = {as_uuid(row["id"]): row["service_date"] for row in found_dates}
    return Corrections(balances, dates)


@dataclass(frozen=True)
class VolunteerLedger:
    volunteer_id: uuid.UUID
    display_name: str
    real_name_masked: str | None
    team_id: uuid.UUID
    team_name: dict[str, str]
    rows: list[dict[str, Any]]  # a page of this team's entries, newest first, corrections included
    corrections: Corrections  # what the page's rows need of other pages
    next_before: uuid.UUID | None  # the cursor of the next (older) page; None at the end
    team_minutes: dict[str, int]  # by status, in this team, over every page
    totals: Totals  # over every team: the level as the volunteer's own ledger shows it


async def volunteer_ledger(
    *,
    user_id: uuid.UUID,
    team_id: uuid.UUID,
    volunteer_id: uuid.UUID,
    milestones: tuple[int, ...],
    limit: int = LEDGER_PAGE,
    before: uuid.UUID | None = None,
) -> VolunteerLedger:
    """A page of a volunteer's entries in the team for its coordinators, newest first, keyset-paged
    as ``GET /me/hours`` (``before``: the last entry of the page before; one of this volunteer's
    entries in this team, or a 400), each with the same masked real name as the team's queue and
    what its corrections make of it; the team's sums by status and the volunteer's totals and
    milestone level over all teams (``hours_totals``, as ``GET /me/hours`` answers them), whole
    on every page. 404 for someone who never was in the team and has no entry in it. A sensitive
    read: one audit entry per page read."""
    coordination = await require_coordination(user_id=user_id, team_id=team_id)
    place = (
        await TeamMember.select(TeamMember.user.display_name.as_alias("name"))
        .where((TeamMember.team == team_id) & (TeamMember.user == volunteer_id))
        .first()
    )
    if place is None:  # a former member: known here by their entries
        place = (
            await HoursEntry.select(HoursEntry.user.display_name.as_alias("name"))
            .where((HoursEntry.user == volunteer_id) & (HoursEntry.team == team_id))
            .first()
        )
        if place is None:
            raise NotFound("membership_not_found", N_("This person is not in this team."))
    rows, next_before = await newest_page(
        volunteer_entries_query(team_id, volunteer_id),
        scope=(HoursEntry.user == volunteer_id) & (HoursEntry.team == team_id),
        limit=limit,
        before=before,
    )
    masked = (await masked_names([volunteer_id])).get(volunteer_id)
    for row in rows:
        row["real_name_masked"] = masked
    sums = await volunteer_sums_query(team_id, volunteer_id)
    await audit.record(
        "volunteers.volunteer_hours_read",
        object_type="team",
        object_id=team_id,
        organisation_id=coordination.organisation_id,
        permission=coordination.permission,
        after={"volunteer": volunteer_id, "entries": len(rows), "before": before},
        read=True,
    )
    return VolunteerLedger(
        volunteer_id=volunteer_id,
        display_name=place["name"] or "",
        real_name_masked=masked,
        team_id=team_id,
        team_name=coordination.team.name or {},  # type: ignore[arg-type]  # JSON read with load_json: a dict
        rows=rows,
        corrections=await corrections_of(rows),
        next_before=next_before,
        team_minutes={row["status"]: int(row["minutes"] or 0) for row in sums},
        totals=await hours_totals(user_id=volunteer_id, milestones=milestones),
    )
