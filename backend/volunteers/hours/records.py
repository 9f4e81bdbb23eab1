"""The volunteer service record (志愿服务记录证明): issued from verified hours, checked by its code.

A record is issued by this platform from hours that team coordinators verified; it is not a
certificate of the national volunteer service information system, and says so. What it states is
kept as a ServiceRecord row, so the number and the code printed on it can prove it later (either
one checks it). Downloading again over the same verified entries gives the same record (same
number, same code); new hours, a new one. Its PDF is drawn once per language and identity and kept
in the private store (``records_pdf``), never at a public address.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from backend.accounts.api import lock_person
from backend.core import clock
from backend.core.crypto import DataKeys
from backend.core.db import UNIQUE_VIOLATIONS, transaction
from backend.core.errors import DomainError, NotFound
from backend.core.i18n import CITY_TZ, N_
from backend.core.values import as_uuid, mask_name
from backend.volunteers.hours.tables import HoursEntry, HoursKind, HoursStatus, ServiceRecord
from backend.volunteers.people.queries import masked_names
from backend.volunteers.people.services import RecordIdentity, identity_for_record
from backend.volunteers.teams.tables import Team

# No 0/O, 1/I/L: a code read aloud or typed from paper comes out right.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 12
NUMBER_LENGTH = 8
MAX_CODE_INPUT = 64
ISSUER = N_("Linli community participation platform")
# A record number as printed (LL-2026-ABCDEFGH), once normalised: a code never starts with L.
_NUMBER = re.compile(rf"^LL(\d{{4}})([{ALPHABET}]{{{NUMBER_LENGTH}}})$")


def _random(length: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def normalise_code(raw: str) -> str:
    """``abcd-efgh jkmn`` → ``ABCDEFGHJKMN``: case, dashes and spaces do not matter."""
    return "".join(char for char in raw.upper() if char not in "-_ \t")


def grouped_code(code: str) -> str:
    """``ABCDEFGHJKMN`` → ``ABCD-EFGH-JKMN``, as it is printed."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def verification_url(public_base_url: str, code: str) -> str:
    """The public verification page the record's QR code opens."""
    return f"{public_base_url.rstrip('/')}/verify/{code}"


@dataclass(frozen=True)
class IssuedRecord:
    """A record and the identity printed on it (the full real name never leaves this object)."""

    record: ServiceRecord
    identity: RecordIdentity


async def issue_record(*, user_id: uuid.UUID, keys: DataKeys) -> IssuedRecord:
    """The caller's service record over their verified hours: the one issued before if those
    hours have not changed, else a new one."""
    entries = await HoursEntry.select(
        HoursEntry.id, HoursEntry.minutes, HoursEntry.service_date, HoursEntry.team, HoursEntry.kind
    ).where((HoursEntry.user == user_id) & (HoursEntry.status == HoursStatus.verified.value))
    if sum(entry["minutes"] for entry in entries) <= 0:
        raise DomainError("no_verified_hours", N_("You have no verified hours yet."), status=409)
    identity = await identity_for_record(user_id=user_id, keys=keys)
    if identity is None:
        raise DomainError(
            "real_name_required",
            N_("A service record carries your real name. Add it in your volunteer profile first."),
            status=409,
        )
    fingerprint = _fingerprint(entries)
    record = await _record_by_fingerprint(user_id, fingerprint)
    if record is None:
        record = await _new_record(user_id, fingerprint, entries, await _holder_masked(user_id, identity))
    return IssuedRecord(record=record, identity=identity)


def _fingerprint(entries: list[dict[str, Any]]) -> str:
    lines = sorted(f"{as_uuid(entry['id'])}:{entry['minutes']}" for entry in entries)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


async def _record_by_fingerprint(user_id: uuid.UUID, fingerprint: str) -> ServiceRecord | None:
    return (
        await ServiceRecord.objects()
        .output(load_json=True)
        .where((ServiceRecord.user == user_id) & (ServiceRecord.fingerprint == fingerprint))
        .order_by(ServiceRecord.issued_at)
        .first()
    )


async def _holder_masked(user_id: uuid.UUID, identity: RecordIdentity) -> str:
    """The profile's mask; what the public check shows when the profile has none: 张晓明 → 张*明."""
    return (await masked_names([user_id])).get(user_id) or mask_name(identity.real_name)


async def _new_record(
    user_id: uuid.UUID, fingerprint: str, entries: list[dict[str, Any]], holder_masked: str
) -> ServiceRecord:
    summary = await _summary(entries)
    dates = [_as_date(entry["service_date"]) for entry in entries]
    engine = ServiceRecord._meta.db
    for _attempt in range(3):  # a clash of random numbers is rare; try fresh ones
        now = clock.now()
        record = ServiceRecord(
            user=user_id,
            record_number=f"LL-{now.astimezone(CITY_TZ).year}-{_random(NUMBER_LENGTH)}",
            code=_random(CODE_LENGTH),
            issued_at=now,
            period_start=min(dates),
            period_end=max(dates),
            total_minutes=sum(entry["minutes"] for entry in entries),
            entry_count=len(entries),
            holder_masked=holder_masked,
            summary=summary,
            fingerprint=fingerprint,
        )
        try:
            async with transaction(engine):
                # One person's concurrent downloads queue here, so they issue one record, not two.
                await lock_person(user_id)
                earlier = await _record_by_fingerprint(user_id, fingerprint)
                if earlier is not None:
                    return earlier
                await ServiceRecord.insert(record)
        except UNIQUE_VIOLATIONS:
            continue
        return await _record_by_fingerprint(user_id, fingerprint) or record
    raise RuntimeError("could not draw a unique record number and code")


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


