"""Who may coordinate a team: its own coordinators, and staff who coordinate volunteers (or
administer) the community above it. A coordinator of one team has no say over another.

Plain checks that services and queries run with the caller's id (login itself is core's guard).
"""

from __future__ import annotations

import uuid

from backend.accounts.api import Permission, may, scope_paths
from backend.core.errors import Forbidden, NotFound
from backend.core.i18n import N_
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


async def may_coordinate(*, user_id: uuid.UUID, team: Team) -> bool:
    if await is_team_coordinator(user_id=user_id, team_id=team.id):
        return True
    return await may(user_id=user_id, permission=Permission.coordinate_volunteers, organisation_id=team.community)


async def require_coordinator(*, user_id: uuid.UUID, team_id: uuid.UUID) -> Team:
    """The team, if the caller coordinates it; 404 for no such team, 403 for someone else's."""
    team = await get_team(team_id)
    if not await may_coordinate(user_id=user_id, team=team):
        raise Forbidden()
    return team


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


async def may_coordinate_community(*, user_id: uuid.UUID, community_id: uuid.UUID) -> bool:
    """Staff who coordinate volunteers in (or above) a community: they set its incident routing."""
    return await may(user_id=user_id, permission=Permission.coordinate_volunteers, organisation_id=community_id)
