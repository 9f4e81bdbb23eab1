"""The volunteers domain's part of a person's export and erasure (its manifest's ``PrivacyPart``).

Erasure releases every shift place still to come, ends memberships, removes the volunteer
profile (with the sealed real name and identity number) and the reporter from incidents. The
hours ledger keeps its rows, now pointing at an anonymised account, so team totals still add up.
"""

from __future__ import annotations

import uuid
from typing import Any

from backend.core import clock, privacy, runtime
from backend.core.crypto import DataKeys
from backend.core.errors import DomainError
from backend.volunteers.hours.tables import HoursEntry, ServiceRecord
from backend.volunteers.incidents import privacy as incident_privacy
from backend.volunteers.people.services import identity_for_record
from backend.volunteers.people.tables import VolunteerProfile
from backend.volunteers.shifts.services import cancel_signup
from backend.volunteers.shifts.tables import CheckpointScan, ShiftSignup, SignupStatus
from backend.volunteers.teams.tables import MemberStatus, TeamMember


async def export_volunteering(user_id: uuid.UUID) -> dict[str, Any]:
    """The real name is unsealed with the running app's key, for the person themselves."""
    keys = runtime.current().settings.sealing_keys
    return {
        "profile": await _profile(user_id, keys),
        "team_memberships": await TeamMember.select(
            TeamMember.team,
            TeamMember.team.name.as_alias("team_name"),
            TeamMember.role,
            TeamMember.status,
            TeamMember.created_at,
            TeamMember.decided_at,
        )
        .where(TeamMember.user == user_id)
        .output(load_json=True),
        "shift_signups": await ShiftSignup.select(
            ShiftSignup.id,
            ShiftSignup.shift,
            ShiftSignup.shift.title.as_alias("shift_title"),
            ShiftSignup.shift.starts_at.as_alias("shift_starts_at"),
            ShiftSignup.status,
            ShiftSignup.created_at,
            ShiftSignup.cancelled_at,
            ShiftSignup.checked_in_at,
            ShiftSignup.checked_out_at,
            ShiftSignup.closed_automatically,
            ShiftSignup.flags,
        )
        .where(ShiftSignup.user == user_id)
        .output(load_json=True),
        "checkpoint_scans": await CheckpointScan.select(
            CheckpointScan.signup,
            CheckpointScan.checkpoint.name.as_alias("checkpoint_name"),
            CheckpointScan.scanned_at,
        )
        .where(CheckpointScan.signup.user == user_id)
        .output(load_json=True),
        "hours": await HoursEntry.select(
            HoursEntry.id,
            HoursEntry.team,
            HoursEntry.kind,
            HoursEntry.minutes,
            HoursEntry.service_date,
            HoursEntry.content,
            HoursEntry.reason,
            HoursEntry.status,
            HoursEntry.corrects,
            HoursEntry.created_at,
            HoursEntry.decided_at,
        )
        .where(HoursEntry.user == user_id)
        .output(load_json=True),
        "service_records": await ServiceRecord.select(
            ServiceRecord.record_number,
            ServiceRecord.code,
            ServiceRecord.issued_at,
            ServiceRecord.total_minutes,
            ServiceRecord.period_start,
            ServiceRecord.period_end,
        ).where(ServiceRecord.user == user_id),
        "incidents_reported": await incident_privacy.export_reports(user_id),
    }


async def _profile(user_id: uuid.UUID, keys: DataKeys) -> dict[str, Any] | None:
    row = (
        await VolunteerProfile.select(
            VolunteerProfile.id_document,
            VolunteerProfile.id_number_masked,
            VolunteerProfile.skills,
            VolunteerProfile.languages,
            VolunteerProfile.consented_at,
            VolunteerProfile.created_at,
        )
        .where(VolunteerProfile.user == user_id)
        .output(load_json=True)
        .first()
    )
    if row is None:
        return None
    identity = await identity_for_record(user_id=user_id, keys=keys)
    # The real name is theirs to see; the identity number only masked, as it is everywhere.
    return {**row, "real_name": identity.real_name if identity else None}


async def erase_volunteering(erasure: privacy.Erasure) -> None:
    user_id = erasure.user_id
    upcoming = await ShiftSignup.select(ShiftSignup.shift).where(
        (ShiftSignup.user == user_id)
        & (ShiftSignup.status == SignupStatus.signed_up.value)
        & (ShiftSignup.shift.starts_at > clock.now())
    )
    for row in upcoming:
        try:
            await cancel_signup(user_id=user_id, shift_id=row["shift"])
        except DomainError:
            continue  # started or cancelled meanwhile: nothing left to release
    await ShiftSignup.update({ShiftSignup.idempotency_key: None}).where(ShiftSignup.user == user_id)
    await TeamMember.update({TeamMember.status: MemberStatus.left.value, TeamMember.decided_at: clock.now()}).where(
        (TeamMember.user == user_id) & (TeamMember.status != MemberStatus.left.value)
    )
    await VolunteerProfile.delete().where(VolunteerProfile.user == user_id)
    await ServiceRecord.update({ServiceRecord.holder_masked: ""}).where(ServiceRecord.user == user_id)
    await incident_privacy.forget_person(user_id)
