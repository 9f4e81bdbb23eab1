"""Participation by place: per estate, per estate kind and per month, so the gap PROPOSAL-007
names (residents of new and transitional estates taking part less) can be seen and tracked.

A resident counts for the estate they say they live in now (``places``' residence, kept with
their consent): ``residents`` are those who say so, ``participants`` of a month those of them with
an attendance (a registration marked attended, checked in) at an event starting in the month,
anywhere in the city, ``attendances`` how many. A person who moved counts for where they live now,
in past months too, so a month's rate is participants over today's residents and never above one.
Cells are suppressed as in ``statistics``: any count under ``MIN_CELL`` people is null and named in
``suppressed``, attendances go with their participants, and a rate whose numerator or denominator
is that small is hidden too. An estate kind's row adds up its estates (a person lives
in one estate, so the sums count nobody twice) and is suppressed the same way.

Community staff (``view_statistics`` on the community or above) read every estate and kind; the
staff of an estate's property company read their own estates, and no kind rows (which would add up
others' estates). The CSV is an audited read.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from backend.accounts.api import OrganisationKind, Permission, is_member, may, organisation
from backend.core import audit
from backend.core.errors import DomainError, Forbidden
from backend.core.i18n import N_
from backend.core.values import as_uuid
from backend.inclusion.insight.statistics import (
    MIN_CELL,
    Month,
    _int,
    _month_start,
    _shift,
    month_range,
    month_text,
)
from backend.inclusion.profiles.tables import ResidentProfile
from backend.places.api import (
    ESTATE_KINDS,
    EstateBrief,
    EstateMonthFigures,
    estate_briefs_of_community,
    estates_by_id,
)

PROPERTY_COMPANY = "property_company"  # the audit's name for the say an estate's company has here


@dataclass
class PlaceMonth:
    """One estate's or one kind's month; None stands for a suppressed cell, named in ``suppressed``."""

    month: Month
    residents: int | None = None
    participants: int | None = None
    attendances: int | None = None
    participation_rate: float | None = None
    suppressed: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class EstateRow:
    estate: EstateBrief
    figures: PlaceMonth


@dataclass(frozen=True)
class KindRow:
    kind: str
    estates: int
    figures: PlaceMonth


@dataclass(frozen=True)
class PlaceReport:
    community_id: uuid.UUID
    community_name: dict[str, str]
    months: list[Month]
    estates: list[EstateRow]
    kinds: list[KindRow]


# --- the counting ---------------------------------------------------------------------------------


def _bucket(months: Sequence[Month]) -> tuple[str, list[Any]]:
    bounds = [_month_start(m) for m in months[1:]]
    if not bounds:
        return "0", []
    whens = " ".join(f"WHEN e.starts_at < {{}} THEN {i}" for i in range(len(bounds)))
    return f"CASE {whens} ELSE {len(bounds)} END", bounds


async def _participation(months: Sequence[Month], estate_ids: list[uuid.UUID]) -> dict[tuple[uuid.UUID, int], Any]:
    """(estate, month index) → participants and attendances of its residents."""
    bucket, bounds = _bucket(months)
    marks = ", ".join("{}" for _ in estate_ids)
    sql = f"""
    WITH attended AS (
        SELECT res.estate AS estate, r."user" AS person, {bucket} AS month_index
        FROM event_registration r
        JOIN event_event e ON e.id = r.event
        JOIN places_residence res ON res."user" = r."user"
        WHERE r.status = 'attended' AND r.checked_in_at IS NOT NULL
          AND res.estate IN ({marks})
          AND e.starts_at >= {{}} AND e.starts_at < {{}}
    )
    SELECT estate, month_index, COUNT(DISTINCT person) AS participants, COUNT(*) AS attendances
    FROM attended GROUP BY estate, month_index
    """
    args = [*bounds, *estate_ids, _month_start(months[0]), _month_start(_shift(months[-1], 1))]
    rows = await ResidentProfile.raw(sql, *args)
    return {(as_uuid(r["estate"]), int(r["month_index"])): r for r in rows}


async def _residents(estate_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    """estate → residents who say they live there now."""
    marks = ", ".join("{}" for _ in estate_ids)
    sql = f"SELECT estate, COUNT(*) AS residents FROM places_residence WHERE estate IN ({marks}) GROUP BY estate"
    rows = await ResidentProfile.raw(sql, *estate_ids)
    return {as_uuid(r["estate"]): _int(r["residents"]) for r in rows}


def _suppressed(residents: int, participants: int, attendances: int, month: Month) -> PlaceMonth:
    row = PlaceMonth(month=month)
    if residents < MIN_CELL:
        row.suppressed.append("residents")
    else:
        row.residents = residents
    if participants < MIN_CELL:
        row.suppressed += ["participants", "attendances"]
    else:
        row.participants, row.attendances = participants, attendances
    if residents < MIN_CELL or participants < MIN_CELL:
        row.suppressed.append("participation_rate")
    else:
        row.participation_rate = round(participants / residents, 3)
    return row


@dataclass(frozen=True)
class _Raw:
    residents: int
    participants: list[int]
    attendances: list[int]


async def _raw(months: Sequence[Month], estates: Sequence[EstateBrief]) -> dict[uuid.UUID, _Raw]:
    ids = [estate.id for estate in estates]
    if not ids:
        return {}
    counts = await _participation(months, ids)
    residents = await _residents(ids)
    raw = {}
    for estate in estates:
        found = [counts.get((estate.id, i)) for i in range(len(months))]
        raw[estate.id] = _Raw(
            residents=residents.get(estate.id, 0),
            participants=[_int(c["participants"]) if c else 0 for c in found],
            attendances=[_int(c["attendances"]) if c else 0 for c in found],
        )
    return raw


# --- who may, and the report ------------------------------------------------------------------------


async def _readable(user_id: uuid.UUID, community_id: uuid.UUID) -> tuple[Any, list[EstateBrief], bool]:
    """The community, the estates this person may read there, and whether they read it all; 403
    for anyone else, before saying whether the organisation is a community (as ``statistics``)."""
    whole = await may(user_id=user_id, permission=Permission.view_statistics, organisation_id=community_id)
    community = await organisation(community_id)
    if community is None or community.kind != OrganisationKind.community.value:
        if not whole:
            raise Forbidden()
        raise DomainError(
            "place_stats_not_a_community", N_("Participation by estate is kept for a community."), status=422
        )
    estates = await estate_briefs_of_community(community_id)
    if whole:
        return community, estates, True
    own = [e for e in estates if e.property_company_id is not None and await is_member(user_id, e.property_company_id)]
    if not own:
        raise Forbidden()
    return community, own, False


async def place_report(
    *, user_id: uuid.UUID, community_id: uuid.UUID, month_from: str | None, month_to: str | None
) -> PlaceReport:
    """Per estate and month, and per estate kind and month, of one community."""
    months = month_range(month_from, month_to)
    community, estates, whole = await _readable(user_id, community_id)
    raw = await _raw(months, estates)
    rows = [
        EstateRow(estate, _suppressed(r.residents, r.participants[i], r.attendances[i], month))
        for estate in estates
        for r in (raw[estate.id],)
        for i, month in enumerate(months)
    ]
    kinds = []
    if whole:
        for kind in ESTATE_KINDS:
            members = [raw[e.id] for e in estates if e.kind == kind]
            if not members:
                continue
            for i, month in enumerate(months):
                figures = _suppressed(
                    sum(m.residents for m in members),
                    sum(m.participants[i] for m in members),
                    sum(m.attendances[i] for m in members),
                    month,
                )
                kinds.append(KindRow(kind, len(members), figures))
    return PlaceReport(community.id, community.name, months, rows, kinds)


async def place_export(
    *, user_id: uuid.UUID, community_id: uuid.UUID, month_from: str | None, month_to: str | None
) -> PlaceReport:
    """The report for its CSV file: the file leaves the system, so reading it is audited."""
    report = await place_report(user_id=user_id, community_id=community_id, month_from=month_from, month_to=month_to)
    whole = await may(user_id=user_id, permission=Permission.view_statistics, organisation_id=community_id)
    await audit.record(
        "inclusion.place_statistics_exported",
        object_type="organisation",
        object_id=report.community_id,
        organisation_id=report.community_id,
        permission=Permission.view_statistics.value if whole else PROPERTY_COMPANY,
        after={
            "from": month_text(report.months[0]),
            "to": month_text(report.months[-1]),
            "format": "csv",
            "estates": len({row.estate.id for row in report.estates}),
        },
        read=True,
    )
    return report


# --- the alliance page's figures (places.api.EstateFigures, put in the app's state by the manifest)

ALLIANCE_MONTHS = 3


async def alliance_figures(estate_ids: Sequence[uuid.UUID]) -> list[EstateMonthFigures]:
    """The last three months (this one included) of each member estate, suppressed as above."""
    months = month_range(None, None)[-ALLIANCE_MONTHS:]
    estates = await estates_by_id(estate_ids)
    raw = await _raw(months, estates)
    found = []
    for estate in estates:
        r = raw[estate.id]
        for i, month in enumerate(months):
            row = _suppressed(r.residents, r.participants[i], r.attendances[i], month)
            found.append(
                EstateMonthFigures(
                    estate.id, month_text(month), row.residents, row.participants, row.participation_rate
                )
            )
    return found
