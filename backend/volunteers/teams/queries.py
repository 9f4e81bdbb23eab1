"""Reading teams, their members and their patrol routes, scoped to who is asking.

Teams are public; who is in a team is for its coordinators; a route is for the team's active
members, and its checkpoint codes for its coordinators only. A team's coordinators are named in
full to those who coordinate it with them, masked to everyone else (need to know).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from piccolo.query.functions.aggregate import Count
from piccolo.query.methods.select import Select

from backend.accounts.api import organisation
from backend.core.errors import Forbidden, NotFound
from backend.core.i18n import N_
from backend.core.values import as_uuid, mask_name
from backend.places.api import AimNames, aim_of, names_for
from backend.volunteers.people.queries import masked_names
from backend.volunteers.teams.guards import (
    coordinated_team_ids,
    get_team,
    is_active_member,
    may_coordinate,
    require_coordinator,
)
from backend.volunteers.teams.tables import Checkpoint, MemberRole, MemberStatus, Route, Team, TeamKind, TeamMember

MAX_LISTED = 2000


# --- teams ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TeamSummary:
    """A team's row (``TEAM_COLUMNS``) and what its answer adds: its active members, its
    coordinators' names (masked unless the caller coordinates the team) and the caller's own
    place (a row of role and status, or None)."""

    row: dict[str, Any]
    member_count: int
    coordinator_names: list[str]
    my_membership: dict[str, Any] | None
    aim_names: AimNames | None = None  # the names of the places the team is aimed at


TEAM_COLUMNS = (
    Team.id,
    Team.kind,
    Team.name,
    Team.description,
    Team.join_mode,
    Team.community,
    Team.community.name.as_alias("community_name"),
    Team.aim,
    Team.aim_estates,
    Team.aim_alliance,
    Team.aim_grid,
)


async def list_teams(
    *,
    viewer_id: uuid.UUID | None,
    community_id: uuid.UUID | None,
    kind: TeamKind | None,
    limit: int,
    offset: int,
    alliance_id: uuid.UUID | None = None,
) -> list[TeamSummary]:
    """Teams anyone may browse; a street's id also finds the teams of its communities."""
    query = Team.select(*TEAM_COLUMNS).output(load_json=True).order_by(Team.created_at).limit(limit).offset(offset)
    if community_id is not None:
        place = await organisation(community_id)
        if place is None:
            return []
        query = query.where(Team.community.path.like(f"{place.path}%"))
    if kind is not None:
        query = query.where(Team.kind == kind.value)
    if alliance_id is not None:
        query = query.where(Team.aim_alliance == alliance_id)
    return await _summaries(await query, viewer_id)


async def team_summary(*, viewer_id: uuid.UUID | None, team_id: uuid.UUID) -> TeamSummary:
    rows = await Team.select(*TEAM_COLUMNS).output(load_json=True).where(Team.id == team_id)
    if not rows:
        raise NotFound("team_not_found", N_("This team does not exist."))
    return (await _summaries(rows, viewer_id))[0]


async def _summaries(rows: list[dict[str, Any]], viewer_id: uuid.UUID | None) -> list[TeamSummary]:
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
    in_full = {as_uuid(i) for i in await coordinated_team_ids(user_id=viewer_id)} if viewer_id is not None else set()
    names: dict[uuid.UUID, list[str]] = {}
    for row in coordinators:
        name = row["name"] or ""
        names.setdefault(row["team"], []).append(name if as_uuid(row["team"]) in in_full else mask_name(name))
    mine: dict[uuid.UUID, dict[str, Any]] = {}
    if viewer_id is not None:
        own = await TeamMember.select(TeamMember.team, TeamMember.role, TeamMember.status).where(
            TeamMember.team.is_in(ids) & (TeamMember.user == viewer_id)
        )
        mine = {row["team"]: row for row in own}
    places = await names_for(aim_of(row) for row in rows)
    return [
        TeamSummary(row, count_of.get(row["id"], 0), names.get(row["id"], []), mine.get(row["id"]), places)
        for row in rows
    ]


