"""Volunteer test data written straight to the tables, so each area's tests stand on their own.

(Sign-up, check-in and the rest are exercised through the API in their own tests; these only lay
the ground: a profile, a team with members and coordinators, a route, a shift.)
"""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from backend.accounts.tables import Organisation, User
from backend.core.tables import AuditEntry
from backend.volunteers.people.tables import VolunteerProfile
from backend.volunteers.shifts.tables import Shift, ShiftSignup, SignupStatus
from backend.volunteers.teams.tables import Checkpoint, MemberRole, MemberStatus, Route, Team, TeamKind, TeamMember


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


async def profile(user: User, **fields: Any) -> VolunteerProfile:
    row = VolunteerProfile(user=user.id, consented_at=now(), created_at=now(), updated_at=now(), **fields)
    await row.save()
    return row


async def team(
    community: Organisation, kind: TeamKind = TeamKind.patrol, *, join_mode: str = "open", name: str = "南园巡逻队"
) -> Team:
    row = Team(
        community=community.id,
        kind=kind.value,
        name={"zh-Hans": name, "en": "Nanyuan Patrol"},
        join_mode=join_mode,
        created_at=now(),
    )
    await row.save()
    return row


async def member(
    team_: Team, user: User, role: MemberRole = MemberRole.member, status: MemberStatus = MemberStatus.active
) -> TeamMember:
    row = TeamMember(team=team_.id, user=user.id, role=role.value, status=status.value, created_at=now())
    await row.save()
    return row


async def coordinator(team_: Team, user: User) -> TeamMember:
    return await member(team_, user, MemberRole.coordinator)


async def route(
    team_: Team, stops: int = 3, *, lat: float = 31.2946, lng: float = 120.6285
) -> tuple[Route, list[Checkpoint]]:
    row = Route(team=team_.id, name={"zh-Hans": "南园夜巡线", "en": "Nanyuan night round"}, created_at=now())
    await row.save()
    checkpoints = []
    for position in range(1, stops + 1):
        checkpoint = Checkpoint(
            route=row.id,
            position=position,
            name={"zh-Hans": f"巡更点{position}", "en": f"Checkpoint {position}"},
            latitude=lat + 0.001 * position,
            longitude=lng,
            code=secrets.token_hex(4).upper(),
        )
        await checkpoint.save()
        checkpoints.append(checkpoint)
    return row, checkpoints


async def shift(
    team_: Team,
    *,
    starts_at: datetime | None = None,
    minutes: int = 120,
    capacity: int = 5,
    route_: Route | None = None,
    **fields: Any,
) -> Shift:
    start = starts_at or now() + timedelta(days=1)
    row = Shift(
        team=team_.id,
        route=route_.id if route_ else None,
        title={"zh-Hans": "夜间巡逻", "en": "Night patrol"},
        starts_at=start,
        ends_at=start + timedelta(minutes=minutes),
        capacity=capacity,
        created_at=now(),
        **fields,
    )
    await row.save()
    return row


async def signup(shift_: Shift, user: User, **fields: Any) -> ShiftSignup:
    row = ShiftSignup(shift=shift_.id, user=user.id, status=SignupStatus.signed_up.value, created_at=now(), **fields)
    await row.save()
    await Shift.update({Shift.seats_taken: Shift.seats_taken + 1}).where(Shift.id == shift_.id)
    return row


def new_id() -> uuid.UUID:
    return uuid.uuid4()


async def audit_entries(action: str | None = None) -> list[dict[str, Any]]:
    """The volunteers domain's audit entries, oldest first (all, or of one action), ids as text on
    both databases (making organisations and staff in a test leaves accounts' own)."""
    query = AuditEntry.select().where(AuditEntry.action.like("volunteers.%")).output(load_json=True)
    query = query.order_by(AuditEntry.at)
    if action is not None:
        query = query.where(AuditEntry.action == action)
    rows = await query
    for row in rows:
        for column in ("id", "actor", "organisation"):
            row[column] = None if row[column] is None else str(row[column])
    return rows