async def _summary(entries: list[dict[str, Any]]) -> dict[str, Any]:
    """Per team: its names, its community's names, the verified minutes and shifts served."""
    per_team: dict[uuid.UUID, dict[str, int]] = {}
    for entry in entries:
        team = per_team.setdefault(as_uuid(entry["team"]), {"minutes": 0, "shifts": 0})
        team["minutes"] += entry["minutes"]
        team["shifts"] += 1 if entry["kind"] == HoursKind.shift.value else 0
    rows = (
        await Team.select(Team.id, Team.name, Team.community, Team.community.name.as_alias("community_name"))
        .output(load_json=True)
        .where(Team.id.is_in(list(per_team)))
    )
    teams: list[dict[str, Any]] = []
    organisations: dict[str, Any] = {}  # community id → its names, in the order teams mention them
    for row in sorted(rows, key=lambda r: -per_team[as_uuid(r["id"])]["minutes"]):
        served = per_team[as_uuid(row["id"])]
        if served["minutes"] <= 0:
            continue  # corrected away entirely: nothing to state
        community = str(row["community"])
        organisations.setdefault(community, row["community_name"])
        teams.append(
            {
                "team_id": str(row["id"]),
                "name": row["name"],
                "community_id": community,
                "community": row["community_name"],
                "minutes": served["minutes"],
                "shifts": served["shifts"],
            }
        )
    return {"teams": teams, "organisations": [{"id": key, "name": name} for key, name in organisations.items()]}


async def find_record(number_or_code: str) -> ServiceRecord | None:
    """The record a printed number (LL-2026-ABCDEFGH) or verification code belongs to, however it
    was typed (case, dashes and spaces do not matter); None for anything no record carries."""
    normalised = normalise_code(number_or_code)
    if not 0 < len(normalised) <= MAX_CODE_INPUT:
        return None
    number = _NUMBER.match(normalised)
    column, value = (
        (ServiceRecord.record_number, f"LL-{number[1]}-{number[2]}") if number else (ServiceRecord.code, normalised)
    )
    return await ServiceRecord.objects().output(load_json=True).where(column == value).first()


@dataclass(frozen=True)
class TeamService:
    """One team's line on a record: its names and its community's ({locale: text}), as printed."""

    team_id: uuid.UUID
    name: dict[str, str]
    community_id: uuid.UUID
    community: dict[str, str]
    minutes: int
    shifts: int


@dataclass(frozen=True)
class RecordVerification:
    """What anyone holding a record's number or code may learn: that it is genuine (``valid``),
    what it states, and whether a newer record has been issued since (``superseded``: the
    holder's verified hours changed). Never the holder's full name or identity number."""

    record_number: str
    valid: bool
    superseded: bool
    holder_masked: str
    issued_at: datetime
    period_start: date | None
    period_end: date | None
    total_minutes: int
    entry_count: int
    teams: list[TeamService]


async def verify_record(number_or_code: str) -> RecordVerification | None:
    """The record a printed number or code belongs to, as a verification shows it; None for one
    no record carries."""
    record = await find_record(number_or_code)
    if record is None:
        return None
    newer = await ServiceRecord.exists().where(
        (ServiceRecord.user == record.user) & (ServiceRecord.issued_at > record.issued_at)
    )
    summary: dict[str, Any] = record.summary or {}  # type: ignore[assignment]  # JSON read with load_json: a dict
    teams = [
        TeamService(
            team_id=as_uuid(team["team_id"]),
            name=team["name"] or {},
            community_id=as_uuid(team["community_id"]),
            community=team["community"] or {},
            minutes=int(team["minutes"]),
            shifts=int(team["shifts"]),
        )
        for team in summary.get("teams", [])
    ]
    return RecordVerification(
        record_number=record.record_number,
        valid=True,
        superseded=newer,
        holder_masked=record.holder_masked,
        issued_at=record.issued_at,
        period_start=_as_date(record.period_start) if record.period_start else None,
        period_end=_as_date(record.period_end) if record.period_end else None,
        total_minutes=record.total_minutes,
        entry_count=record.entry_count,
        teams=teams,
    )


async def check_record(*, code: str) -> RecordVerification:
    """The record a printed number or code belongs to; 404 for one no record carries."""
    found = await verify_record(code)
    if found is None:
        raise NotFound("record_not_found", N_("No service record carries this number or code."))
    return found
