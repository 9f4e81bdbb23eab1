"""Shaping teams, members and routes for the API, in the caller's language."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from backend.core.i18n import N_, _, pick, pick_content
from backend.core.values import mask_phone
from backend.places.api import AimNames, aim_of, aim_read
from backend.volunteers.teams.queries import RouteView, TeamSummary
from backend.volunteers.teams.schemas import (
    CheckpointRead,
    CommunityBrief,
    JoinRead,
    MemberRead,
    MembershipBrief,
    RouteRead,
    TeamRead,
)
from backend.volunteers.teams.tables import JoinMode, TeamKind, TeamMember

TEAM_KIND_NAMES: Mapping[TeamKind, str] = {
    TeamKind.patrol: N_("Patrol"),
    TeamKind.red_armband: N_("Red armband patrol"),
    TeamKind.neighbourhood_watch: N_("Neighbourhood watch"),
    TeamKind.library_helper: N_("Library helpers"),
    TeamKind.event_helper: N_("Event helpers"),
    TeamKind.other: N_("Other"),
}


def team_kind_name(kind: TeamKind | str) -> str:
    return _(TEAM_KIND_NAMES[TeamKind(kind)])


def team_read(summary: TeamSummary) -> TeamRead:
    row, mine = summary.row, summary.my_membership
    name = pick_content(row["name"])
    return TeamRead(
        id=row["id"],
        kind=TeamKind(row["kind"]),
        kind_name=team_kind_name(row["kind"]),
        name=name.text,
        locale=name.locale,  # type: ignore[arg-type]  # pick serves one of the five locales
        converted=name.converted,
        description=pick(row["description"], name.locale)[0],
        community=CommunityBrief(id=row["community"], name=pick(row["community_name"])[0]),
        join_mode=JoinMode(row["join_mode"]),
        member_count=summary.member_count,
        coordinator_names=[n for n in summary.coordinator_names if n],
        my_membership=MembershipBrief(role=mine["role"], status=mine["status"]) if mine else None,
        audience=aim_read(aim_of(row), summary.aim_names or AimNames({}, {}, {})),
    )


def join_read(member: TeamMember) -> JoinRead:
    return JoinRead(
        team_id=member.team,
        role=member.role,  # type: ignore[arg-type]  # the column holds a MemberRole value
        status=member.status,  # type: ignore[arg-type]  # the column holds a MemberStatus value
        created_at=member.created_at,
        decided_at=member.decided_at,
    )


def member_read(row: Mapping[str, Any]) -> MemberRead:
    """A member as coordinators see them: real name and phone masked."""
    return MemberRead(
        user_id=row["user"],
        display_name=row["display_name"] or "",
        real_name_masked=row["real_name_masked"],
        phone_masked=mask_phone(row["phone"]),
        role=row["role"],
        status=row["status"],
        joined_at=row["created_at"],
        decided_at=row["decided_at"],
    )


def _checkpoint_read(row: Mapping[str, Any], with_code: bool) -> CheckpointRead:
    return CheckpointRead(
        id=row["id"],
        position=row["position"],
        name=pick(row["name"])[0],
        latitude=row["latitude"],
        longitude=row["longitude"],
        code=row["code"] if with_code else None,
    )


def route_read(view: RouteView) -> RouteRead:
    route = view.route
    name = pick_content(route["name"])
    return RouteRead(
        id=route["id"],
        team_id=route["team"],
        name=name.text,
        locale=name.locale,  # type: ignore[arg-type]  # pick serves one of the five locales
        converted=name.converted,
        description=pick(route["description"], name.locale)[0],
        checkpoints=[_checkpoint_read(row, view.with_codes) for row in view.checkpoints],
        created_at=route["created_at"],
    )
