"""Who may coordinate a team: its own coordinators, and staff who coordinate volunteers (or
administer) the community above it. A coordinator of one team has no say over another.

Plain checks that services and queries run with the caller's id (login itself is core's guard).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from backend.accounts.api import Permission, ancestor_ids, may, member_organisation_ids, scope_paths
from backend.core.errors import Forbidden, NotFound
from backend.core.i18n import N_
from backend.core.values import as_uuid
from backend.volunteers.teams.tables import MemberRole, MemberStatus, Team, TeamMember


async def get_team(team_id: uuid.UUID) -> Team:
    team = await Team.objects().output(load_json=True).where(Team.id == team_id).first()
    if team is None:
        raise NotFound("team_not_found", N_("This team does not exist."))
    return team


async def is_team_coordinator(*, user_id: uuid.UUID, team_id: uuid.UUID) -> bool:
    return await TeamMember.exists().where(
        (TeamMember.team == team_id)
        & (TeamMember.user == user_id)
        & (TeamMember.role == MemberRole.coordinator.value)
        & (TeamMember.status == MemberStatus.active.value)
    )


# What the audit trail names the say a team's own coordinators have (they may hold no staff role).
TEAM_COORDINATOR = "coordinate_team"
STAFF_COORDINATOR = Permission.coordinate_volunteers.value


async def coordinating_as(*, user_id: uuid.UUID, team: Team) -> str | None:
    """The permission by which the caller coordinates the team (its own coordinator, or staff who
    coordinate volunteers in its community or above), None when they do not."""
    if await is_team_coordinator(user_id=user_id, team_id=team.id):
        return TEAM_COORDINATOR
    if await may(user_id=user_id, permission=Permission.coordinate_volunteers, organisation_id=team.community):
        return STAFF_COORDINATOR
    return None


async def may_coordinate(*, user_id: uuid.UUID, team: Team) -> bool:
    return await coordinating_as(user_id=user_id, team=team) is not None


@dataclass(frozen=True)
class Coordination:
    """A team and the permission its coordinator acts by: what an audit entry of their work names."""

    team: Team
    permission: str

    @property
    def organisation_id(self) -> uuid.UUID:
        return as_uuid(self.team.community)


async def require_coordination(*, user_id: uuid.UUID, team_id: uuid.UUID) -> Coordination:
    """The team and the caller's say over it; 404 for no such team, 403 for someone else's."""
    team = await get_team(team_id)
    permission = await coordinating_as(user_id=user_id, team=team)
    if permission is None:
        raise Forbidden()
    return Coordination(team, permission)


async def require_coordinator(*, user_id: uuid.UUID, team_id: uuid.UUID) -> Team:
    """The team, if the caller coordinates it; 404 for no such team, 403 for someone else's."""
    return (await require_coordination(user_id=user_id, team_id=team_id)).team


async def is_active_member(*, user_id: uuid.UUID, team_id: uuid.UUID) -> bool:
    return await TeamMember.exists().where(
        (TeamMember.team == team_id) & (TeamMember.user == user_id) & (TeamMember.status == MemberStatus.active.value)
    )


async def coordinated_team_ids(*, user_id: uuid.UUID) -> list[uuid.UUID]:
    """Every team the caller coordinates, directly or through a scope above its community."""
    own = await TeamMember.select(TeamMember.team).where(
        (TeamMember.user == user_id)
        & (TeamMember.role == MemberRole.coordinator.value)
        & (TeamMember.status == MemberStatus.active.value)
    )
    ids = {row["team"] for row in own}
    for path in await scope_paths(user_id=user_id, permission=Permission.coordinate_volunteers):
        rows = await Team.select(Team.id).where(Team.community.path.like(f"{path}%"))
        ids.update(row["id"] for row in rows)
    return sorted(ids)


async def holds_role_at_or_above(*, user_id: uuid.UUID, path: str) -> bool:
    """Whether the person holds any staff role at the organisation with this path or above it."""
    above = set(ancestor_ids(path))
    return any(organisation_id in above for organisation_id in await member_organisation_ids(user_id))


async def may_coordinate_community(*, user_id: uuid.UUID, community_id: uuid.UUID) -> bool:
    """Staff who coordinate volunteers in (or above) a community: they set its incident routing."""
    return await may(user_id=user_id, permission=Permission.coordinate_volunteers, organisation_id=community_id)
