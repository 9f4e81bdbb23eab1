"""Shaping branches for the API, in the caller's language."""

from __future__ import annotations

from datetime import date, datetime

import msgspec
from babel.dates import format_skeleton

from backend.core import clock
from backend.core.i18n import CITY_TZ, babel_locale, format_interval, get_locale, pick
from backend.events.api import EventBrief
from backend.libraries import holidays, hours
from backend.libraries.queries import BranchDetail, FoundBranch, Occupancy, from_mask
from backend.libraries.schemas import (
    BranchListItem,
    BranchRead,
    DayHoursRead,
    HolidayRulesIn,
    IntervalOut,
    OccupancyRead,
    RoomRead,
    StatusRead,
)


def status_read(status: hours.Status, at: datetime) -> StatusRead:
    """The status at ``at``, in words relative to the reader's today (a date when ``at`` is another day)."""
    since, until = status.current or (None, None)
    return StatusRead(
        is_open=status.is_open,
        open_since=clock.utc(since),
        open_until=clock.utc(until),
        next_change=clock.utc(status.next_change),
        text=hours.describe_next_change(status, at, get_locale(), today=clock.city_today()),
    )


def occupancy_read(occupancy: Occupancy) -> OccupancyRead:
    return OccupancyRead(
        known=occupancy.known,
        free_seats=occupancy.free_seats,
        total_seats=occupancy.total,
        reported_at=occupancy.reported_at,
    )


def list_item(found: FoundBranch, at: datetime) -> BranchListItem:
    row = found.row
    return BranchListItem(
        id=row["id"],
        name=pick(row["name"])[0],
        address=pick(row["address"])[0],
        latitude=row["latitude"],
        longitude=row["longitude"],
        distance_m=found.distance_m,
        services=from_mask(row["services_mask"]),
        status=status_read(found.status, at),
        occupancy=occupancy_read(found.occupancy),
    )


def _day(
    schedule: hours.Schedule, day_intervals: tuple[hours.Interval, ...], day: date, kind: holidays.DayKind
) -> DayHoursRead:
    exception = schedule.exceptions.get(day)
    return DayHoursRead(
        date=day,
        weekday=format_skeleton(
            "MMMEd", datetime(day.year, day.month, day.day, 12, tzinfo=CITY_TZ), locale=babel_locale()
        ),
        kind=kind.value,
        holiday=holidays.holiday_name(day) if kind is holidays.DayKind.public_holiday else None,
        intervals=[
            IntervalOut(opens=i.opens.strftime("%H:%M"), closes=i.closes.strftime("%H:%M")) for i in day_intervals
        ],
        note=pick(exception.note)[0] or None if exception is not None else None,
    )


def branch_read(detail: BranchDetail, at: datetime) -> BranchRead:
    item = list_item(detail.found, at)
    row = detail.found.row
    today = at.astimezone(CITY_TZ).date()
    return BranchRead(
        **msgspec.structs.asdict(item),
        organisation_id=row["organisation"],
        venue_id=row["venue"],
        contact_phone=row["contact_phone"],
        e_reading_seats=row["e_reading_seats"],
        holiday_rules=msgspec.convert(row["holiday_rules"], HolidayRulesIn),
        week=[
            _day(detail.schedule, intervals, day, kind) for day, intervals, kind in hours.week(detail.schedule, today)
        ],
        rooms=[
            RoomRead(
                id=room["id"],
                name=pick(room["name"])[0],
                seats=room["seats"],
                own_hours=room["weekly_hours"] is not None,
                status=status_read(status, at),
            )
            for room, status in detail.rooms
        ],
        upcoming_events=[
            EventBrief(
                id=e.id,
                title=pick(e.title)[0],
                starts_at=e.starts_at,
                ends_at=e.ends_at,
                when=format_interval(e.starts_at, e.ends_at),
                venue_name=pick(row["name"])[0],
                status=e.status,  # type: ignore[arg-type]  # events.api types it str; always "published"
            )
            for e in detail.upcoming
        ],
    )
