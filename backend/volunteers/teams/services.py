"""Teams: created by staff who coordinate volunteers in a community, listed publicly.

Who is in a team, and who coordinates it, lives in ``teams_members``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import msgspec
from piccolo.query.methods.select import Count

from backend.accounts.api import OrganisationKind, live_people, organisation
from backend.core.db import transaction
from backend.core.errors import DomainError, Forbidden, NotFound
from backend.core.i18n import N_, _, pick
from backend.volunteers.teams.guards import get_team, may_coordinate_community, require_coordinator
from backend.volunteers.teams.schemas import CommunityBrief, MembershipBrief, TeamCreate, TeamRead, TeamUpdate
from backend.volunteers.teams.tables import JoinMode, MemberRole, MemberStatus, Team, TeamKind, TeamMember

TEAM_KIND_NAMES: Mapping[TeamKind, str] = {
    TeamKind.patrol: N_("Patrol"),
    TeamKind.red_armband: N_("Red armband patrol"),
    TeamKind.neighbourhood_watch: N_("Neighbourhood watch"),
    TeamKind.library_helper: N_("Library helpers"),
    TeamKind.event_helper: N_("Event helpers"),
    TeamKind.other: N_("Other"),
}
TEAM_COMMUNITY_KINDS = (OrganisationKind.community.value, OrganisationKind.street.value)


def _now() -> datetime:
    return datetime.now(UTC)


def team_kind_name(kind: TeamKind | str) -> str:
    return _(TEAM_KIND_NAMES[TeamKind(kind)])


def clean_text(content: Mapping[str, str], *, required: DomainError | None = None) -> dict[str, str]:
    """Per-locale text trimmed, blanks dropped; ``required`` is raised when nothing is left."""
    cleaned = {locale: text.strip() for locale, text in content.items() if text.strip()}
    if required is not None and not cleaned:
        raise required
    return cleaned


def _name_required() -> DomainError:
    return DomainError("team_name_required", N_("Please give the team a name."), status=422)


async def _existing_users(user_ids: list[uuid.UUID]) -> list[uuid.UUID]:
    wanted = list(dict.fromkeys(user_ids))
    if not wanted:
        return []
    found = await live_people(wanted)
    for user_id in wanted:
        if user_id not in found:
            raise DomainError(
                "user_not_found",
                N_("There is no account with the id {user_id}."),
                params={"user_id": str(user_id)},
                status=422,
            )
    return wanted


async def create_team(*, user_id: uuid.UUID, data: TeamCreate) -> Team:
    """Staff who coordinate volunteers in a community (or street) start a team there."""
    community = await organisation(data.community_id)
    if community is None:
        raise NotFound("organisation_not_found", N_("This organisation does not exist."))
    if not await may_coordinate_community(user_id=user_id, community_id=data.community_id):
        raise Forbidden()
    if community.kind not in TEAM_COMMUNITY_KINDS:
        raise DomainError("team_community_invalid", N_("A team serves a community or a street."), status=422)
    name = clean_text(data.name, required=_name_required())
    coordinators = await _existing_users(data.coordinator_user_ids)
    now = _now()
    team = Team(
        community=data.community_id,
        kind=data.kind.value,
        name=name,
        description=clean_text(data.description),
        join_mode=data.join_mode.value,
        created_by=user_id,
        created_at=now,
    )
    async with transaction(Team._meta.db):
        await team.save()
        for coordinator_id in coordinators:
            await TeamMember(
                team=team.id,
                user=coordinator_id,
                role=MemberRole.coordinator.value,
                status=MemberStatus.active.value,
                created_at=now,
                decided_at=now,
                decided_by=user_id,
            ).save()
    return await get_team(team.id)


async def update_team(*, user_id: uuid.UUID, team_id: uuid.UUID, data: TeamUpdate) -> Team:
    """Coordinators change the name, the description or how people join."""
    await require_coordinator(user_id=user_id, team_id=team_id)
    changes: dict[Any, Any] = {}
    if data.name is not msgspec.UNSET:
        changes[Team.name] = clean_text(data.name, required=_name_required())
    if data.description is not msgspec.UNSET:
        changes[Team.description] = clean_text(data.description)
    if data.join_mode is not msgspec.UNSET:
        changes[Team.join_mode] = data.join_mode.value
    if changes:
        await Team.update(changes).where(Team.id == team_id)
    return await get_team(team_id)


# --- reading ------------------------------------------------------------------------------------------


_COLUMNS = (
    Team.id,
    Team.kind,
    Team.name,
    Team.description,
    Team.join_mode,
    Team.community,
    Team.community.name.as_alias("community_name"),
)


async def list_teams(
    *, user_id: uuid.UUID | None, community_id: uuid.UUID | None, kind: TeamKind | None, limit: int, offset: int
) -> list[TeamRead]:
    """Teams anyone may browse; a street's id also finds the teams of its communities."""
    query = Team.select(*_COLUMNS).output(load_json=True).order_by(Team.created_at).limit(limit).offset(offset)
    if community_id is not None:
        place = await organisation(community_id)
        if place is None:
            return []
        query = query.where(Team.community.path.like(f"{place.path}%"))
    if kind is not None:
        query = query.where(Team.kind == kind.value)
    return await _reads(await query, user_id)


