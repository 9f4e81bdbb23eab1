"""Participation statistics: who takes part, per community and month, with small cells hidden.

An attendance is a registration marked attended (checked in). It counts in the month the event
starts (Suzhou time) and in the community of the event's venue; venues without a community are
not counted. Every cell that describes fewer than ``MIN_CELL`` people is suppressed (value null,
its name listed in ``suppressed``), and so is every share whose numerator or denominator is that
small, so a share cannot give a small count away.

The counting is done by the database in two aggregate queries (a raw CTE: month buckets and
conditional sums that Piccolo's builder cannot express), whatever the number of people.
"""

from __future__ import annotations

import statistics as _stats
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from backend.accounts.api import OrganisationKind, OrganisationRef, Permission, may, organisation, organisations_under
from backend.core import audit, clock
from backend.core.errors import DomainError, Forbidden
from backend.core.i18n import CITY_TZ, N_, pick
from backend.core.values import as_uuid
from backend.inclusion.profiles.tables import ResidentGroup, ResidentProfile

MIN_CELL = 5
MAX_MONTHS = 24
DEFAULT_MONTHS = 6
YOUTH_FROM, YOUTH_UNTIL = 14, 35
UNDECLARED = "undeclared"
GROUPS: tuple[str, ...] = (*(group.value for group in ResidentGroup), UNDECLARED)
# Whose wait from arrival to a first event the city wants to see shrink.
NEWCOMER_GROUPS: tuple[str, ...] = (
    ResidentGroup.new_resident.value,
    ResidentGroup.relocated_villager.value,
    ResidentGroup.migrant_worker.value,
    ResidentGroup.foreign_resident.value,
)
SCOPE_KINDS = frozenset(
    {OrganisationKind.city, OrganisationKind.district, OrganisationKind.street, OrganisationKind.community}
)


Month = tuple[int, int]


@dataclass
class CommunityMonth:
    """One row: None stands for a suppressed cell, whose name is in ``suppressed``."""

    community_id: uuid.UUID
    community_name: dict[str, str]
    month: Month
    participants: int | None = None
    attendances: int | None = None
    people: int | None = None
    repeat_participants: int | None = None
    youth_share: float | None = None
    groups: dict[str, float | None] = field(default_factory=dict)
    new_residents_days_to_first: float | None = None
    suppressed: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ParticipationReport:
    scope_id: uuid.UUID
    scope_name: dict[str, str]
    scope_kind: str
    months: list[Month]
    rows: list[CommunityMonth]


# --- months -----------------------------------------------------------------------------------------


def parse_month(text: str) -> Month:
    year, number = (int(part) for part in text.split("-"))
    return year, number


def month_text(month: Month) -> str:
    return f"{month[0]:04d}-{month[1]:02d}"


def _shift(month: Month, by: int) -> Month:
    index = month[0] * 12 + month[1] - 1 + by
    return index // 12, index % 12 + 1


def month_range(month_from: str | None, month_to: str | None, today: date | None = None) -> list[Month]:
    """The months asked for, oldest first; by default the last six, this one included."""
    current = today or clock.city_today()
    last = parse_month(month_to) if month_to else (current.year, current.month)
    first = parse_month(month_from) if month_from else _shift(last, 1 - DEFAULT_MONTHS)
    count = (last[0] * 12 + last[1]) - (first[0] * 12 + first[1]) + 1
    if count < 1:
        raise DomainError("stats_range_invalid", N_("The first month must not come after the last one."), status=422)
    if count > MAX_MONTHS:
        raise DomainError(
            "stats_range_too_long",
            N_("Ask for at most {limit} months at a time."),
            params={"limit": MAX_MONTHS},
            status=422,
        )
    return [_shift(first, i) for i in range(count)]


def _month_start(month: Month) -> datetime:
    return datetime(month[0], month[1], 1, tzinfo=CITY_TZ).astimezone(UTC)


# --- the queries --------------------------------------------------------------------------------------


def _attended_cte(months: Sequence[Month], scope_path: str) -> tuple[str, list[Any]]:
    """Attendances in the months, in communities under the scope, each with its month's index."""
    bounds = [_month_start(m) for m in months[1:]]
    bucket = "0"
    if bounds:
        whens = " ".join(f"WHEN e.starts_at < {{}} THEN {i}" for i in range(len(bounds)))
        bucket = f"CASE {whens} ELSE {len(bounds)} END"
    sql = f"""
    attended AS (
        SELECT v.community AS community, r."user" AS person, r.party_size AS party_size,
               e.starts_at AS starts_at, {bucket} AS month_index
        FROM event_registration r
        JOIN event_event e ON e.id = r.event
        JOIN event_venue v ON v.id = e.venue
        JOIN account_organisation o ON o.id = v.community
        WHERE r.status = 'attended' AND r.checked_in_at IS NOT NULL
          AND o.kind = 'community' AND o.path LIKE {{}}
          AND e.starts_at >= {{}} AND e.starts_at < {{}}
    )"""
    return sql, [*bounds, scope_path + "%", _month_start(months[0]), _month_start(_shift(months[-1], 1))]


