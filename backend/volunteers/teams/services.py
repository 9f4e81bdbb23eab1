"""Teams and membership: staff who coordinate volunteers in a community start a team there; people
join and leave it; its coordinators approve requests and appoint or dismiss coordinators.

(team, user) is unique, so one person has one row per team whose status moves on: pending →
active or rejected, active → left, and left or rejected → pending or active again. Leaving only
changes the membership; what happens to the person's future shifts is the shifts area's call.

What coordinators and staff change is written to the audit trail in the same transaction (a
person's own joining and leaving is not). Only an active member, or staff of the team's community
(a role there or above), may be made a coordinator.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import msgspec

from backend.accounts.api import OrganisationKind, live_people, lock_person, organisation, require_person
from backend.core import audit, clock
from backend.core.db import UNIQUE_VIOLATIONS, transaction
from backend.core.errors import DomainError, Forbidden, NotFound
from backend.core.i18n import N_, LocaleCode
from backend.core.values import as_uuid
from backend.places.api import AimIn, aim_columns, aim_of, check_aim, require_resident
from backend.volunteers.people.queries import has_consented
from backend.volunteers.teams.guards import (
    STAFF_COORDINATOR,
    Coordination,
    get_team,
    holds_role_at_or_above,
    may_coordinate_community,
    require_coordination,
)
from backend.volunteers.teams.queries import member_row, membership
from backend.volunteers.teams.schemas import TeamCreate, TeamUpdate
from backend.volunteers.teams.tables import JoinMode, MemberRole, MemberStatus, Team, TeamMember

TEAM_COMMUNITY_KINDS = (OrganisationKind.community.value, OrganisationKind.street.value)
IN_TEAM = (MemberStatus.active.value, MemberStatus.pending.value)


def clean_text(content: Mapping[LocaleCode, str], *, required: DomainError | None = None) -> dict[str, str]:
    """Per-locale text trimmed, blanks dropped; ``required`` is raised when nothing is left."""
    cleaned: dict[str, str] = {locale: text.strip() for locale, text in content.items() if text.strip()}
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
    aim = (data.audience or AimIn()).aim()
    await check_aim(aim, organiser_id=data.community_id)
    now = clock.now()
    team = Team(
        community=data.community_id,
        kind=data.kind.value,
        name=name,
        description=clean_text(data.description),
        join_mode=data.join_mode.value,
        created_by=user_id,
        created_at=now,
        **aim_columns(aim),
    )
    async with transaction(Team._meta.db):
        await team.save()
        await audit.record(
            "volunteers.team_created",
            object_type="team",
            object_id=team.id,
            organisation_id=community.id,
            permission=STAFF_COORDINATOR,
            after={
                "community": community.id,
                "kind": team.kind,
                "name": name,
                "join_mode": team.join_mode,
                "coordinators": coordinators,
                **aim_columns(aim),
            },
        )
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
    coordination = await require_coordination(user_id=user_id, team_id=team_id)
    changes: dict[Any, Any] = {}
    if data.name is not msgspec.UNSET:
        changes[Team.name] = clean_text(data.name, required=_name_required())
    if data.description is not msgspec.UNSET:
        changes[Team.description] = clean_text(data.description)
    if data.join_mode is not msgspec.UNSET:
        changes[Team.join_mode] = data.join_mode.value
    team = coordination.team
    if data.audience is not msgspec.UNSET:
        aim = data.audience.aim()
        await check_aim(aim, organiser_id=as_uuid(team.community))
        changes.update({getattr(Team, name): value for name, value in aim_columns(aim).items()})
    before = {column._meta.name: getattr(team, column._meta.name) for column in changes}
    after = {column._meta.name: value for column, value in changes.items()}
    if before != after:
        async with transaction(Team._meta.db):
            await Team.update(changes).where(Team.id == team_id)
            await _audit(coordination, "volunteers.team_changed", "team", team_id, before, after)
    return await get_team(team_id)


async def _audit(
    coordination: Coordination,
    action: str,
    object_type: str,
    object_id: uuid.UUID,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    """One entry of a coordinator's work on their team, filed under the team's community."""
    await audit.record(
        action,
        object_type=object_type,
        object_id=object_id,
        organisation_id=coordination.organisation_id,
        permission=coordination.permission,
        before=before,
        after=after,
    )


# --- membership ---------------------------------------------------------------------------------


async def join_team(*, user_id: uuid.UUID, team_id: uuid.UUID) -> tuple[TeamMember, bool]:
    """Active at once in an open team, pending where coordinators approve. (membership, changed).

    Asking again while active or pending changes nothing; after leaving or a refusal one may ask again."""
    team = await get_team(team_id)
    if not await has_consented(user_id=user_id):
        raise DomainError(
            "volunteer_profile_required", N_("Please sign up as a volunteer before joining a team."), status=409
        )
    # A team aimed at places is for their residents (403 with the reason otherwise).
    await require_resident(user_id=user_id, aim=aim_of(team.to_dict()), what="team")
    status = MemberStatus.active if team.join_mode == JoinMode.open.value else MemberStatus.pending
    engine = TeamMember._meta.db
    try:
        async with transaction(engine):
            # One person's concurrent requests queue here, so the second sees the first's row.
            await lock_person(user_id)
            current = await membership(team_id=team_id, user_id=user_id)
            if current is not None and current.status in IN_TEAM:
                return current, False
            await _enter(team_id, user_id, current, status)
    except UNIQUE_VIOLATIONS:
        # A race the lock should prevent; the unique (team, user) index keeps it to one row.
        current = await membership(team_id=team_id, user_id=user_id)
        if current is None:
            raise
        return current, False
    return await _joined(team_id, user_id), True


async def _enter(team_id: uuid.UUID, user_id: uuid.UUID, current: TeamMember | None, status: MemberStatus) -> None:
    now = clock.now()
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


async def _joined(team_id: uuid.UUID, user_id: uuid.UUID) -> TeamMember:
    """The membership this module has just written or changed."""
    current = await membership(team_id=team_id, user_id=user_id)
    if current is None:  # pragma: no cover - written just before, and memberships are never deleted
        raise NotFound("membership_not_found", N_("You are not a member of this team."))
    return current


async def leave_team(*, user_id: uuid.UUID, team_id: uuid.UUID) -> TeamMember:
    """The member (or applicant) steps out; a coordinator who leaves stops coordinating."""
    await get_team(team_id)
    left = (
        await TeamMember.update(
            {
                TeamMember.status: MemberStatus.left.value,
                TeamMember.role: MemberRole.member.value,
                TeamMember.decided_at: clock.now(),
                TeamMember.decided_by: user_id,
            }
        )
        .where((TeamMember.team == team_id) & (TeamMember.user == user_id) & TeamMember.status.is_in(list(IN_TEAM)))
        .returning(TeamMember.id)
    )
    if not left:
        raise NotFound("membership_not_found", N_("You are not a member of this team."))
    return await _joined(team_id, user_id)


# --- what coordinators do -------------------------------------------------------------------------


async def decide_member(
    *, user_id: uuid.UUID, team_id: uuid.UUID, member_id: uuid.UUID, approve: bool
) -> dict[str, Any]:
    """A coordinator approves or turns down a request to join; deciding the same way twice is a no-op."""
    coordination = await require_coordination(user_id=user_id, team_id=team_id)
    outcome = MemberStatus.active if approve else MemberStatus.rejected
    async with transaction(TeamMember._meta.db):
        decided = (
            await TeamMember.update(
                {TeamMember.status: outcome.value, TeamMember.decided_at: clock.now(), TeamMember.decided_by: user_id}
            )
            .where(
                (TeamMember.team == team_id)
                & (TeamMember.user == member_id)
                & (TeamMember.status == MemberStatus.pending.value)
            )
            .returning(TeamMember.id)
        )
        if decided:
            action = "volunteers.member_approved" if approve else "volunteers.member_rejected"
            await _audit(
                coordination,
                action,
                "team_member",
                decided[0]["id"],
                {"status": MemberStatus.pending.value},
                {"team": team_id, "user": member_id, "status": outcome.value},
            )
    if not decided:
        current = await membership(team_id=team_id, user_id=member_id)
        if current is None:
            raise NotFound("membership_not_found", N_("This person is not in this team."))
        if current.status != outcome.value:
            raise DomainError(
                "membership_not_pending", N_("This request to join has already been decided."), status=409
            )
    return await member_row(team_id=team_id, user_id=member_id)


async def appoint_coordinator(*, user_id: uuid.UUID, team_id: uuid.UUID, member_id: uuid.UUID) -> dict[str, Any]:
    """Make an active member of the team, or staff of its community (a role there or above), an
    active coordinator of it; anyone else cannot be."""
    coordination = await require_coordination(user_id=user_id, team_id=team_id)
    await require_person(member_id)
    current = await membership(team_id=team_id, user_id=member_id)
    if current is not None and (current.role, current.status) == (
        MemberRole.coordinator.value,
        MemberStatus.active.value,
    ):
        return await member_row(team_id=team_id, user_id=member_id)  # appointed already: nothing to do
    if not await _may_coordinate_team(member_id, current, coordination):
        raise DomainError(
            "coordinator_not_eligible",
            N_("Only an active member of this team, or staff of its community, can be made its coordinator."),
            status=422,
        )
    now = clock.now()
    async with transaction(TeamMember._meta.db):
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
        appointed = await membership(team_id=team_id, user_id=member_id)
        assert appointed is not None  # written just above
        await _audit(
            coordination,
            "volunteers.coordinator_appointed",
            "team_member",
            appointed.id,
            {"role": current.role, "status": current.status} if current else None,
            {
                "team": team_id,
                "user": member_id,
                "role": MemberRole.coordinator.value,
                "status": MemberStatus.active.value,
            },
        )
    return await member_row(team_id=team_id, user_id=member_id)


async def _may_coordinate_team(member_id: uuid.UUID, current: TeamMember | None, coordination: Coordination) -> bool:
    if current is not None and current.status == MemberStatus.active.value:
        return True
    community = await organisation(coordination.organisation_id)
    return community is not None and await holds_role_at_or_above(user_id=member_id, path=community.path)


async def dismiss_coordinator(*, user_id: uuid.UUID, team_id: uuid.UUID, member_id: uuid.UUID) -> dict[str, Any]:
    """A coordinator goes back to being a member of the team."""
    coordination = await require_coordination(user_id=user_id, team_id=team_id)
    async with transaction(TeamMember._meta.db):
        changed = (
            await TeamMember.update(
                {
                    TeamMember.role: MemberRole.member.value,
                    TeamMember.decided_at: clock.now(),
                    TeamMember.decided_by: user_id,
                }
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
        await _audit(
            coordination,
            "volunteers.coordinator_dismissed",
            "team_member",
            changed[0]["id"],
            {"role": MemberRole.coordinator.value},
            {"team": team_id, "user": member_id, "role": MemberRole.member.value},
        )
    return await member_row(team_id=team_id, user_id=member_id)
