"""Occurrences of a recurring programme, computed in the city's local time.

"Every Saturday at 14:00" means 14:00 in Suzhou on each date, so dates are stepped in local
time and each start converted to UTC on its own.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from backend.core.i18n import CITY_TZ

MAX_OCCURRENCES = 366


@dataclass(frozen=True)
class Rule:
    freq: str  # daily | weekly | monthly
    interval: int = 1
    weekdays: tuple[int, ...] = ()  # Monday = 0, for weekly
    monthday: int | None = None  # for monthly; a month without that day is skipped
    until: date | None = None  # inclusive, local date
    count: int | None = None


def occurrences(rule: Rule, first_start: datetime, duration: timedelta) -> list[tuple[datetime, datetime]]:
    """(start, end) pairs in UTC, the first one on or after ``first_start``'s local date."""
    local = first_start.astimezone(CITY_TZ)
    limit = min(rule.count or MAX_OCCURRENCES, MAX_OCCURRENCES)
    starts: list[datetime] = []
    for day in _dates(rule, local.date()):
        if rule.until is not None and day > rule.until:
            break
        start = datetime.combine(day, local.timetz().replace(tzinfo=None), tzinfo=CITY_TZ)
        starts.append(start.astimezone(first_start.tzinfo))
        if len(starts) >= limit:
            break
    return [(start, start + duration) for start in starts]


def _dates(rule: Rule, first: date) -> Iterator[date]:
    if rule.freq == "daily":
        day = first
        while True:
            yield day
            day += timedelta(days=rule.interval)
    elif rule.freq == "weekly":
        weekdays = sorted(set(rule.weekdays)) or [first.weekday()]
        week_start = first - timedelta(days=first.weekday())
        while True:
            for weekday in weekdays:
                day = week_start + timedelta(days=weekday)
                if day >= first:
                    yield day
            week_start += timedelta(weeks=rule.interval)
    elif rule.freq == "monthly":
        monthday = rule.monthday or first.day
        year, month = first.year, first.month
        for _ in range(MAX_OCCURRENCES * rule.interval + 12):
            if monthday <= calendar.monthrange(year, month)[1]:
                day = date(year, month, monthday)
                if day >= first:
                    yield day
            month += rule.interval
            year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    else:
        raise ValueError(f"unknown frequency {rule.freq!r}")
