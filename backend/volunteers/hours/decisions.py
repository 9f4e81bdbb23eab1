"""Deciding on hours: verify, reject, correct. Never by the volunteer whose hours they are.

Verification is one conditional UPDATE (``status = 'pending'`` → verified) inside the signal
transaction, and the signal is written only when that UPDATE changed the row: however many
requests race to verify one entry, on however many instances, HOURS_VERIFIED is emitted once.
PostgreSQL makes the losers wait on the row and then finds the status changed; SQLite queues
the writers with BEGIN IMMEDIATE. Every decision is written to the audit trail in its transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from backend.core import audit, clock, signals
from backend.core.db import UNIQUE_VIOLATIONS, lock_row, transaction
from backend.core.errors import DomainError
from backend.core.i18n import N_
from backend.core.idempotency import key_reused
from backend.core.values import as_uuid, hours_of
from backend.volunteers.hours.queries import entry_not_found, entry_row
from backend.volunteers.hours.services import required_reason
from backend.volunteers.hours.tables import HoursEntry, HoursKind, HoursStatus
from backend.volunteers.signals import HoursVerified
from backend.volunteers.teams.guards import Coordination, coordinating_as, get_team, require_coordination

SkipCode = Literal["hours_entry_not_found", "cannot_verify_own_hours", "hours_entry_decided"]
NOT_FOUND: SkipCode = "hours_entry_not_found"
OWN_HOURS: SkipCode = "cannot_verify_own_hours"
DECIDED: SkipCode = "hours_entry_decided"


def _own_hours() -> DomainError:
    return DomainError(OWN_HOURS, N_("You cannot verify or change your own hours."), status=403)


def _decided() -> DomainError:
    return DomainError(DECIDED, N_("This hours entry has already been decided."), status=409)


@dataclass
class BulkOutcome:
    verified: list[uuid.UUID] = field(default_factory=list)
    skipped: list[tuple[uuid.UUID, SkipCode]] = field(default_factory=list)


async def _decidable(user_id: uuid.UUID, entry_id: uuid.UUID) -> tuple[HoursEntry, Coordination]:
    """The entry and the caller's say over its team, if they may decide on it: someone else's
    team's entry is missing (404); the caller's own entry is refused (403), whatever their roles."""
    entry = await HoursEntry.objects().output(load_json=True).where(HoursEntry.id == entry_id).first()
    if entry is None:
        raise entry_not_found()
    if as_uuid(entry.user) == user_id:
        raise _own_hours()
    team = await get_team(entry.team)
    permission = await coordinating_as(user_id=user_id, team=team)
    if permission is None:
        raise entry_not_found()
    return entry, Coordination(team, permission)


async def _audit(
    coordination: Coordination, action: str, entry_id: uuid.UUID, before: dict[str, Any], after: dict[str, Any]
) -> None:
    await audit.record(
        action,
        object_type="hours_entry",
        object_id=entry_id,
        organisation_id=coordination.organisation_id,
        permission=coordination.permission,
        before=before,
        after=after,
    )


def _payload(
    row: dict[str, Any], community_id: uuid.UUID, verified_by: uuid.UUID, verified_at: datetime
) -> HoursVerified:
    return HoursVerified(
        entry_id=row["id"],
        user_id=row["user"],
        team_id=row["team"],
        community_id=community_id,
        kind=row["kind"],
        minutes=int(row["minutes"]),
        service_date=row["service_date"],
        verified_by=verified_by,
        verified_at=verified_at,
    )


async def _verify_pending(
    entry_ids: list[uuid.UUID], coordination: Coordination, user_id: uuid.UUID
) -> list[uuid.UUID]:
    """Inside ``signals.atomic()``: verify what is still pending, and announce and audit exactly that."""
    team, now = coordination.team, clock.now()
    rows = (
        await HoursEntry.update(
            {HoursEntry.status: HoursStatus.verified.value, HoursEntry.decided_by: user_id, HoursEntry.decided_at: now}
        )
        .where(
            HoursEntry.id.is_in(entry_ids)
            & (HoursEntry.team == team.id)
            & (HoursEntry.user != user_id)
            & (HoursEntry.status == HoursStatus.pending.value)
        )
        .returning(
            HoursEntry.id,
            HoursEntry.user,
            HoursEntry.team,
            HoursEntry.kind,
            HoursEntry.minutes,
            HoursEntry.service_date,
        )
    )
    for row in rows:
        await signals.emit(_payload(row, coordination.organisation_id, user_id, now))
        after = {"status": HoursStatus.verified.value, "user": row["user"], "minutes": row["minutes"]}
        await _audit(coordination, "volunteers.hours_verified", row["id"], {"status": HoursStatus.pending.value}, after)
    return [as_uuid(row["id"]) for row in rows]


async def verify_entry(*, user_id: uuid.UUID, entry_id: uuid.UUID) -> dict[str, Any]:
    """Verify a pending entry; an entry already verified is answered as it is, announced once."""
    entry, coordination = await _decidable(user_id, entry_id)
    if entry.status not in (HoursStatus.pending.value, HoursStatus.verified.value):
        raise _decided()  # rejected, or withdrawn with the volunteer's account
    if entry.status == HoursStatus.pending.value:
        async with signals.atomic():
            await _verify_pending([entry.id], coordination, user_id)
    row = await entry_row(entry.id)
    if row["status"] != HoursStatus.verified.value:  # a concurrent rejection got there first
        raise _decided()
    return row


async def verify_entries(*, user_id: uuid.UUID, team_id: uuid.UUID, entry_ids: list[uuid.UUID]) -> BulkOutcome:
    """Verify many entries of one team; each one follows the rules of ``verify_entry``."""
    coordination = await require_coordination(user_id=user_id, team_id=team_id)
    team = coordination.team
    ids = list(dict.fromkeys(entry_ids))
    statuses = await _statuses(ids)
    outcome, pending = BulkOutcome(), []
    for entry_id in ids:
        row = statuses.get(entry_id)
        if row is None or as_uuid(row["team"]) != team.id:
            outcome.skipped.append((entry_id, NOT_FOUND))
        elif as_uuid(row["user"]) == user_id:
            outcome.skipped.append((entry_id, OWN_HOURS))
        elif row["status"] == HoursStatus.pending.value:
            pending.append(entry_id)
    if pending:
        async with signals.atomic():
            await _verify_pending(pending, coordination, user_id)
        statuses.update(await _statuses(pending))
    skipped = {entry_id for entry_id, _code in outcome.skipped}
    for entry_id in ids:
        if entry_id in skipped:
            continue
        if statuses[entry_id]["status"] == HoursStatus.verified.value:
            outcome.verified.append(entry_id)
        else:
            outcome.skipped.append((entry_id, DECIDED))
    return outcome


async def _statuses(entry_ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[str, Any]]:
    rows = await HoursEntry.select(HoursEntry.id, HoursEntry.user, HoursEntry.team, HoursEntry.status).where(
        HoursEntry.id.is_in(entry_ids)
    )
    return {as_uuid(row["id"]): row for row in rows}


async def reject_entry(*, user_id: uuid.UUID, entry_id: uuid.UUID, note: str) -> dict[str, Any]:
    """Reject a pending entry with a note the volunteer reads; a decision is written once."""
    entry, coordination = await _decidable(user_id, entry_id)
    text = required_reason(note)
    async with transaction(HoursEntry._meta.db):
        changed = (
            await HoursEntry.update(
                {
                    HoursEntry.status: HoursStatus.rejected.value,
                    HoursEntry.decided_by: user_id,
                    HoursEntry.decided_at: clock.now(),
                    HoursEntry.decision_note: text,
                }
            )
            .where((HoursEntry.id == entry.id) & (HoursEntry.status == HoursStatus.pending.value))
            .returning(HoursEntry.id)
        )
        if not changed:
            raise _decided()
        before = {"status": HoursStatus.pending.value}
        after = {"status": HoursStatus.rejected.value, "user": entry.user, "minutes": entry.minutes, "note": text}
        await _audit(coordination, "volunteers.hours_rejected", entry.id, before, after)
    return await entry_row(entry.id)


# --- corrections --------------------------------------------------------------------------------


async def correct_entry(
    *, user_id: uuid.UUID, entry_id: uuid.UUID, minutes: int, reason: str, idempotency_key: str | None
) -> dict[str, Any]:
    """A signed correction of a verified entry, as a new entry verified by the coordinator.

    The entry with all its corrections never goes below zero; corrections of one entry are
    serialised on its row so two of them cannot both pass that check.
    """
    if minutes == 0:
        raise DomainError("correction_zero", N_("A correction must add or take away some minutes."), status=422)
    entry, coordination = await _decidable(user_id, entry_id)
    if entry.corrects is not None:  # correcting a correction corrects what it corrected
        entry, coordination = await _decidable(user_id, as_uuid(entry.corrects))
    source_key = f"correction:{user_id}:{idempotency_key}" if idempotency_key else f"correction:{uuid.uuid4()}"
    if idempotency_key and (earlier := await _earlier_correction(source_key, entry.id)) is not None:
        return earlier
    if entry.status != HoursStatus.verified.value:
        raise DomainError("hours_entry_not_verified", N_("Only verified hours can be corrected."), status=409)
    text = required_reason(reason)
    try:
        async with signals.atomic():
            await lock_row(HoursEntry._meta.db, HoursEntry._meta.tablename, entry.id)
            if idempotency_key and (earlier := await _earlier_correction(source_key, entry.id)) is not None:
                return earlier  # a concurrent retry of this request committed first
            balance = await _check_balance(entry, minutes)
            correction_id = await _write_correction(entry, coordination, user_id, minutes, text, source_key)
            await _audit(
                coordination,
                "volunteers.hours_corrected",
                entry.id,
                {"balance_minutes": balance},
                {"balance_minutes": balance + minutes, "correction": correction_id, "reason": text},
            )
    except UNIQUE_VIOLATIONS:
        if idempotency_key and (earlier := await _earlier_correction(source_key, entry.id)) is not None:
            return earlier
        raise
    return await entry_row(correction_id)


async def _earlier_correction(source_key: str, entry_id: uuid.UUID) -> dict[str, Any] | None:
    row = await HoursEntry.select(HoursEntry.id, HoursEntry.corrects).where(HoursEntry.source_key == source_key).first()
    if row is None:
        return None
    if row["corrects"] is None or as_uuid(row["corrects"]) != entry_id:
        raise key_reused()
    return await entry_row(as_uuid(row["id"]))


async def _check_balance(entry: HoursEntry, minutes: int) -> int:
    """The entry's verified balance (with its corrections); 422 if ``minutes`` would take it below zero."""
    rows = await HoursEntry.select(HoursEntry.minutes).where(
        (HoursEntry.corrects == entry.id) & (HoursEntry.status == HoursStatus.verified.value)
    )
    balance = int(entry.minutes) + sum(int(row["minutes"]) for row in rows)
    if balance + minutes < 0:
        raise DomainError(
            "correction_below_zero",
            N_("This would take the entry below zero: it stands at {hours} hours."),
            params={"hours": hours_of(balance), "minutes": balance},
            status=422,
        )
    return balance


async def _write_correction(
    entry: HoursEntry, coordination: Coordination, user_id: uuid.UUID, minutes: int, reason: str, source_key: str
) -> uuid.UUID:
    now = clock.now()
    correction = HoursEntry(
        user=entry.user,
        team=entry.team,
        kind=HoursKind.correction.value,
        minutes=minutes,
        service_date=entry.service_date,
        content=entry.content,
        title=entry.title,
        reason=reason,
        corrects=entry.id,
        source_key=source_key,
        flags=[],
        status=HoursStatus.verified.value,
        created_by=user_id,
        created_at=now,
        decided_by=user_id,
        decided_at=now,
    )
    await HoursEntry.insert(correction)
    row = {
        "id": correction.id,
        "user": entry.user,
        "team": entry.team,
        "kind": correction.kind,
        "minutes": minutes,
        "service_date": entry.service_date,
    }
    await signals.emit(_payload(row, coordination.organisation_id, user_id, now))
    return correction.id