_GROUP_SUMS = ",\n".join(
    f"SUM(CASE WHEN rp.resident_group = '{group.value}' THEN 1 ELSE 0 END) AS g_{group.value}"
    for group in ResidentGroup
)


async def _counts(months: Sequence[Month], scope_path: str) -> list[dict[str, Any]]:
    """Per (community, month): participants, attendances, people, repeaters, ages, groups."""
    attended, args = _attended_cte(months, scope_path)
    end = _month_start(_shift(months[-1], 1))
    # A participant came back when they came twice this month, or had come before this month.
    sql = f"""
    WITH {attended},
    per_person AS (
        SELECT community, month_index, person, COUNT(*) AS n, SUM(party_size) AS people,
               MIN(starts_at) AS first_in_month
        FROM attended GROUP BY community, month_index, person
    ),
    earliest AS (
        SELECT v.community AS community, r."user" AS person, MIN(e.starts_at) AS first_at
        FROM event_registration r
        JOIN event_event e ON e.id = r.event
        JOIN event_venue v ON v.id = e.venue
        WHERE r.status = 'attended' AND r.checked_in_at IS NOT NULL AND e.starts_at < {{}}
          AND r."user" IN (SELECT person FROM attended)
        GROUP BY v.community, r."user"
    )
    SELECT p.community AS community, p.month_index AS month_index,
           COUNT(*) AS participants, SUM(p.n) AS attendances, SUM(p.people) AS people,
           SUM(CASE WHEN p.n >= 2 OR f.first_at < p.first_in_month THEN 1 ELSE 0 END) AS repeat_participants,
           SUM(CASE WHEN u.birth_year IS NULL THEN 0 ELSE 1 END) AS known_age,
           SUM(CASE WHEN CAST({{}} AS INTEGER) + (CAST({{}} AS INTEGER) + p.month_index) / 12 - u.birth_year
                    BETWEEN {YOUTH_FROM} AND {YOUTH_UNTIL} THEN 1 ELSE 0 END) AS youth,
           {_GROUP_SUMS}
    FROM per_person p
    JOIN account_user u ON u.id = p.person
    LEFT JOIN inclusion_resident_profile rp ON rp."user" = p.person
    LEFT JOIN earliest f ON f.community = p.community AND f.person = p.person
    GROUP BY p.community, p.month_index
    """
    # The year of month i is first_year + (first_month - 1 + i) // 12: ages as they were then.
    rows: list[dict[str, Any]] = await ResidentProfile.raw(sql, *args, end, months[0][0], months[0][1] - 1)
    return rows


async def _newcomer_firsts(months: Sequence[Month], scope_path: str) -> list[dict[str, Any]]:
    """Newcomers whose first attendance ever falls in the months: where, when, and their arrival."""
    attended, args = _attended_cte(months, scope_path)
    groups = ", ".join(f"'{group}'" for group in NEWCOMER_GROUPS)
    sql = f"""
    WITH {attended},
    first_ever AS (
        SELECT r."user" AS person, MIN(e.starts_at) AS first_at
        FROM event_registration r
        JOIN event_event e ON e.id = r.event
        WHERE r.status = 'attended' AND r.checked_in_at IS NOT NULL
          AND r."user" IN (SELECT person FROM attended)
        GROUP BY r."user"
    )
    SELECT DISTINCT a.community AS community, a.month_index AS month_index, a.person AS person,
           rp.arrival_month AS arrival_month, fe.first_at AS first_at
    FROM attended a
    JOIN first_ever fe ON fe.person = a.person AND fe.first_at = a.starts_at
    JOIN inclusion_resident_profile rp ON rp."user" = a.person
    WHERE rp.resident_group IN ({groups}) AND rp.arrival_month IS NOT NULL
    """
    rows: list[dict[str, Any]] = await ResidentProfile.raw(sql, *args)
    return rows


# --- raw values, as each database hands them back ----------------------------------------------------------


def _int(value: Any) -> int:
    # PostgreSQL sums bigints into numerics (Decimal); SQLite gives ints.
    return int(value or 0)


def _moment(value: Any) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


# --- suppression ---------------------------------------------------------------------------------------


def _count(row: CommunityMonth, name: str, value: int) -> int | None:
    if value < MIN_CELL:
        row.suppressed.append(name)
        return None
    return value


def _share(row: CommunityMonth, name: str, numerator: int, denominator: int) -> float | None:
    if numerator < MIN_CELL or denominator < MIN_CELL:
        row.suppressed.append(name)
        return None
    return round(numerator / denominator, 3)


