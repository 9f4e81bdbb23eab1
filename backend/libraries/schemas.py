"""Request and response bodies of the library branches API."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

from backend.core.i18n import LocaleCode
from backend.events.api import EventBrief

ServiceCode = Literal[
    "lending", "e_reading", "children", "self_service_24h", "accessible_reading", "online_loan_pickup"
]
ClockTime = Annotated[str, msgspec.Meta(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", examples=["09:00"])]
Text = Annotated[
    dict[LocaleCode, Annotated[str, msgspec.Meta(max_length=200)]],
    msgspec.Meta(examples=[{"zh-Hans": "苏州图书馆双塔分馆", "en": "Suzhou Library, Shuangta Branch"}]),
]


class IntervalIn(msgspec.Struct, forbid_unknown_fields=True):
    """Open from ``opens`` until ``closes``; a ``closes`` at or before ``opens`` runs past
    midnight, and 00:00–00:00 is a whole day."""

    opens: ClockTime
    closes: ClockTime


WeeklyHoursIn = Annotated[
    dict[Annotated[int, msgspec.Meta(ge=0, le=6)], Annotated[list[IntervalIn], msgspec.Meta(max_length=6)]],
    msgspec.Meta(
        description="Monday = 0 … Sunday = 6; a missing day is closed",
        examples=[{"1": [{"opens": "09:00", "closes": "12:00"}, {"opens": "13:30", "closes": "20:00"}]}],
    ),
]


class HolidayRulesIn(msgspec.Struct, forbid_unknown_fields=True):
    monday_closed_unless_holiday: bool = False
    public_holiday: Literal["closed", "sunday_hours", "regular"] = "sunday_hours"
    makeup_workday: Literal["regular", "weekday_hours"] = "regular"


class BranchCreate(msgspec.Struct, forbid_unknown_fields=True):
    organisation_id: uuid.UUID
    venue_id: uuid.UUID
    name: Text
    weekly_hours: WeeklyHoursIn
    address: Text = {}
    district_id: uuid.UUID | None = None
    community_id: uuid.UUID | None = None
    contact_phone: Annotated[str, msgspec.Meta(max_length=32, pattern=r"^[0-9+\- ]*$")] = ""
    services: Annotated[list[ServiceCode], msgspec.Meta(max_length=6)] = []
    e_reading_seats: Annotated[int, msgspec.Meta(ge=0, le=10_000)] = 0
    holiday_rules: HolidayRulesIn = msgspec.field(default_factory=HolidayRulesIn)


class BranchUpdate(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    name: Text | msgspec.UnsetType = msgspec.UNSET
    address: Text | msgspec.UnsetType = msgspec.UNSET
    contact_phone: Annotated[str, msgspec.Meta(max_length=32, pattern=r"^[0-9+\- ]*$")] | msgspec.UnsetType = (
        msgspec.UNSET
    )
    services: Annotated[list[ServiceCode], msgspec.Meta(max_length=6)] | msgspec.UnsetType = msgspec.UNSET
    e_reading_seats: Annotated[int, msgspec.Meta(ge=0, le=10_000)] | msgspec.UnsetType = msgspec.UNSET
    weekly_hours: WeeklyHoursIn | msgspec.UnsetType = msgspec.UNSET
    holiday_rules: HolidayRulesIn | msgspec.UnsetType = msgspec.UNSET


class ExceptionPut(msgspec.Struct, forbid_unknown_fields=True):
    """Closed that day, or open only during ``intervals``."""

    closed: bool = False
    intervals: Annotated[list[IntervalIn], msgspec.Meta(max_length=6)] = []
    note: Text = {}


class OccupancyPut(msgspec.Struct, forbid_unknown_fields=True):
    free_seats: Annotated[int, msgspec.Meta(ge=0, le=10_000, examples=[12])]


class RoomCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: Text
    seats: Annotated[int, msgspec.Meta(ge=0, le=10_000)] = 0
    weekly_hours: WeeklyHoursIn | None = None


class IntervalOut(msgspec.Struct):
    opens: str
    closes: str


class StatusRead(msgspec.Struct):
    is_open: bool
    open_since: Annotated[
        datetime | None,
        msgspec.Meta(
            description="when the open span began; null when closed, or open for longer than the two weeks looked at",
            examples=["2026-10-01T09:00:00+08:00"],
        ),
    ]
    open_until: Annotated[
        datetime | None,
        msgspec.Meta(
            description="when it closes; null when closed, or open beyond the next two weeks (24 hours)",
            examples=["2026-10-01T17:00:00+08:00"],
        ),
    ]
    next_change: Annotated[
        datetime | None,
        msgspec.Meta(
            description="the next opening or closing within two weeks", examples=["2026-10-01T17:00:00+08:00"]
        ),
    ]
    text: Annotated[
        str,
        msgspec.Meta(
            description="the next change in words: relative (today, tomorrow) when `at` is today, else with its date",
            examples=["明天 9:00 开门", "Closes today at 5:00 PM", "Closes on Thu, Oct 1 at 5:00 PM"],
        ),
    ]


class OccupancyRead(msgspec.Struct):
    known: Annotated[bool, msgspec.Meta(description="false when staff have not reported recently")]
    free_seats: int | None
    total_seats: int
    reported_at: datetime | None


class BranchListItem(msgspec.Struct):
    id: uuid.UUID
    name: str
    address: str
    latitude: float
    longitude: float
    distance_m: int | None
    services: list[ServiceCode]
    status: StatusRead
    occupancy: OccupancyRead


class DayHoursRead(msgspec.Struct):
    date: date
    weekday: str
    kind: Literal["workday", "weekend", "public_holiday", "makeup_workday"]
    holiday: str | None
    intervals: list[IntervalOut]
    note: str | None


class RoomRead(msgspec.Struct):
    id: uuid.UUID
    name: str
    seats: int
    own_hours: bool
    status: StatusRead


class BranchRead(BranchListItem, kw_only=True):
    organisation_id: uuid.UUID
    venue_id: uuid.UUID
    contact_phone: str
    e_reading_seats: int
    holiday_rules: HolidayRulesIn
    week: list[DayHoursRead]
    rooms: list[RoomRead]
    upcoming_events: list[EventBrief]
