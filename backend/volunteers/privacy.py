"""The volunteers domain's part of a person's export and erasure (its manifest's ``PrivacyPart``).

Export: everything the domain keeps about the person, for them alone: the profile with their real
name and identity number unmasked (unsealed for them), team memberships, shift places and
checkpoint scans, every hours entry and the service records issued to them (the incidents they
reported are governance's, since incidents moved there).

Erasure leaves nothing personal behind, thing by thing:

- shift places still to come are released (others may take them); past places stay, pointing at
  the anonymised account, with their idempotency keys cleared;
- memberships end (``left``);
- the volunteer profile goes, with the sealed real name and identity number;
- hours entries: verified history stays (team totals and other people's records still add up),
  pointing at the anonymised account; claims still pending are **withdrawn** (a status no
  coordinator can verify); the reasons the person wrote themselves are cleared;
- service records stay verifiable (their number and code), with the masked holder cleared; their
  PDFs, which print the real name, are deleted;
"""

from __future__ import annotations

import uuid
from typing import Any

from backend.core import clock, privacy, runtime
from backend.core.crypto import DataKeys
from backend.core.db import transaction
from backend.core.errors import DomainError
from backend.volunteers.hours.tables import HoursEntry, HoursStatus, ServiceRecord
from backend.volunteers.people.services import identity_for_owner
from backend.volunteers.people.tables import VolunteerProfile
from backend.volunteers.shifts.services import cancel_signup
from backend.volunteers.shifts.tables import CheckpointScan, ShiftSignup, SignupStatus
from backend.volunteers.storage import delete_folder, private_store, record_folder
from backend.volunteers.teams.tables import MemberStatus, TeamMember

WITHDRAWN_NOTE = "withdrawn: the volunteer deleted their account"


async def export_volunteering(user_id: uuid.UUID) -> dict[str, Any]:
    """The real name and identity number are unsealed with the running app's keys, for the person
    themselves (the export answer is not cached)."""
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
            HoursEntry.title,
            HoursEntry.reason,
            HoursEntry.flags,
            HoursEntry.status,
            HoursEntry.corrects,
            HoursEntry.created_at,
            HoursEntry.decided_at,
            HoursEntry.decision_note,
        )
        .where(HoursEntry.user == user_id)
        .output(load_json=True),
        "service_records": await ServiceRecord.select(
            ServiceRecord.record_number,
            ServiceRecord.code,
            ServiceRecord.issued_at,
            ServiceRecord.total_minutes,
            ServiceRecord.entry_count,
            ServiceRecord.period_start,
            ServiceRecord.period_end,
            ServiceRecord.holder_masked,
            ServiceRecord.summary,
        )
        .where(ServiceRecord.user == user_id)
        .output(load_json=True),
    }


async def _profile(user_id: uuid.UUID, keys: DataKeys) -> dict[str, Any] | None:
    row = (
        await VolunteerProfile.select(
            VolunteerProfile.real_name_masked,
            VolunteerProfile.id_document,
            VolunteerProfile.id_number_masked,
            VolunteerProfile.skills,
            VolunteerProfile.languages,
            VolunteerProfile.consented_at,
            VolunteerProfile.created_at,
            VolunteerProfile.updated_at,
        )
        .where(VolunteerProfile.user == user_id)
        .output(load_json=True)
        .first()
    )
    if row is None:
        return None
    identity = await identity_for_owner(user_id=user_id, keys=keys)
    # Theirs to see in full: the one place the real name and identity number leave unmasked.
    return {
        **row,
        "real_name": identity.real_name if identity else None,
        "id_number": identity.id_number if identity else None,
    }


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
    async with transaction(VolunteerProfile._meta.db):
        await ShiftSignup.update({ShiftSignup.idempotency_key: None}).where(ShiftSignup.user == user_id)
        await TeamMember.update({TeamMember.status: MemberStatus.left.value, TeamMember.decided_at: clock.now()}).where(
            (TeamMember.user == user_id) & (TeamMember.status != MemberStatus.left.value)
        )
        await VolunteerProfile.delete().where(VolunteerProfile.user == user_id)
        await _withdraw_hours(user_id)
        await ServiceRecord.update({ServiceRecord.holder_masked: ""}).where(ServiceRecord.user == user_id)
    delete_folder(private_store(), record_folder(user_id))


async def _withdraw_hours(user_id: uuid.UUID) -> None:
    """Pending claims can no longer be verified; the words the person wrote themselves go."""
    await HoursEntry.update(
        {
            HoursEntry.status: HoursStatus.withdrawn.value,
            HoursEntry.decided_at: clock.now(),
            HoursEntry.decision_note: WITHDRAWN_NOTE,
        }
    ).where((HoursEntry.user == user_id) & (HoursEntry.status == HoursStatus.pending.value))
    await HoursEntry.update({HoursEntry.reason: ""}).where(
        (HoursEntry.user == user_id) & (HoursEntry.created_by == user_id)
    )
