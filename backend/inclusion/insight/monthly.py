"""Monthly figures beside participation (``statistics``): participants by age band, verified
volunteer hours, points earned and spent, per community and month, with small cells hidden.

The same months, scope and permission as the participation report (``view_statistics`` over a
community, street, district or the city), and the same rule: a cell that describes fewer than
``MIN_CELL`` people is suppressed (value null, its name in ``suppressed``).

- Age bands count the participants of the month (as ``statistics`` counts them) by their age
  that year; the bands add up to the participants, so when a single band is hidden the smallest
  shown one is hidden too (else it would be the total minus the others).
- Volunteer hours are the verified minutes served for the community's teams (by the day served),
  hidden with the number of volunteers when fewer than five served.
- Points earned are what residents earned there (refunds of a cancelled redemption are not
  earnings: they undo a spending); points spent are redemptions less their refunds. Each is
  hidden when fewer than five residents earned (or redeemed) that month.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from backend.accounts.api import OrganisationKind, Permission, organisations_under
from backend.core import audit
from backend.core.i18n import N_, pick
from backend.core.values import as_uuid
from backend.inclusion.insight.statistics import (
    MIN_CELL,
    YOUTH_FROM,
    YOUTH_UNTIL,
    Month,
    _attended_cte,
    _int,
    _month_start,
    _scope,
    _shift,
    month_range,
    month_text,
)
from backend.inclusion.points.tables import PointEntry, PointReason
from backend.volunteers.api import verified_service_under

# Age that year: under 14, 14–35 (the city's youth), 36–59, 60 and over, and no birth year given.
AGE_BANDS: tuple[str, ...] = ("under_14", "youth", "middle", "senior", "unknown")
AGE_BAND_NAMES: dict[str, str] = {
    "under_14": N_("Under 14"),
    "youth": N_("14 to 35"),
    "middle": N_("36 to 59"),
    "senior": N_("60 and over"),
    "unknown": N_("Age not given"),
}


@dataclass
class MonthFigures:
    """One row: None stands for a suppressed cell, whose name is in ``suppressed``."""

    community_id: uuid.UUID
    community_name: dict[str, str]
    month: Month
    participants: int | None = None
    age_bands: dict[str, int | None] = field(default_factory=dict)
    volunteer_hours: float | None = None
    volunteers: int | None = None
    points_earned: int | None = None
    earners: int | None = None
    points_spent: int | None = None
    spenders: int | None = None
    suppressed: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class MonthlyReport:
    scope_id: uuid.UUID
    scope_name: dict[str, str]
    scope_kind: str
    months: list[Month]
    rows: list[MonthFigures]


# --- the queries --------------------------------------------------------------------------------------


async def _age_counts(months: Sequence[Month], scope_path: str) -> list[dict[str, Any]]:
    """Per (community, month): distinct participants in each age band (age in that month's year)."""
    attended, args = _attended_cte(months, scope_path)
    age = "CAST({} AS INTEGER) + (CAST({} AS INTEGER) + p.month_index) / 12 - u.birth_year"
    sql = f"""
    WITH {attended},
    per_person AS (SELECT DISTINCT community, month_index, person FROM attended)
    SELECT p.community AS community, p.month_index AS month_index, COUNT(*) AS participants,
           SUM(CASE WHEN u.birth_year IS NULL THEN 1 ELSE 0 END) AS unknown,
           SUM(CASE WHEN u.birth_year IS NOT NULL AND {age} < {YOUTH_FROM} THEN 1 ELSE 0 END) AS under_14,
           SUM(CASE WHEN {age} BETWEEN {YOUTH_FROM} AND {YOUTH_UNTIL} THEN 1 ELSE 0 END) AS youth,
           SUM(CASE WHEN {age} BETWEEN {YOUTH_UNTIL + 1} AND 59 THEN 1 ELSE 0 END) AS middle,
           SUM(CASE WHEN {age} >= 60 THEN 1 ELSE 0 END) AS senior
    FROM per_person p
    JOIN account_user u ON u.id = p.person
    GROUP BY p.community, p.month_index
    """
    first_year, first_month = months[0][0], months[0][1] - 1
    ages = [first_year, first_month] * 4  # each {age} takes the first month's year and month
    rows: list[dict[str, Any]] = await PointEntry.raw(sql, *args, *ages)
    return rows


async def _points(months: Sequence[Month], scope_path: str) -> list[dict[str, Any]]:
    """Per (community, month): points earned and spent there, and by how many residents."""
    bounds = [_month_start(m) for m in months[1:]]
    bucket = "0"
    if bounds:
        bucket = "CASE " + " ".join(f"WHEN e.created_at < {{}} THEN {i}" for i in range(len(bounds)))
        bucket += f" ELSE {len(bounds)} END"
    redeemed, refunded = PointReason.redemption.value, PointReason.redemption_refund.value
    earned = f"points > 0 AND reason NOT IN ('{redeemed}', '{refunded}')"
    spent = f"reason IN ('{redeemed}', '{refunded}')"
    sql = f"""
    WITH entries AS (
        SELECT e.community AS community, e."user" AS person, e.points AS points, e.reason AS reason,
               {bucket} AS month_index
        FROM inclusion_point_entry e
        JOIN account_organisation o ON o.id = e.community
        WHERE o.kind = 'community' AND o.path LIKE {{}} AND e.created_at >= {{}} AND e.created_at < {{}}
    )
    SELECT community, month_index,
           SUM(CASE WHEN {earned} THEN points ELSE 0 END) AS earned,
           COUNT(DISTINCT CASE WHEN {earned} THEN person END) AS earners,
           -SUM(CASE WHEN {spent} THEN points ELSE 0 END) AS spent,
           COUNT(DISTINCT CASE WHEN reason = '{redeemed}' THEN person END) AS spenders
    FROM entries
    GROUP BY community, month_index
    """
    args = [*bounds, scope_path + "%", _month_start(months[0]), _month_start(_shift(months[-1], 1))]
    rows: list[dict[str, Any]] = await PointEntry.raw(sql, *args)
    return rows


async def _hours(months: Sequence[Month], scope_path: str) -> dict[tuple[uuid.UUID, int], dict[uuid.UUID, int]]:
    """Verified minutes per (organisation, month index) and volunteer."""
    first = date(months[0][0], months[0][1], 1)
    following_month = _shift(months[-1], 1)
    following = date(following_month[0], following_month[1], 1)
    index = {month: i for i, month in enumerate(months)}
    found: dict[tuple[uuid.UUID, int], dict[uuid.UUID, int]] = {}
    for served in await verified_service_under(path=scope_path, first=first, following=following):
        key = (served.organisation_id, index[(served.service_date.year, served.service_date.month)])
        people = found.setdefault(key, {})
        people[served.user_id] = people.get(served.user_id, 0) + served.minutes
    return found


# --- suppression ---------------------------------------------------------------------------------------


def _bands(row: MonthFigures, counts: dict[str, Any] | None) -> None:
    data = counts or {}
    participants = _int(data.get("participants"))
    row.participants = participants if participants >= MIN_CELL else None
    if row.participants is None:
        row.suppressed.append("participants")
    values = {band: _int(data.get(band)) for band in AGE_BANDS}
    for band in AGE_BANDS:
        shown = values[band] >= MIN_CELL
        row.age_bands[band] = values[band] if shown else None
        if not shown:
            row.suppressed.append(f"age:{band}")
    hidden = [band for band in AGE_BANDS if row.age_bands[band] is None]
    shown_bands = [band for band in AGE_BANDS if row.age_bands[band] is not None]
    # The bands add up to the participants: one hidden band alone would be the rest. Hide another.
    if row.participants is not None and len(hidden) == 1 and values[hidden[0]] > 0 and shown_bands:
        smallest = min(shown_bands, key=lambda band: values[band])
        row.age_bands[smallest] = None
        row.suppressed.append(f"age:{smallest}")


def _volunteering(row: MonthFigures, minutes: dict[uuid.UUID, int]) -> None:
    served = {person: total for person, total in minutes.items() if total > 0}
    if len(served) < MIN_CELL:
        row.suppressed.extend(("volunteer_hours", "volunteers"))
        return
    row.volunteers = len(served)
    row.volunteer_hours = round(sum(served.values()) / 60, 1)


def _spending(row: MonthFigures, data: dict[str, Any] | None) -> None:
    values = data or {}
    earners, spenders = _int(values.get("earners")), _int(values.get("spenders"))
    if earners >= MIN_CELL:
        row.points_earned, row.earners = _int(values.get("earned")), earners
    else:
        row.suppressed.extend(("points_earned", "earners"))
    if spenders >= MIN_CELL:
        row.points_spent, row.spenders = _int(values.get("spent")), spenders
    else:
        row.suppressed.extend(("points_spent", "spenders"))


# --- the report ----------------------------------------------------------------------------------------


async def monthly_report(
    *, user_id: uuid.UUID, organisation_id: uuid.UUID, month_from: str | None, month_to: str | None
) -> MonthlyReport:
    """Per community under the scope and per month; only for holders of view_statistics there."""
    months = month_range(month_from, month_to)
    scope = await _scope(user_id, organisation_id)
    communities = await organisations_under(scope.path, kind=OrganisationKind.community)
    ages = {(as_uuid(r["community"]), int(r["month_index"])): r for r in await _age_counts(months, scope.path)}
    points = {(as_uuid(r["community"]), int(r["month_index"])): r for r in await _points(months, scope.path)}
    hours = await _hours(months, scope.path)
    rows = []
    for community in sorted(communities, key=lambda c: (pick(c.name)[0], str(c.id))):
        for index, month in enumerate(months):
            row = MonthFigures(community_id=community.id, community_name=community.name, month=month)
            _bands(row, ages.get((community.id, index)))
            _volunteering(row, hours.get((community.id, index), {}))
            _spending(row, points.get((community.id, index)))
            rows.append(row)
    return MonthlyReport(scope_id=scope.id, scope_name=scope.name, scope_kind=scope.kind, months=months, rows=rows)


async def monthly_export(
    *, user_id: uuid.UUID, organisation_id: uuid.UUID, month_from: str | None, month_to: str | None
) -> MonthlyReport:
    """The report for its CSV file: an export leaves the system, so reading it is audited."""
    report = await monthly_report(
        user_id=user_id, organisation_id=organisation_id, month_from=month_from, month_to=month_to
    )
    await audit.record(
        "inclusion.monthly_statistics_exported",
        object_type="organisation",
        object_id=report.scope_id,
        organisation_id=report.scope_id,
        permission=Permission.view_statistics.value,
        after={"from": month_text(report.months[0]), "to": month_text(report.months[-1]), "format": "csv"},
        read=True,
    )
    return report