# --- members --------------------------------------------------------------------------------------


async def membership(*, team_id: uuid.UUID, user_id: uuid.UUID) -> TeamMember | None:
    return await TeamMember.objects().where((TeamMember.team == team_id) & (TeamMember.user == user_id)).first()


def _member_query() -> Select[TeamMember]:
    return TeamMember.select(
        TeamMember.user,
        TeamMember.user.display_name.as_alias("display_name"),
        TeamMember.user.phone.as_alias("phone"),
        TeamMember.role,
        TeamMember.status,
        TeamMember.created_at,
        TeamMember.decided_at,
    )


async def _with_masked_names(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows of ``_member_query``, each with the masked real name of its volunteer profile."""
    masked = await masked_names(row["user"] for row in rows)
    for row in rows:
        row["real_name_masked"] = masked.get(as_uuid(row["user"]))
    return rows


async def list_members(*, user_id: uuid.UUID, team_id: uuid.UUID, status: MemberStatus | None) -> list[dict[str, Any]]:
    """Who is in the team, for its coordinators (their phones and real names are shown masked)."""
    await require_coordinator(user_id=user_id, team_id=team_id)
    query = _member_query().where(TeamMember.team == team_id).order_by(TeamMember.created_at).limit(MAX_LISTED)
    if status is not None:
        query = query.where(TeamMember.status == status.value)
    return await _with_masked_names(await query)


async def member_row(*, team_id: uuid.UUID, user_id: uuid.UUID) -> dict[str, Any]:
    rows = await _member_query().where((TeamMember.team == team_id) & (TeamMember.user == user_id))
    if not rows:
        raise NotFound("membership_not_found", N_("This person is not in this team."))
    return (await _with_masked_names(rows))[0]


# --- routes ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RouteView:
    """A route's row with its checkpoint rows in walking order; ``with_codes`` for its coordinators."""

    route: dict[str, Any]
    checkpoints: list[dict[str, Any]]
    with_codes: bool


def route_not_found() -> NotFound:
    return NotFound("route_not_found", N_("This route does not exist."))


async def visible_route(*, user_id: uuid.UUID, route_id: uuid.UUID) -> tuple[dict[str, Any], bool]:
    """The route's row and whether the caller coordinates it; 404 for anyone outside its team."""
    route = await Route.select().output(load_json=True).where(Route.id == route_id).first()
    if route is None:
        raise route_not_found()
    team = await get_team(route["team"])
    if await may_coordinate(user_id=user_id, team=team):
        return route, True
    if await is_active_member(user_id=user_id, team_id=team.id):
        return route, False
    raise route_not_found()


async def list_routes(*, user_id: uuid.UUID, team_id: uuid.UUID) -> list[RouteView]:
    """A team's routes, for its active members and coordinators (codes for coordinators only)."""
    team = await get_team(team_id)
    coordinator = await may_coordinate(user_id=user_id, team=team)
    if not coordinator and not await is_active_member(user_id=user_id, team_id=team_id):
        raise Forbidden()
    routes = await Route.select().output(load_json=True).where(Route.team == team_id).order_by(Route.created_at)
    return await _views(routes, coordinator)


async def read_route(*, user_id: uuid.UUID, route_id: uuid.UUID) -> RouteView:
    route, coordinator = await visible_route(user_id=user_id, route_id=route_id)
    return (await _views([route], coordinator))[0]


async def _views(routes: Sequence[dict[str, Any]], with_codes: bool) -> list[RouteView]:
    if not routes:
        return []
    rows = (
        await Checkpoint.select()
        .output(load_json=True)
        .where(Checkpoint.route.is_in([route["id"] for route in routes]))
        .order_by(Checkpoint.position)
    )
    stops: dict[uuid.UUID, list[dict[str, Any]]] = {}
    for row in rows:
        stops.setdefault(row["route"], []).append(row)
    return [RouteView(route, stops.get(route["id"], []), with_codes) for route in routes]
