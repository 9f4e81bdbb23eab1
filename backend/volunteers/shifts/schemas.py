"""Request and response bodies of shifts, sign-ups and attendance."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

from backend.core.i18n import LocaleCode
from backend.places.api import AimIn, AimRead

ShiftStatusCode = Literal["scheduled", "cancelled"]
SignupStatusCode = Literal["signed_up", "cancelled", "attended", "no_show"]
HoursStatusCode = Literal["pending", "verified", "rejected", "withdrawn"]

Latitude = Annotated[float, msgspec.Meta(ge=-90, le=90, examples=[31.2946])]
Longitude = Annotated[float, msgspec.Meta(ge=-180, le=180, examples=[120.6285])]
ShiftTime = Annotated[
    datetime,
    msgspec.Meta(
        description="with an offset, or city time (Asia/Shanghai) without one", examples=["2026-12-05T19:00:00+08:00"]
    ),
]
ShiftTitle = Annotated[
    dict[LocaleCode, Annotated[str, msgspec.Meta(min_length=1, max_length=120)]],
    msgspec.Meta(
        min_length=1,
        description="title per locale; readers get their own, else the next in their language's fallback chain",
        examples=[{"zh-Hans": "南园夜间巡逻", "en": "Nanyuan night patrol"}],
    ),
]


class ShiftCreate(msgspec.Struct, forbid_unknown_fields=True):
    title: ShiftTitle
    starts_at: ShiftTime
    ends_at: ShiftTime
    capacity: Annotated[int, msgspec.Meta(ge=1, le=500, examples=[6])]
    route_id: uuid.UUID | None = None
    min_attendance_percent: Annotated[
        int,
        msgspec.Meta(
            ge=1, le=100, description="share of the shift a volunteer must be there for hours to count", examples=[60]
        ),
    ] = 60
    latitude: Latitude | None = None  # the meeting point (GCJ-02), when it is not the route
    longitude: Longitude | None = None
    check_in_radius_m: (
        Annotated[
            int,
            msgspec.Meta(
                ge=20,
                le=5000,
                description="check-in only this close to the meeting point or a checkpoint",
                examples=[300],
            ),
        ]
        | None
    ) = None
    audience: Annotated[
        AimIn | None,
        msgspec.Meta(description="optionally narrower than the team: who may sign up, by where they live"),
    ] = None


class TeamBrief(msgspec.Struct):
    id: uuid.UUID
    name: str


class RouteBrief(msgspec.Struct):
    id: uuid.UUID
    name: str
    checkpoint_count: int


class MySignup(msgspec.Struct):
    id: uuid.UUID
    status: SignupStatusCode
    checked_in_at: datetime | None
    checked_out_at: datetime | None


class ShiftRead(msgspec.Struct):
    id: uuid.UUID
    team: TeamBrief
    title: str
    title_locale: Annotated[str | None, msgspec.Meta(description="the locale the title is in")]
    title_converted: Annotated[
        bool, msgspec.Meta(description="the title was converted into this locale's script (Simplified → Traditional)")
    ]
    starts_at: datetime
    ends_at: datetime
    capacity: int
    seats_left: int
    route: RouteBrief | None
    min_attendance_percent: int
    latitude: float | None
    longitude: float | None
    check_in_radius_m: int | None
    status: ShiftStatusCode
    my_signup: Annotated[MySignup | None, msgspec.Meta(description="the caller's own place, when logged in")]
    audience: Annotated[AimRead, msgspec.Meta(description="who may sign up, by where they live")]


class SignupRead(msgspec.Struct):
    id: uuid.UUID
    shift_id: uuid.UUID
    status: SignupStatusCode
    created_at: datetime
    cancelled_at: datetime | None
    checked_in_at: datetime | None
    checked_out_at: datetime | None


class CheckInCreate(msgspec.Struct, forbid_unknown_fields=True):
    """Where the volunteer is: checked against the shift's radius, never stored."""

    latitude: Latitude | None = None
    longitude: Longitude | None = None


class CheckInRead(msgspec.Struct):
    signup_id: uuid.UUID
    shift_id: uuid.UUID
    checked_in_at: datetime
    already_checked_in: bool


class CheckpointBrief(msgspec.Struct):
    position: int
    name: str


class ScanRead(msgspec.Struct):
    checkpoint_id: uuid.UUID
    position: int
    name: str
    scanned_at: datetime
    already_scanned: bool
    next_checkpoint: Annotated[
        CheckpointBrief | None, msgspec.Meta(description="null once the last checkpoint is scanned")
    ]
    missed: Annotated[list[int], msgspec.Meta(description="positions skipped so far")]


class HoursBrief(msgspec.Struct):
    id: uuid.UUID
    status: HoursStatusCode
    minutes: int


class CheckOutRead(msgspec.Struct):
    signup_id: uuid.UUID
    shift_id: uuid.UUID
    status: SignupStatusCode
    checked_in_at: datetime
    checked_out_at: datetime
    closed_automatically: bool
    minutes_in_shift: Annotated[int, msgspec.Meta(description="whole minutes present inside the shift window")]
    required_minutes: Annotated[int, msgspec.Meta(description="the least that counts (the shift's attendance rule)")]
    credited_minutes: int
    hours_entry: Annotated[
        HoursBrief | None, msgspec.Meta(description="pending until a coordinator verifies it; null below the rule")
    ]
    flags: list[str]


class ScanBrief(msgspec.Struct):
    position: int
    name: str
    scanned_at: datetime


class SheetRow(msgspec.Struct):
    signup_id: uuid.UUID
    display_name: str
    phone: Annotated[str | None, msgspec.Meta(description="masked, e.g. 138****5678")]
    status: SignupStatusCode
    created_at: datetime
    checked_in_at: datetime | None
    checked_out_at: datetime | None
    closed_automatically: bool
    flags: list[str]
    scans: list[ScanBrief]
    credited_minutes: Annotated[int | None, msgspec.Meta(description="null until checked out")]
    hours_entry: HoursBrief | None


class AttendanceSheet(msgspec.Struct):
    shift: ShiftRead
    counts: Annotated[dict[str, int], msgspec.Meta(description="sign-ups by status")]
    signups: list[SheetRow]


# --- copying a week of shifts ---------------------------------------------------------------------

WeekDay = Annotated[
    date,
    msgspec.Meta(description="any day of the week (Monday to Sunday, city time)", examples=["2026-12-07"]),
]


class WeekCopy(msgspec.Struct, forbid_unknown_fields=True):
    from_week: WeekDay
    to_week: WeekDay
    preview: Annotated[bool, msgspec.Meta(description="true: say what would be made, change nothing")] = False


class CopiedShift(msgspec.Struct):
    source_id: Annotated[uuid.UUID, msgspec.Meta(description="the shift of the first week")]
    shift_id: Annotated[uuid.UUID | None, msgspec.Meta(description="the new shift; null in a preview")]
    title: str
    starts_at: datetime
    ends_at: datetime


class SkippedShift(msgspec.Struct):
    source_id: uuid.UUID
    title: str
    starts_at: Annotated[datetime, msgspec.Meta(description="when the copy would have started")]
    reason: Annotated[
        Literal["already_there", "in_the_past"],
        msgspec.Meta(
            description="a shift with this title and these times is planned already; or it would start in the past"
        ),
    ]


class WeekCopied(msgspec.Struct):
    from_week: Annotated[date, msgspec.Meta(description="the Monday of the week copied")]
    to_week: Annotated[date, msgspec.Meta(description="the Monday of the week copied to")]
    preview: bool
    created: list[CopiedShift]
    skipped: list[SkippedShift]