def _group_shares(row: CommunityMonth, counts: dict[str, int], participants: int) -> None:
    for group in GROUPS:
        row.groups[group] = _share(row, f"group:{group}", counts[group], participants)
    hidden = [g for g in GROUPS if row.groups[g] is None]
    shown = [g for g in GROUPS if row.groups[g] is not None]
    # Shares add up to one: a single hidden group would be one minus the others. Hide one more.
    if participants >= MIN_CELL and len(hidden) == 1 and counts[hidden[0]] > 0 and shown:
        smallest = min(shown, key=lambda g: counts[g])
        row.groups[smallest] = None
        row.suppressed.append(f"group:{smallest}")


def _fill(row: CommunityMonth, counts: dict[str, Any] | None, waits: list[int]) -> None:
    data = counts or {}
    participants = _int(data.get("participants"))
    row.participants = _count(row, "participants", participants)
    # Attendances and people are counts about the same participants: hidden with them.
    for name in ("attendances", "people"):
        setattr(row, name, _int(data.get(name)) if row.participants is not None else None)
        if row.participants is None:
            row.suppressed.append(name)
    row.repeat_participants = _count(row, "repeat_participants", _int(data.get("repeat_participants")))
    row.youth_share = _share(row, "youth_share", _int(data.get("youth")), _int(data.get("known_age")))
    groups = {group.value: _int(data.get(f"g_{group.value}")) for group in ResidentGroup}
    groups[UNDECLARED] = participants - sum(groups.values())
    _group_shares(row, groups, participants)
    if len(waits) < MIN_CELL:
        row.suppressed.append("new_residents_days_to_first")
    else:
        row.new_residents_days_to_first = round(float(_stats.median(waits)), 1)


# --- the report ----------------------------------------------------------------------------------------


async def _scope(user_id: uuid.UUID, organisation_id: uuid.UUID) -> OrganisationRef:
    if not await may(user_id=user_id, permission=Permission.view_statistics, organisation_id=organisation_id):
        raise Forbidden()
    scope = await organisation(organisation_id)
    if scope is None or scope.kind not in SCOPE_KINDS:
        raise DomainError(
            "stats_scope_invalid", N_("Statistics are kept for a community, street, district or the city."), status=422
        )
    return scope


def _waits(firsts: list[dict[str, Any]]) -> dict[tuple[uuid.UUID, int], list[int]]:
    """Days from arrival to the first event, per (community, month index), once per person."""
    waits: dict[tuple[uuid.UUID, int], list[int]] = {}
    seen: set[uuid.UUID] = set()
    for row in firsts:
        person = as_uuid(row["person"])
        days = (_moment(row["first_at"]).astimezone(CITY_TZ).date() - _day(row["arrival_month"])).days
        # Someone who took part before the arrival they declared was not waiting to find us.
        if person in seen or days < 0:
            continue
        seen.add(person)
        waits.setdefault((as_uuid(row["community"]), int(row["month_index"])), []).append(days)
    return waits


async def participation_report(
    *, user_id: uuid.UUID, organisation_id: uuid.UUID, month_from: str | None, month_to: str | None
) -> ParticipationReport:
    """Per community under the scope and per month; only for holders of view_statistics there."""
    months = month_range(month_from, month_to)
    scope = await _scope(user_id, organisation_id)
    communities = await organisations_under(scope.path, kind=OrganisationKind.community)
    counts = {(as_uuid(r["community"]), int(r["month_index"])): r for r in await _counts(months, scope.path)}
    waits = _waits(await _newcomer_firsts(months, scope.path))
    rows = []
    for community in sorted(communities, key=lambda c: (pick(c.name)[0], str(c.id))):
        for index, month in enumerate(months):
            row = CommunityMonth(community_id=community.id, community_name=community.name, month=month)
            _fill(row, counts.get((community.id, index)), waits.get((community.id, index), []))
            rows.append(row)
    return ParticipationReport(
        scope_id=scope.id, scope_name=scope.name, scope_kind=scope.kind, months=months, rows=rows
    )


async def participation_export(
    *, user_id: uuid.UUID, organisation_id: uuid.UUID, month_from: str | None, month_to: str | None
) -> ParticipationReport:
    """The report for its CSV file: an export leaves the system, so reading it is audited."""
    report = await participation_report(
        user_id=user_id, organisation_id=organisation_id, month_from=month_from, month_to=month_to
    )
    await audit.record(
        "inclusion.statistics_exported",
        object_type="organisation",
        object_id=report.scope_id,
        organisation_id=report.scope_id,
        permission=Permission.view_statistics.value,
        after={"from": month_text(report.months[0]), "to": month_text(report.months[-1]), "format": "csv"},
        read=True,
    )
    return report
