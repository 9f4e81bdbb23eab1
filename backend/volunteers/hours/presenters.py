"""Shaping ledger rows for the API and the exports, in the caller's language."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from backend.core.i18n import N_, _, pick
from backend.core.values import as_uuid, hours_of
from backend.volunteers.hours.decisions import BulkOutcome
from backend.volunteers.hours.queries import Corrections, Totals, VolunteerLedger
from backend.volunteers.hours.records import ISSUER, RecordVerification
from backend.volunteers.hours.schemas import (
    HoursEntryRead,
    HoursSkipped,
    HoursTeamBrief,
    HoursTotalsRead,
    HoursVerifiedMany,
    HoursVolunteerBrief,
    LedgerEntryRead,
    MyHoursRead,
    ServiceRecordCheck,
    TeamHoursEntryRead,
    TeamMinutesRead,
    VolunteerLedgerRead,
)
from backend.volunteers.hours.tables import HoursStatus

KIND_NAMES: Mapping[str, str] = {
    "shift": N_("Shift"),
    "manual": N_("Manual entry"),
    "correction": N_("Correction"),
}
STATUS_NAMES: Mapping[str, str] = {
    "pending": N_("Awaiting verification"),
    "verified": N_("Verified"),
    "rejected": N_("Rejected"),
    "withdrawn": N_("Withdrawn"),
}
# 星级志愿者: one name per level, so each language can say it its own way (三星志愿者).
LEVEL_NAMES: tuple[str, ...] = (
    N_("Volunteer"),
    N_("1-star volunteer"),
    N_("2-star volunteer"),
    N_("3-star volunteer"),
    N_("4-star volunteer"),
    N_("5-star volunteer"),
)


def kind_name(kind: str) -> str:
    return _(KIND_NAMES[kind])


def status_name(status: str) -> str:
    return _(STATUS_NAMES[status])


def level_name(level: int) -> str:
    return _(LEVEL_NAMES[level])


def entry_content(row: Mapping[str, Any]) -> str:
    """A shift's entry says what was done in the shift's title, in the reader's language; a
    manual entry in the words it was written in."""
    title = row.get("title")
    return pick(title)[0] if title else row["content"]


def _fields(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "team": HoursTeamBrief(id=row["team"], name=pick(row["team_name"])[0]),
        "kind": row["kind"],
        "kind_name": kind_name(row["kind"]),
        "minutes": row["minutes"],
        "hours": hours_of(row["minutes"]),
        "service_date": row["service_date"],
        "content": entry_content(row),
        "reason": row["reason"],
        "status": row["status"],
        "status_name": status_name(row["status"]),
        "flags": list(row["flags"] or []),
        "corrects": row["corrects"],
        "created_at": row["created_at"],
        "decided_at": row["decided_at"],
        "decision_note": row["decision_note"],
    }


def entry_read(row: Mapping[str, Any]) -> HoursEntryRead:
    return HoursEntryRead(**_fields(row))


def _team_fields(row: Mapping[str, Any]) -> dict[str, Any]:
    volunteer = HoursVolunteerBrief(
        id=row["user"], display_name=row["user_name"] or "", real_name_masked=row.get("real_name_masked")
    )
    return {**_fields(row), "volunteer": volunteer, "decided_by_name": row["decided_by_name"]}


def team_entry_read(row: Mapping[str, Any]) -> TeamHoursEntryRead:
    return TeamHoursEntryRead(**_team_fields(row))


def totals_read(totals: Totals) -> HoursTotalsRead:
    following = totals.next_milestone_hours
    return HoursTotalsRead(
        verified_minutes=totals.verified_minutes,
        verified_hours=hours_of(totals.verified_minutes),
        pending_minutes=totals.pending_minutes,
        level=totals.level,
        level_name=level_name(totals.level),
        next_milestone_hours=following,
        hours_to_next=None if following is None else hours_of(following * 60 - totals.verified_minutes),
    )


def my_hours_read(rows: list[dict[str, Any]], totals: Totals, next_before: Any) -> MyHoursRead:
    return MyHoursRead(items=[entry_read(row) for row in rows], totals=totals_read(totals), next_before=next_before)


def bulk_read(outcome: BulkOutcome) -> HoursVerifiedMany:
    return HoursVerifiedMany(
        verified=[as_uuid(entry_id) for entry_id in outcome.verified],
        skipped=[HoursSkipped(id=entry_id, code=code) for entry_id, code in outcome.skipped],
    )


def record_check_read(record: RecordVerification) -> ServiceRecordCheck:
    """Only what proves the record: never the holder's full name or any identity number."""
    return ServiceRecordCheck(
        valid=record.valid,
        superseded=record.superseded,
        record_number=record.record_number,
        holder=record.holder_masked,
        total_hours=hours_of(record.total_minutes),
        period_start=record.period_start,
        period_end=record.period_end,
        issued_at=record.issued_at,
        issuer=_(ISSUER),
        teams=[pick(team.name)[0] for team in record.teams],
    )


def ledger_entry_read(row: Mapping[str, Any], corrections: Corrections) -> LedgerEntryRead:
    """A ledger's entry: a corrected one with its balance, a correction with the date it corrects."""
    return LedgerEntryRead(
        **_team_fields(row),
        balance_minutes=corrections.balances.get(as_uuid(row["id"])),
        corrects_service_date=corrections.corrected_dates.get(as_uuid(row["corrects"])) if row["corrects"] else None,
    )


def ledger_read(ledger: VolunteerLedger) -> VolunteerLedgerRead:
    minutes = ledger.team_minutes
    return VolunteerLedgerRead(
        volunteer=HoursVolunteerBrief(
            id=ledger.volunteer_id, display_name=ledger.display_name, real_name_masked=ledger.real_name_masked
        ),
        team=HoursTeamBrief(id=ledger.team_id, name=pick(ledger.team_name)[0]),
        items=[ledger_entry_read(row, ledger.corrections) for row in ledger.rows],
        next_before=ledger.next_before,
        team_totals=TeamMinutesRead(
            verified_minutes=minutes.get(HoursStatus.verified.value, 0),
            pending_minutes=minutes.get(HoursStatus.pending.value, 0),
            rejected_minutes=minutes.get(HoursStatus.rejected.value, 0),
            verified_hours=hours_of(minutes.get(HoursStatus.verified.value, 0)),
        ),
        totals=totals_read(ledger.totals),
    )
