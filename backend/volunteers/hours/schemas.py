"""Request and response bodies of the hours ledger, service records and their verification."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

HoursKindCode = Literal["shift", "manual", "correction"]
HoursStatusCode = Literal["pending", "verified", "rejected", "withdrawn"]

Reason = Annotated[
    str,
    msgspec.Meta(
        min_length=2, max_length=500, examples=["忘记签到，带队老师可以证明"], description="why; the verifier reads it"
    ),
]


# --- requests ------------------------------------------------------------------------------------


class ManualHoursCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Claim hours in a team (no ``user_id``), or, as its coordinator, enter them for a member."""

    user_id: Annotated[
        uuid.UUID | None, msgspec.Meta(description="the member the hours are for; leave out to claim your own")
    ] = None
    minutes: Annotated[int, msgspec.Meta(ge=1, le=1440, examples=[120])]
    service_date: Annotated[
        date, msgspec.Meta(description="the day served, in city time; the last 365 days", examples=["2026-11-20"])
    ]
    content: Annotated[str, msgspec.Meta(max_length=200, examples=["重阳节社区敬老活动引导"])] = ""
    reason: Reason


class HoursVerifyMany(msgspec.Struct, forbid_unknown_fields=True):
    entry_ids: Annotated[
        list[uuid.UUID],
        msgspec.Meta(min_length=1, max_length=200, examples=[["3f6c1a52-6f0e-4c47-9a43-1d2b7c9e8a10"]]),
    ]


class HoursReject(msgspec.Struct, forbid_unknown_fields=True):
    note: Annotated[str, msgspec.Meta(min_length=2, max_length=500, examples=["当天未排班，请补充说明"])]


class HoursCorrectionCreate(msgspec.Struct, forbid_unknown_fields=True):
    """A signed change to a verified entry: negative takes minutes away, never below zero in all."""

    minutes: Annotated[int, msgspec.Meta(ge=-1440, le=1440, examples=[-30], description="not zero")]
    reason: Reason


# --- responses -----------------------------------------------------------------------------------


class HoursTeamBrief(msgspec.Struct):
    id: uuid.UUID
    name: str


class HoursEntryRead(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    team: HoursTeamBrief
    kind: HoursKindCode
    kind_name: str
    minutes: int
    hours: Annotated[float, msgspec.Meta(description="one decimal")]
    service_date: date
    content: Annotated[
        str, msgspec.Meta(description="what was done: a shift's title in the reader's language, or a claim's words")
    ]
    reason: str
    status: HoursStatusCode
    status_name: str
    flags: list[str]
    corrects: uuid.UUID | None
    created_at: datetime
    decided_at: datetime | None
    decision_note: str


class HoursTotalsRead(msgspec.Struct):
    verified_minutes: int
    verified_hours: float
    pending_minutes: int
    level: Annotated[int, msgspec.Meta(ge=0, le=5, description="stars: milestones of verified hours reached")]
    level_name: str
    next_milestone_hours: int | None
    hours_to_next: float | None


class MyHoursRead(msgspec.Struct):
    items: list[HoursEntryRead]
    totals: HoursTotalsRead
    next_before: Annotated[uuid.UUID | None, msgspec.Meta(description="pass as ?before= for the next page")]


class HoursVolunteerBrief(msgspec.Struct):
    id: uuid.UUID
    display_name: str
    real_name_masked: str | None


class TeamHoursEntryRead(HoursEntryRead, kw_only=True):
    volunteer: HoursVolunteerBrief
    decided_by_name: str | None


class HoursSkipped(msgspec.Struct):
    id: uuid.UUID
    code: Literal["hours_entry_not_found", "cannot_verify_own_hours", "hours_entry_decided"]


class HoursVerifiedMany(msgspec.Struct):
    verified: list[uuid.UUID]
    skipped: list[HoursSkipped]


class ServiceRecordCheck(msgspec.Struct):
    """What anyone holding a service record's code may learn: that it is genuine, and its totals."""

    valid: bool
    superseded: Annotated[
        bool, msgspec.Meta(description="a newer record was issued since: the holder's verified hours changed")
    ]
    record_number: str
    holder: Annotated[str, msgspec.Meta(description="the masked real name only", examples=["张*明"])]
    total_hours: float
    period_start: date | None
    period_end: date | None
    issued_at: datetime
    issuer: str
    teams: list[str]


class TeamMinutesRead(msgspec.Struct):
    """A volunteer's minutes in one team, by status (corrections count as verified)."""

    verified_minutes: int
    pending_minutes: int
    rejected_minutes: int
    verified_hours: float


class LedgerEntryRead(TeamHoursEntryRead, kw_only=True):
    """An entry of a volunteer's ledger, with what its corrections make of it, wherever they are
    listed (on this page or another)."""

    balance_minutes: Annotated[
        int | None,
        msgspec.Meta(description="an entry with verified corrections: its minutes after them; else null"),
    ] = None
    corrects_service_date: Annotated[
        date | None, msgspec.Meta(description="a correction: the service date of the entry it corrects; else null")
    ] = None


class VolunteerLedgerRead(msgspec.Struct):
    volunteer: HoursVolunteerBrief
    team: HoursTeamBrief
    items: Annotated[list[LedgerEntryRead], msgspec.Meta(description="a page of this team's entries, newest first")]
    next_before: Annotated[
        uuid.UUID | None,
        msgspec.Meta(description="pass as ?before= for the next (older) page; null on the last page"),
    ]
    team_totals: Annotated[TeamMinutesRead, msgspec.Meta(description="over all the volunteer's entries in the team")]
    totals: Annotated[HoursTotalsRead, msgspec.Meta(description="over every team, with the milestone level")]
