"""Opening hours: a weekly template, date exceptions and China's holiday rules, for any moment.

Everything is computed in the city's time (Asia/Shanghai). An interval is half-open, open at its
opening minute and closed at its closing minute; one whose closing time is not after its opening
time passes midnight and belongs to the day it opens on. Pure functions, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Literal

from babel.dates import format_skeleton, format_time

from backend.core.i18n import CITY_TZ, N_, _, babel_locale, use_locale
from backend.libraries.holidays import DayKind, day_kind

HORIZON = timedelta(days=14)
MONDAY, FRIDAY, SUNDAY = 0, 4, 6
ONE_DAY = timedelta(days=1)

_OPENS_TODAY = N_("Opens today at {time}")
_OPENS_TOMORROW = N_("Opens tomorrow at {time}")
_OPENS_ON = N_("Opens on {day} at {time}")
_CLOSES_TODAY = N_("Closes today at {time}")
_CLOSES_TOMORROW = N_("Closes tomorrow at {time}")
_CLOSES_ON = N_("Closes on {day} at {time}")
_CLOSES_AT_MIDNIGHT = N_("Closes at midnight")
_OPEN_24_HOURS = N_("Open 24 hours")
_CLOSED_TWO_WEEKS = N_("Closed for the next two weeks")


@dataclass(frozen=True)
class Interval:
    """Open from ``opens`` until ``closes``; ``closes <= opens`` passes midnight, 00:00–00:00 is 24 hours."""

    opens: time
    closes: time

    def __post_init__(self) -> None:
        if self.opens.tzinfo is not None or self.closes.tzinfo is not None:
            raise ValueError("opening hours are wall-clock times in the city, without a time zone")

    def span(self, day: date) -> tuple[datetime, datetime]:
        """The aware start and end of this interval when it opens on ``day``."""
        end_day = day + ONE_DAY if self.closes <= self.opens else day
        return datetime.combine(day, self.opens, CITY_TZ), datetime.combine(end_day, self.closes, CITY_TZ)


WeeklyHours = Mapping[int, Sequence[Interval]]


@dataclass(frozen=True)
class DateException:
    """A closure, or special hours replacing the template for that date; ``closed`` wins."""

    day: date
    closed: bool
    intervals: tuple[Interval, ...] = ()
    note: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "intervals", tuple(self.intervals))


@dataclass(frozen=True)
class HolidayRules:
    # "Closed on Mondays unless it is a public holiday": a Monday holiday follows ``public_holiday``.
    monday_closed_unless_holiday: bool = False
    # What a public holiday opens with: nothing, Sunday's template, or its own weekday's template.
    public_holiday: Literal["closed", "sunday_hours", "regular"] = "sunday_hours"
    # A worked Saturday or Sunday: its own template, or Monday-to-Friday hours (Friday's template).
    makeup_workday: Literal["regular", "weekday_hours"] = "regular"


@dataclass(frozen=True)
class Schedule:
    weekly: WeeklyHours
    exceptions: Mapping[date, DateException] = field(default_factory=dict)
    rules: HolidayRules = HolidayRules()


@dataclass(frozen=True)
class Status:
    is_open: bool
    # The open span containing the moment, adjacent intervals merged. An end that lies beyond
    # what was looked at (a branch open through the whole look-ahead, a 24-hour room) is None:
    # the span's real edge is unknown, and a made-up date would be read as a real one.
    current: tuple[datetime | None, datetime | None] | None
    # When it next opens (closed) or closes (open); None when that is beyond the look-ahead.
    next_change: datetime | None


def _template(schedule: Schedule, weekday: int) -> tuple[Interval, ...]:
    return tuple(sorted(schedule.weekly.get(weekday) or (), key=lambda interval: interval.opens))


def intervals_on(schedule: Schedule, day: date) -> tuple[Interval, ...]:
    """A date exception, else the holiday or make-up rule, else the Monday rule, else the template."""
    exception = schedule.exceptions.get(day)
    if exception is not None:
        return () if exception.closed else tuple(sorted(exception.intervals, key=lambda i: i.opens))
    rules = schedule.rules
    kind = day_kind(day)
    if kind is DayKind.public_holiday:
        if rules.public_holiday == "closed":
            return ()
        return _template(schedule, SUNDAY if rules.public_holiday == "sunday_hours" else day.weekday())
    if kind is DayKind.makeup_workday and rules.makeup_workday == "weekday_hours":
        return _template(schedule, FRIDAY)
    if day.weekday() == MONDAY and rules.monday_closed_unless_holiday:
        return ()
    return _template(schedule, day.weekday())


def _open_spans(schedule: Schedule, first: date, last: date) -> list[tuple[datetime, datetime]]:
    """Open spans of the intervals opening from ``first`` to ``last``, overlapping or touching ones merged."""
    spans = sorted(
        interval.span(first + timedelta(days=offset))
        for offset in range((last - first).days + 1)
        for interval in intervals_on(schedule, first + timedelta(days=offset))
    )
    merged: list[tuple[datetime, datetime]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def status_at(schedule: Schedule, moment: datetime) -> Status:
    """Open or closed at an aware moment, the open span, and the next change within two weeks."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("status_at needs an aware moment")
    local = moment.astimezone(CITY_TZ)
    limit = local + HORIZON
    # One more day back: an interval opening the day before may pass midnight into the window.
    first = (local - HORIZON).date() - ONE_DAY
    looked_from = datetime.combine(first, time(0), CITY_TZ)
    for start, end in _open_spans(schedule, first, limit.date()):
        if end <= local:
            continue
        if start <= local:
            since = start if start > looked_from else None
            until = end if end <= limit else None
            return Status(True, (since, until), until)
        return Status(False, None, start if start <= limit else None)
    return Status(False, None, None)


def week(schedule: Schedule, start: date) -> list[tuple[date, tuple[Interval, ...], DayKind]]:
    """Seven days from ``start``: each date's effective hours and what kind of day it is."""
    days = [start + timedelta(days=offset) for offset in range(7)]
    return [(day, intervals_on(schedule, day), day_kind(day)) for day in days]


def describe_next_change(status: Status, at: datetime, locale: str, *, today: date | None = None) -> str:
    """The next change in the caller's words: "明天 9:00 开门", "Closes today at 9:00 PM".

    "Today" and "tomorrow" are the reader's: when ``at`` falls on another day than ``today`` (a
    resident planning ahead), the change is named by its date ("Closes on Thu, Oct 1 at 5:00 PM").
    Without ``today``, ``at``'s day is taken as today."""
    with use_locale(locale):
        if status.next_change is None:
            return _(_OPEN_24_HOURS if status.is_open else _CLOSED_TWO_WEEKS)
        change = status.next_change.astimezone(CITY_TZ)
        asked_day = at.astimezone(CITY_TZ).date()
        days_ahead = (change.date() - asked_day).days
        if today is not None and today != asked_day:
            message = _CLOSES_ON if status.is_open else _OPENS_ON
        elif status.is_open and days_ahead == 1 and change.time() == time(0):
            return _(_CLOSES_AT_MIDNIGHT)
        elif days_ahead <= 0:
            message = _CLOSES_TODAY if status.is_open else _OPENS_TODAY
        elif days_ahead == 1:
            message = _CLOSES_TOMORROW if status.is_open else _OPENS_TOMORROW
        else:
            message = _CLOSES_ON if status.is_open else _OPENS_ON
        loc = babel_locale(locale)
        return _(message).format(
            time=format_time(change, "short", tzinfo=CITY_TZ, locale=loc),
            day=format_skeleton("MMMEd", change, tzinfo=CITY_TZ, locale=loc),
        )
