"""The volunteers domain's public face: what it announces (typed signal payloads) and what the
domains after it may read (hours as numbers, a team's name, a shift's summary, who is due on a
shift, incident wording, what a service record's public verification shows).

Later domains import this module, never volunteers' tables or internals.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from piccolo.query.functions.aggregate import Sum

from backend.accounts.api import (
    OrganisationKind,
    OrganisationRef,
    Permission,
    ancestor_ids,
    member_organisation_ids,
    organisations,
    organisations_under,
    scope_paths,
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
from backend.volunteers.incidents import presenters as _incident_presenters
from backend.volunteers.incidents.names import (
    KIND_NAMES,
    PARTY_NAMES,
    RECEIVER_NAMES,
    STATUS_NAMES,
    kind_name,
    party_name,
)
from backend.volunteers.incidents.queries import (
    coordinates_incidents,
    load_community,
    read_incident,
    staff_queue,
    waiting_count,
)
from backend.volunteers.incidents.routing import (
    DEFAULT_PARTY,
    PARTY_KINDS,
    RECEIVER_PARTIES,
    SERVING_LEVELS,
    incident_routing,
)
from backend.volunteers.incidents.routing import set_incident_routing as set_incident_routing
from backend.volunteers.incidents.schemas import (
    IncidentRead,
    IncidentRoutingPut,
    IncidentScope,
    IncidentSummary,
    IncidentUpdate,
    RoutingRead,
    RoutingRule,
)
from backend.volunteers.incidents.services import TRANSITIONS, change_incident_status, incident_photo
from backend.volunteers.incidents.tables import (
    Incident,
    IncidentChange,
    IncidentKind,
    IncidentStatus,
    ResponsibleParty,
    RoutingReceiver,
)
from backend.volunteers.shifts.presenters import sheet_read, shift_read
from backend.volunteers.shifts.queries import attendance_sheet, list_shifts, load_shift, shift_view, shift_views
from backend.volunteers.shifts.schemas import AttendanceSheet, ShiftCreate, ShiftRead, WeekCopied, WeekCopy
from backend.volunteers.shifts.services import cancel_shift, copy_week, create_shift
from backend.volunteers.shifts.tables import Shift, ShiftSignup, ShiftStatus, SignupStatus
from backend.volunteers.signals import HoursVerified, IncidentChanged, ShiftCancelled, SignupRef
from backend.volunteers.storage import private_store, public_store
from backend.volunteers.teams.guards import coordinated_team_ids
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
    "KIND_NAMES",
    "PARTY_NAMES",
    "RECEIVER_NAMES",
    "RECEIVER_PARTIES",
    "STATUS_NAMES",
    "TEAM_KIND_NAMES",
    "TRANSITIONS",
    "AttendanceSheet",
    "CheckpointWrite",
    "CheckpointsReplace",
    "CoordinatedTeam",
    "CoordinatorToday",
    "ForwardChoice",
    "HoursCorrectionCreate",
    "HoursReject",
    "HoursVerified",
    "HoursVerifyMany",
    "IncidentChanged",
    "IncidentKind",
    "IncidentQueue",
    "IncidentRead",
    "IncidentRoutingPut",
    "IncidentScope",
    "IncidentStatus",
    "IncidentSummary",
    "IncidentUpdate",
    "JoinMode",
    "MemberRead",
    "RecordVerification",
    "ResponsibleParty",
    "RouteCreate",
    "RouteRead",
    "RouteUpdate",
    "RoutingRead",
    "RoutingReceiver",
    "RoutingRule",
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
    "change_incident_status",
    "checkpoint_plate",
    "coordinated_teams",
    "coordinator_today",
    "copy_week",
    "correct_entry",
    "correction_family",
    "create_route",
    "create_shift",
    "create_team",
    "decide_member",
    "forward_choices",
    "hours_csv",
    "hours_of",
    "incident",
    "incident_photo",
    "incident_photo_file",
    "incident_queue",
    "incident_routing_read",
    "kind_name",
    "ledger_read",
    "list_members",
    "list_routes",
    "list_shifts",
    "load_shift",
    "may_see_incidents",
    "member_read",
    "party_name",
    "read_route",
    "record_for_verification",
    "reject_entry",
    "replace_checkpoints",
    "reports_waiting",
    "route_map_png",
    "route_plates_pdf",
    "route_read",
    "routing_communities",
    "set_incident_routing",
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


# --- incidents, for the console's reports room (the same queries, services and presenters as the API's)


@dataclass(frozen=True)
class IncidentQueue:
    items: list[IncidentSummary]
    total: int


async def incident_queue(
    *,
    user_id: uuid.UUID,
    scope: IncidentScope,
    status: IncidentStatus | None,
    kind: IncidentKind | None,
    sort: str,
    descending: bool,
    limit: int,
    offset: int,
) -> IncidentQueue:
    """The API's list (same scopes, same eyes) with a kind filter, a sort and a total for staff."""
    listing, total = await staff_queue(
        user_id=user_id,
        scope=scope,
        status=status.value if status is not None else None,
        kind=kind.value if kind is not None else None,
        sort=sort,
        descending=descending,
        limit=limit,
        offset=offset,
    )
    if listing is None:
        return IncidentQueue([], 0)
    return IncidentQueue(_incident_presenters.incident_page(listing, limit=limit, offset=offset).items, total)


