"""The volunteers domain's public face: what it announces (typed signal payloads) and what the
domains after it may read (hours as numbers, a team's name, a shift's summary, who is due on a
shift, incident wording, what a service record's public verification shows).

Later domains import this module, never volunteers' tables or internals.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from piccolo.query.functions.aggregate import Sum

from backend.core.values import as_uuid, hours_of
from backend.volunteers.hours.records import ISSUER, RecordVerification, TeamService, verify_record
from backend.volunteers.hours.tables import HoursEntry, HoursStatus
from backend.volunteers.incidents.names import party_name
from backend.volunteers.incidents.tables import IncidentStatus
from backend.volunteers.shifts.tables import Shift, ShiftSignup, ShiftStatus, SignupStatus
from backend.volunteers.signals import HoursVerified, IncidentChanged, ShiftCancelled, SignupRef
from backend.volunteers.teams.tables import Team

__all__ = [
    "ISSUER",
    "HoursVerified",
    "IncidentChanged",
    "IncidentStatus",
    "RecordVerification",
    "ShiftCancelled",
    "ShiftPlace",
    "ShiftSummary",
    "SignupRef",
    "TeamService",
    "correction_family",
    "hours_of",
    "party_name",
    "record_for_verification",
    "shift_places_starting",
    "shift_summary",
    "team_name",
    "verified_minutes_by_volunteer",
]


@dataclass(frozen=True)
class ShiftSummary:
    id: uuid.UUID
    title: dict[str, str]
    starts_at: datetime
    team_id: uuid.UUID
    team_name: dict[str, str]


async def shift_summary(shift_id: uuid.UUID) -> ShiftSummary | None:
    row = (
        await Shift.select(Shift.id, Shift.title, Shift.starts_at, Shift.team.id, Shift.team.name)
        .where(Shift.id == shift_id)
        .output(load_json=True)
        .first()
    )
    if row is None:
        return None
    return ShiftSummary(
        id=as_uuid(row["id"]),
        title=row["title"] or {},
        starts_at=row["starts_at"],
        team_id=as_uuid(row["team.id"]),
        team_name=row["team.name"] or {},
    )


async def team_name(team_id: uuid.UUID) -> dict[str, str]:
    row = await Team.select(Team.name).where(Team.id == team_id).output(load_json=True).first()
    return (row or {}).get("name") or {}


@dataclass(frozen=True)
class ShiftPlace:
    signup_id: uuid.UUID
    user_id: uuid.UUID
    shift_id: uuid.UUID


async def shift_places_starting(*, after: datetime, until: datetime) -> list[ShiftPlace]:
    """Volunteers signed up for scheduled shifts that start in (after, until]."""
    rows = await ShiftSignup.select(ShiftSignup.id, ShiftSignup.user, ShiftSignup.shift).where(
        (ShiftSignup.status == SignupStatus.signed_up.value)
        & (ShiftSignup.shift.status == ShiftStatus.scheduled.value)
        & (ShiftSignup.shift.starts_at > after)
        & (ShiftSignup.shift.starts_at <= until)
    )
    return [ShiftPlace(as_uuid(r["id"]), as_uuid(r["user"]), as_uuid(r["shift"])) for r in rows]


async def correction_family(entry_id: uuid.UUID) -> list[uuid.UUID]:
    """The entry a correction corrects (or the entry itself) and every correction of it."""
    row = await HoursEntry.select(HoursEntry.corrects).where(HoursEntry.id == entry_id).first()
    original = as_uuid(row["corrects"]) if row and row["corrects"] is not None else entry_id
    corrections = await HoursEntry.select(HoursEntry.id).where(HoursEntry.corrects == original)
    return [original, *(as_uuid(r["id"]) for r in corrections)]


async def verified_minutes_by_volunteer(
    *, community_id: uuid.UUID, first: date, following: date
) -> dict[uuid.UUID, int]:
    """Verified minutes served for the community's teams in [first, following), per living account."""
    rows = (
        await HoursEntry.select(HoursEntry.user.as_alias("user_id"), Sum(HoursEntry.minutes).as_alias("total"))
        .where(
            (HoursEntry.status == HoursStatus.verified.value)
            & (HoursEntry.team.community == community_id)
            & (HoursEntry.service_date >= first)
            & (HoursEntry.service_date < following)
            & HoursEntry.user.deleted_at.is_null()
        )
        .group_by(HoursEntry.user)
    )
    return {as_uuid(row["user_id"]): int(row["total"] or 0) for row in rows}


async def record_for_verification(number_or_code: str) -> RecordVerification | None:
    """What the public verification page shows of the service record a printed number
    (LL-2026-ABCDEFGH) or verification code belongs to, however it was typed; None for one no
    record carries. (Rate-limit the page: the API's check is limited per address.)"""
    return await verify_record(number_or_code)
