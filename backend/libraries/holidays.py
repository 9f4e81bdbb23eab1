"""China's public holidays and make-up working days (调休), from the ``chinesecalendar`` package.

The State Council publishes each year's schedule around November; the package follows within
days, so keeping up is a dependency bump (``uv lock --upgrade-package chinesecalendar``) once a
year. For a year the installed package does not know yet, days fall back to the plain rule
(Saturday and Sunday off) and a warning is logged once for that year, so the gap shows in the
logs instead of failing a request.
"""

from __future__ import annotations

from datetime import date
from enum import Enum
from functools import cache, lru_cache

import chinese_calendar
import structlog

log = structlog.get_logger("linli.holidays")

_warned_years: set[int] = set()


class DayKind(str, Enum):
    workday = "workday"
    weekend = "weekend"
    public_holiday = "public_holiday"
    makeup_workday = "makeup_workday"


def _detail(day: date) -> tuple[bool, str | None] | None:
    """The package's (day off, holiday name), or None for a year it has no data for."""
    try:
        detail: tuple[bool, str | None] = chinese_calendar.get_holiday_detail(day)  # an untyped package
    except NotImplementedError:
        if day.year not in _warned_years:
            _warned_years.add(day.year)
            first, last = data_years()
            log.warning("holiday_data_missing", year=day.year, data_from=first, data_to=last)
        return None
    return detail


# The package scans its whole table for the covered years on every call; a branch list asks
# about the same few weeks for every branch.
@lru_cache(maxsize=4096)
def day_kind(day: date) -> DayKind:
    """A holiday off, a Saturday or Sunday that is worked (调休上班), a weekend, or a workday."""
    weekend = day.weekday() >= 5
    detail = _detail(day)
    if detail is not None:
        day_off, name = detail
        if day_off and name:
            return DayKind.public_holiday
        if weekend and not day_off:
            return DayKind.makeup_workday
    return DayKind.weekend if weekend else DayKind.workday


def holiday_name(day: date) -> str | None:
    """The English holiday name for a holiday off or for the make-up working day it pays for."""
    if day_kind(day) not in (DayKind.public_holiday, DayKind.makeup_workday):
        return None
    detail = _detail(day)
    return detail[1] if detail else None


@cache
def data_years() -> tuple[int, int]:
    """First and last year the installed package has the official schedule for."""
    known = chinese_calendar.holidays.keys()
    return min(known).year, max(known).year