async def read_team(*, user_id: uuid.UUID | None, team_id: uuid.UUID) -> TeamRead:
    rows = await Team.select(*_COLUMNS).output(load_json=True).where(Team.id == team_id)
    if not rows:
        raise NotFound("team_not_found", N_("This team does not exist."))
    return (await _reads(rows, user_id))[0]


async def _reads(rows: list[dict[str, Any]], user_id: uuid.UUID | None) -> list[TeamRead]:
    """Member counts, coordinators and the caller's place for a page of teams, in three queries."""
    ids = [row["id"] for row in rows]
    if not ids:
        return []
    counts = (
        await TeamMember.select(TeamMember.team, Count())
        .where(TeamMember.team.is_in(ids) & (TeamMember.status == MemberStatus.active.value))
        .group_by(TeamMember.team)
    )
    count_of = {row["team"]: row["count"] for row in counts}
    coordinators = (
        await TeamMember.select(TeamMember.team, TeamMember.user.display_name.as_alias("name"))
        .where(
            TeamMember.team.is_in(ids)
            & (TeamMember.role == MemberRole.coordinator.value)
            & (TeamMember.status == MemberStatus.active.value)
        )
        .order_by(TeamMember.created_at)
    )
    names: dict[uuid.UUID, list[str]] = {}
    for row in coordinators:
        names.setdefault(row["team"], []).append(row["name"])
    mine: dict[uuid.UUID, MembershipBrief] = {}
    if user_id is not None:
        own = await TeamMember.select(TeamMember.team, TeamMember.role, TeamMember.status).where(
            TeamMember.team.is_in(ids) & (TeamMember.user == user_id)
        )
        mine = {row["team"]: MembershipBrief(role=row["role"], status=row["status"]) for row in own}
    return [_read(row, count_of.get(row["id"], 0), names.get(row["id"], []), mine.get(row["id"])) for row in rows]


def _read(
    row: dict[str, Any], member_count: int, coordinator_names: list[str], mine: MembershipBrief | None
) -> TeamRead:
    name, served = pick(row["name"])
    return TeamRead(
        id=row["id"],
        kind=TeamKind(row["kind"]),
        kind_name=team_kind_name(row["kind"]),
        name=name,
        locale=served,  # type: ignore[arg-type]
        description=pick(row["description"], served)[0],
        community=CommunityBrief(id=row["community"], name=pick(row["community_name"])[0]),
        join_mode=JoinMode(row["join_mode"]),
        member_count=member_count,
        coordinator_names=[n for n in coordinator_names if n],
        my_membership=mine,
    )
