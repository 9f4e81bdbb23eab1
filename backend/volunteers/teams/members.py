"""Membership: joining and leaving a team, approvals, and appointing coordinators.

(team, user) is unique, so one person has one row per team whose status moves on: pending →
active or rejected, active → left, and left or rejected → pending or active again. Leaving only
changes the membership; what happens to the person's future shifts is the shifts area's call.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from piccolo.query.methods.select import Select

from backend.accounts.api import lock_person, require_person
from backend.core.db import UNIQUE_VIOLATIONS, transaction
from backend.core.errors import DomainError, NotFound
from backend.core.i18n import N_
from backend.core.values import mask_phone
from backend.volunteers.people.queries import has_consented
from backend.volunteers.people.tables import VolunteerProfile
from backend.volunteers.teams.guards import get_team, require_coordinator
from backend.volunteers.teams.schemas import JoinRead, MemberRead
from backend.volunteers.teams.tables import JoinMode, MemberRole, MemberStatus, TeamMember

IN_TEAM = (MemberStatus.active.value, MemberStatus.pending.value)
MAX_LISTED = 2000


def _now() -> datetime:
    return datetime.now(UTC)


async def _membership(team_id: uuid.UUID, user_id: uuid.UUID) -> TeamMember | None:
    return await TeamMember.objects().where((TeamMember.team == team_id) & (TeamMember.user == user_id)).first()


def join_read(member: TeamMember) -> JoinRead:
    return JoinRead(
        team_id=member.team,
        role=member.role,
        status=member.status,  # type: ignore[arg-type]
        created_at=member.created_at,
        decided_at=member.decided_at,
    )


async def join_team(*, user_id: uuid.UUID, team_id: uuid.UUID) -> tuple[TeamMember, bool]:
    """Active at once in an open team, pending where coordinators approve. (membership, changed).

    Asking again while active or pending changes nothing; after leaving or a refusal one may ask again."""
    team = await get_team(team_id)
    if not await has_consented(user_id=user_id):
        raise DomainError(
            "volunteer_profile_required", N_("Please sign up as a volunteer before joining a team."), status=409
        )
    status = MemberStatus.active if team.join_mode == JoinMode.open.value else MemberStatus.pending
    engine = TeamMember._meta.db
    try:
        async with transaction(engine):
            # One person's concurrent requests queue here, so the second sees the first's row.
            await lock_person(user_id)
            current = await _membership(team_id, user_id)
            if current is not None and current.status in IN_TEAM:
                return current, False
            await _enter(team_id, user_id, current, status)
    except UNIQUE_VIOLATIONS:
        # A race the lock should prevent; the unique (team, user) index keeps it to one row.
        current = await _membership(team_id, user_id)
        if current is None:
            raise
        return current, False
    return await _membership(team_id, user_id), True  # type: ignore[return-value]


async def _enter(team_id: uuid.UUID, user_id: uuid.UUID, current: TeamMember | None, status: MemberStatus) -> None:
    now = _now()
    if current is None:
        await TeamMember(
            team=team_id, user=user_id, role=MemberRole.member.value, status=status.value, created_at=now
        ).save()
        return
    await TeamMember.update(
        {
            TeamMember.status: status.value,
            TeamMember.role: MemberRole.member.value,
            TeamMember.created_at: now,
            TeamMember.decided_at: None,
            TeamMember.decided_by: None,
        }
    ).where(TeamMember.id == current.id)


async def leave_team(*, user_id: uuid.UUID, team_id: uuid.UUID) -> TeamMember:
    """The member (or applicant) steps out; a coordinator who leaves stops coordinating."""
    await get_team(team_id)
    left = (
        await TeamMember.update(
            {
                TeamMember.status: MemberStatus.left.value,
                TeamMember.role: MemberRole.member.value,
                TeamMember.decided_at: _now(),
                TeamMember.decided_by: user_id,
            }
        )
        .where((TeamMember.team == team_id) & (TeamMember.user == user_id) & TeamMember.status.is_in(list(IN_TEAM)))
        .returning(TeamMember.id)
    )
    if not left:
        raise NotFound("membership_not_found", N_("You are not a member of this team."))
    return await _membership(team_id, user_id)  # type: ignore[return-value]


# --- what coordinators do -------------------------------------------------------------------------


def _member_query() -> Select:
    return TeamMember.select(
        TeamMember.user,
        TeamMember.user.display_name.as_alias("display_name"),
        TeamMember.user.phone.as_alias("phone"),
        TeamMember.role,
        TeamMember.status,
        TeamMember.created_at,
        TeamMember.decided_at,
    )


async def _member_reads(rows: list[dict[str, Any]]) -> list[MemberRead]:
    """Rows of ``_member_query`` with the masked real names of their volunteer profiles."""
    user_ids = [row["user"] for row in rows]
    profiles = (
        await VolunteerProfile.select(VolunteerProfile.user, VolunteerProfile.real_name_masked).where(
            VolunteerProfile.user.is_in(user_ids)
        )
        if user_ids
        else []
    )
    masked = {row["user"]: row["real_name_masked"] for row in profiles}
    return [
        MemberRead(
            user_id=row["user"],
            display_name=row["display_name"] or "",
            real_name_masked=masked.get(row["user"]),
            phone_masked=mask_phone(row["phone"]),
            role=row["role"],
            status=row["status"],
            joined_at=row["created_at"],
            decided_at=row["decided_at"],
        )
        for row in rows
    ]


async def list_members(*, user_id: uuid.UUID, team_id: uuid.UUID, status: MemberStatus | None) -> list[MemberRead]:
    """Who is in the team, for its coordinators: real names and phones masked."""
    await require_coordinator(user_id=user_id, team_id=team_id)
    query = _member_query().where(TeamMember.team == team_id).order_by(TeamMember.created_at).limit(MAX_LISTED)
    if status is not None:
        query = query.where(TeamMember.status == status.value)
    return await _member_reads(await query)


async def member_read(*, team_id: uuid.UUID, user_id: uuid.UUID) -> MemberRead:
    rows = await _member_query().where((TeamMember.team == team_id) & (TeamMember.user == user_id))
    if not rows:
        raise NotFound("membership_not_found", N_("This person is not in this team."))
    return (await _member_reads(rows))[0]


async def decide_member(*, user_id: uuid.UUID, team_id: uuid.UUID, member_id: uuid.UUID, approve: bool) -> MemberRead:
    """A coordinator approves or turns down a request to join; deciding the same way twice is a no-op."""
    await require_coordinator(user_id=user_id, team_id=team_id)
    outcome = MemberStatus.active if approve else MemberStatus.rejected
    decided = (
        await TeamMember.update(
            {TeamMember.status: outcome.value, TeamMember.decided_at: _now(), TeamMember.decided_by: user_id}
        )
        .where(
            (TeamMember.team == team_id)
            & (TeamMember.user == member_id)
            & (TeamMember.status == MemberStatus.pending.value)
        )
        .returning(TeamMember.id)
    )
    if not decided:
        current = await _membership(team_id, member_id)
        if current is None:
            raise NotFound("membership_not_found", N_("This person is not in this team."))
        if current.status != outcome.value:
            raise DomainError(
                "membership_not_pending", N_("This request to join has already been decided."), status=409
            )
    return await member_read(team_id=team_id, user_id=member_id)


async def appoint_coordinator(*, user_id: uuid.UUID, team_id: uuid.UUID, member_id: uuid.UUID) -> MemberRead:
    """Make a member, or anyone with an account, an active coordinator of this team."""
    await require_coordinator(user_id=user_id, team_id=team_id)
    await require_person(member_id)
    now = _now()
    await TeamMember.insert(
        TeamMember(
            team=team_id,
            user=member_id,
            role=MemberRole.coordinator.value,
            status=MemberStatus.active.value,
            created_at=now,
            decided_at=now,
            decided_by=user_id,
        )
    ).on_conflict(
        target=(TeamMember.team, TeamMember.user),
        action="DO UPDATE",
        values=[TeamMember.role, TeamMember.status, TeamMember.decided_at, TeamMember.decided_by],
    )
    return await member_read(team_id=team_id, user_id=member_id)


async def dismiss_coordinator(*, user_id: uuid.UUID, team_id: uuid.UUID, member_id: uuid.UUID) -> MemberRead:
    """A coordinator goes back to being a member of the team."""
    await require_coordinator(user_id=user_id, team_id=team_id)
    changed = (
        await TeamMember.update(
            {TeamMember.role: MemberRole.member.value, TeamMember.decided_at: _now(), TeamMember.decided_by: user_id}
        )
        .where(
            (TeamMember.team == team_id)
            & (TeamMember.user == member_id)
            & (TeamMember.role == MemberRole.coordinator.value)
        )
        .returning(TeamMember.id)
    )
    if not changed:
        raise NotFound("coordinator_not_found", N_("This person is not a coordinator of this team."))
    return await member_read(team_id=team_id, user_id=member_id)
