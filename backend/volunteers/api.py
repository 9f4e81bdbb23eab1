"""The volunteers domain's public face: what it announces (typed signal payloads) and what the
domains after it may read (hours as numbers, a team's name, a shift's summary, who is due on a
shift, incident wording, what a service record's public verification shows).

Later domains import this module, never volunteers' tables or internals.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime

from piccolo.query.functions.aggregate import Sum

from backend.accounts.api import (
    OrganisationRef,
    Permission,
    communities_in_scope,
)
from backend.core import clock
from backend.core.values import as_uuid, hours_of
from backend.volunteers.hours.decisions import correct_entry, reject_entry, verify_entries, verify_entry
from backend.volunteers.hours.month_csv import hours_csv
from backend.volunteers.hours.presenters import bulk_read, ledger_read, team_entry_read
from backend.volunteers.hours.queries import team_entries, team_month_export, volunteer_ledger
from backend.volunteers.hours.records import ISSUER, RecordVerification, TeamService, verify_record
from backend.volunteers.hours.schemas import (
    HoursCorrectionCreate,
    HoursReject,
    HoursVerifyMany,
    TeamHoursEntryRead,
    VolunteerLedgerRead,
)
from backend.volunteers.hours.tables import HoursEntry, HoursStatus
from backend.volunteers.shifts.presenters import sheet_read, shift_read
from backend.volunteers.shifts.queries import attendance_sheet, list_shifts, load_shift, shift_view, shift_views
from backend.volunteers.shifts.schemas import AttendanceSheet, ShiftCreate, ShiftRead, WeekCopied, WeekCopy
from backend.volunteers.shifts.services import cancel_shift, copy_week, create_shift
from backend.volunteers.shifts.tables import Shift, ShiftSignup, ShiftStatus, SignupStatus
from backend.volunteers.signals import HoursVerified, ShiftCancelled, SignupRef
from backend.volunteers.storage import delete_files, private_store, public_store
from backend.volunteers.teams.guards import (
    STAFF_COORDINATOR,
    TEAM_COORDINATOR,
    coordinated_team_ids,
    get_team,
    is_team_coordinator,
    may_coordinate_community,
)
from backend.volunteers.teams.plates_pdf import route_plates_pdf
from backend.volunteers.teams.presenters import TEAM_KIND_NAMES, member_read, route_read, team_read
from backend.volunteers.teams.queries import list_members, list_routes, read_route, team_summary
from backend.volunteers.teams.route_map import route_map_png
from backend.volunteers.teams.routes import checkpoint_plate, create_route, replace_checkpoints, update_route
from backend.volunteers.teams.schemas import (
    CheckpointsReplace,
    CheckpointWrite,
    MemberRead,
    RouteCreate,
    RouteRead,
    RouteUpdate,
    TeamCreate,
    TeamRead,
    TeamUpdate,
)
from backend.volunteers.teams.services import create_team, decide_member, update_team
from backend.volunteers.teams.tables import JoinMode, Team, TeamKind

__all__ = [
    "ISSUER",
    "STAFF_COORDINATOR",
    "TEAM_COORDINATOR",
    "TEAM_KIND_NAMES",
    "AttendanceSheet",
    "CheckpointWrite",
    "CheckpointsReplace",
    "CoordinatedTeam",
    "CoordinatorToday",
    "HoursCorrectionCreate",
    "HoursReject",
    "HoursVerified",
    "HoursVerifyMany",
    "JoinMode",
    "MemberRead",
    "RecordVerification",
    "RouteCreate",
    "RouteRead",
    "RouteUpdate",
    "ShiftCancelled",
    "ShiftCreate",
    "ShiftPlace",
    "ShiftRead",
    "ShiftSummary",
    "SignupRef",
    "TeamCreate",
    "TeamHoursEntryRead",
    "TeamKind",
    "TeamRead",
    "TeamService",
    "TeamUpdate",
    "VerifiedService",
    "VolunteerLedgerRead",
    "WeekCopied",
    "WeekCopy",
    "attendance_sheet",
    "bulk_read",
    "cancel_shift",
    "checkpoint_plate",
    "coordinated_team_ids",
    "coordinated_teams",
    "coordinator_today",
    "copy_week",
    "correct_entry",
    "correction_family",
    "create_route",
    "create_shift",
    "create_team",
    "decide_member",
    "delete_files",
    "get_team",
    "hours_csv",
    "hours_of",
    "is_team_coordinator",
    "ledger_read",
    "list_members",
    "list_routes",
    "list_shifts",
    "load_shift",
    "may_coordinate_community",
    "member_read",
    "private_store",
    "public_store",
    "read_route",
    "record_for_verification",
    "reject_entry",
    "replace_checkpoints",
    "route_map_png",
    "route_plates_pdf",
    "route_read",
    "routing_communities",
    "sheet_read",
    "shift_places_starting",
    "shift_read",
    "shift_summary",
    "shift_view",
    "shift_views",
    "team_entries",
    "team_entry_read",
    "team_month_export",
    "team_name",
    "team_read",
    "team_summary",
    "update_route",
    "update_team",
    "verified_minutes_by_volunteer",
    "verified_service_under",
    "verify_entries",
    "verify_entry",
    "volunteer_ledger",
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


@dataclass(frozen=True)
class VerifiedService:
    """Verified minutes one volunteer served one day for the teams of one organisation."""

    organisation_id: uuid.UUID
    user_id: uuid.UUID
    service_date: date
    minutes: int


async def verified_service_under(*, path: str, first: date, following: date) -> list[VerifiedService]:
    """Verified minutes served in [first, following) for teams of organisations under ``path``,
    per organisation, volunteer and day (for monthly statistics, which bucket and suppress them)."""
    organisation = HoursEntry.team._.community  # typed joins: the organisation is named by a string
    rows = (
        await HoursEntry.select(
            organisation.id.as_alias("organisation_id"),
            HoursEntry.user.as_alias("user_id"),
            HoursEntry.service_date,
            Sum(HoursEntry.minutes).as_alias("total"),
        )
        .where(
            (HoursEntry.status == HoursStatus.verified.value)
            & organisation.path.like(f"{path}%")
            & (HoursEntry.service_date >= first)
            & (HoursEntry.service_date < following)
        )
        .group_by(organisation.id, HoursEntry.user, HoursEntry.service_date)
    )
    return [
        VerifiedService(
            organisation_id=as_uuid(row["organisation_id"]),
            user_id=as_uuid(row["user_id"]),
            service_date=row["service_date"]
            if isinstance(row["service_date"], date)
            else date.fromisoformat(str(row["service_date"])[:10]),
            minutes=int(row["total"] or 0),
        )
        for row in rows
    ]


async def record_for_verification(number_or_code: str) -> RecordVerification | None:
    """What the public verification page shows of the service record a printed number
    (LL-2026-ABCDEFGH) or verification code belongs to, however it was typed; None for one no
    record carries. (Rate-limit the page: the API's check is limited per address.)"""
    return await verify_record(number_or_code)


async def routing_communities(user_id: uuid.UUID) -> list[OrganisationRef]:
    """The communities whose incident routing this person sets (they coordinate volunteers there
    or above), in service, in tree order."""
    return await communities_in_scope(user_id, Permission.coordinate_volunteers)


# --- the coordinators' console room: the API's own services, queries and presenters -------------


@dataclass(frozen=True)
class CoordinatedTeam:
    id: uuid.UUID
    name: dict[str, str]
    community_id: uuid.UUID


async def coordinated_teams(*, user_id: uuid.UUID) -> list[CoordinatedTeam]:
    """Every team the person coordinates (its own coordinator, or staff with
    ``coordinate_volunteers`` above its community), as the services' own check decides."""
    ids = await coordinated_team_ids(user_id=user_id)
    if not ids:
        return []
    rows = await Team.select(Team.id, Team.name, Team.community).where(Team.id.is_in(ids)).output(load_json=True)
    return [CoordinatedTeam(as_uuid(r["id"]), r["name"] or {}, as_uuid(r["community"])) for r in rows]


# --- the console's home: counts only -------------------------------------------------------------


@dataclass(frozen=True)
class CoordinatorToday:
    shifts_in_progress: int
    hours_pending: int  # entries waiting for a coordinator's decision


async def coordinator_today(*, user_id: uuid.UUID) -> CoordinatorToday:
    """Over the teams the person coordinates (``coordinated_teams``): scheduled shifts under way
    now, and hours entries still pending, as the volunteers room's queue lists them."""
    ids = await coordinated_team_ids(user_id=user_id)
    if not ids:
        return CoordinatorToday(0, 0)
    now = clock.now().astimezone(UTC)  # in UTC: SQLite compares the stored text
    shifts = await Shift.count().where(
        Shift.team.is_in(ids)
        & (Shift.status == ShiftStatus.scheduled.value)
        & (Shift.starts_at <= now)
        & (Shift.ends_at > now)
    )
    hours = await HoursEntry.count().where(
        HoursEntry.team.is_in(ids) & (HoursEntry.status == HoursStatus.pending.value)
    )
    return CoordinatorToday(shifts, hours)