async def incident(*, user_id: uuid.UUID, incident_id: uuid.UUID) -> IncidentRead:
    """One incident with its history as the API's GET answers it (404 for one the caller may not see)."""
    return _incident_presenters.incident_read(await read_incident(user_id=user_id, incident_id=incident_id))


async def incident_photo_file(*, user_id: uuid.UUID, incident_id: uuid.UUID, rendition: str) -> Path:
    """The API's photo route's file: one rendition for those who may see the incident, else 404."""
    return await incident_photo(
        user_id=user_id, incident_id=incident_id, rendition=rendition, private=private_store(), public=public_store()
    )


async def incident_routing_read(*, user_id: uuid.UUID, community_id: uuid.UUID) -> list[RoutingRead]:
    rules = await incident_routing(user_id=user_id, community_id=community_id)
    return [_incident_presenters.routing_read(rule) for rule in rules]


async def routing_communities(user_id: uuid.UUID) -> list[OrganisationRef]:
    """The communities whose incident routing this person sets (they coordinate volunteers there
    or above), in service, in tree order."""
    found: dict[uuid.UUID, OrganisationRef] = {}
    for path in await scope_paths(user_id=user_id, permission=Permission.coordinate_volunteers):
        for ref in await organisations_under(path, kind=OrganisationKind.community):
            if not ref.retired:
                found[ref.id] = ref
    return sorted(found.values(), key=lambda ref: ref.path)


async def may_see_incidents(user_id: uuid.UUID) -> bool:
    """Whether any incident list of the API may hold something for this person: they coordinate
    volunteers somewhere, or belong to an organisation that can act as a responsible party."""
    if await coordinates_incidents(user_id):
        return True
    # A grid's workers receive what routing by place sends them, for the residents' committee.
    kinds = {kind.value for kind in PARTY_KINDS.values()} | {OrganisationKind.grid.value}
    found = await organisations(await member_organisation_ids(user_id))
    return any(ref.kind in kinds for ref in found.values())


@dataclass(frozen=True)
class ForwardChoice:
    party: str
    organisation_id: uuid.UUID
    organisation_name: dict[str, str]


async def forward_choices(community_id: uuid.UUID) -> list[ForwardChoice]:
    """Every (party, organisation) a coordinator may forward this community's incident to: the
    organisations ``check_party_organisation`` accepts (of the party's kind, attached to the
    community or to the street or district above it; the residents' committee is the community or
    one of its grids)."""
    community = await load_community(community_id)
    above = await organisations(ancestor_ids(community["path"]))
    levels = {ref.id: ref for ref in above.values() if ref.kind in SERVING_LEVELS}
    top = min(levels.values(), key=lambda ref: len(ref.path))
    choices = [ForwardChoice(DEFAULT_PARTY.value, community["id"], levels[community["id"]].name)]
    for grid in await organisations_under(levels[community["id"]].path, kind=OrganisationKind.grid):
        if not grid.retired:  # its workers act for the residents' committee
            choices.append(ForwardChoice(DEFAULT_PARTY.value, grid.id, grid.name))
    for party, org_kind in PARTY_KINDS.items():
        if party is DEFAULT_PARTY:
            continue
        for ref in await organisations_under(top.path, kind=org_kind):
            parents = ancestor_ids(ref.path)[-2:-1]
            if parents and parents[0] in levels and not ref.retired:
                choices.append(ForwardChoice(party.value, ref.id, ref.name))
    return choices


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


async def reports_waiting(*, user_id: uuid.UUID) -> int:
    """Reports waiting for this person in the reports room's queues (``waiting_count``)."""
    return await waiting_count(user_id)


# --- a party's report-handling record (governance shows it beside a company's scores) ---------------


@dataclass(frozen=True)
class HandlingRecord:
    """Reports routed to an organisation and made in [since, until): how many, how many resolved,
    and the seconds each resolved one took from report to resolution."""

    reports: int
    resolved_seconds: list[float]


async def handling_record(*, organisation_id: uuid.UUID, since: datetime, until: datetime) -> HandlingRecord:
    made = (
        (Incident.party_organisation == organisation_id)
        & (Incident.created_at >= since)
        & (Incident.created_at < until)
    )
    reports = await Incident.select(Incident.id, Incident.created_at).where(made)
    if not reports:
        return HandlingRecord(reports=0, resolved_seconds=[])
    changes = (
        await IncidentChange.select(IncidentChange.incident, IncidentChange.created_at)
        .where(
            IncidentChange.incident.is_in([row["id"] for row in reports])
            & (IncidentChange.status == IncidentStatus.resolved.value)
        )
        .order_by(IncidentChange.created_at)
    )
    resolved: dict[uuid.UUID, datetime] = {}
    for change in changes:
        resolved.setdefault(as_uuid(change["incident"]), clock.utc(change["created_at"]))
    seconds = [
        (resolved[as_uuid(row["id"])] - clock.utc(row["created_at"])).total_seconds()
        for row in reports
        if as_uuid(row["id"]) in resolved
    ]
    return HandlingRecord(reports=len(reports), resolved_seconds=sorted(seconds))
