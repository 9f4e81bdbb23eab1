"""The ``from`` and ``to`` of browsing, as people write them: a day (``2026-12-05``, the whole
day in Suzhou), a time (``2026-12-05T19:30``, Suzhou time unless it names an offset), or seconds
since 1970; each within the years every date of the API keeps to."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from backend.core.i18n import CITY_TZ, N_
from backend.core.input_checks import MAX_YEAR, MIN_YEAR

_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$", re.ASCII)
_DAY_PREFIX = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ]|$)", re.ASCII)
_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$", re.ASCII)

IMPOSSIBLE = N_("{value} is not a date in the calendar. Write a day as 2026-12-05, or a time as 2026-12-05T19:30.")
UNREADABLE = N_("Not a day or a time. Write a day as 2026-12-05, or a time as 2026-12-05T19:30.")
OUT_OF_RANGE = N_("Dates must fall between the years {min_year} and {max_year}.")


@dataclass
class MomentProblem(Exception):
    """Why a parameter is not a moment: a message to translate, its code and parameters."""

    message: str
    code: str
    params: dict[str, Any] = field(default_factory=dict)


def parse_moment(text: str, *, end_of_day: bool = False) -> datetime:
    """The moment ``text`` names, aware. A day is its start in Suzhou, or with ``end_of_day`` the
    start of the next day (``to`` is exclusive: ``to=2026-12-05`` takes in all of the 5th)."""
    value = text.strip()
    if _DAY.match(value):
        day = _real_day(value)
        if not MIN_YEAR <= day.year <= MAX_YEAR:
            raise _out_of_range()
        moment = datetime.combine(day + timedelta(days=1) if end_of_day else day, time(), tzinfo=CITY_TZ)
    elif _NUMBER.match(value):
        seconds = float(value)
        if not _MIN_SECONDS <= seconds < _MAX_SECONDS:
            raise _out_of_range()
        moment = datetime.fromtimestamp(seconds, tz=UTC)
    else:
        moment = _time_of_day(value)
    if not MIN_YEAR <= moment.astimezone(UTC).year <= MAX_YEAR:
        raise _out_of_range()
    return moment


def _real_day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise MomentProblem(IMPOSSIBLE, "impossible_date", {"value": value}) from None


def _time_of_day(value: str) -> datetime:
    prefix = _DAY_PREFIX.match(value)
    if prefix is not None:
        _real_day(value[:10])  # 2026-02-30T10:00: say that the day is the problem
        if not MIN_YEAR <= int(prefix.group(1)) <= MAX_YEAR:
            raise _out_of_range()
    try:
        moment = datetime.fromisoformat(value)  # also 20261205T1930 and 2026-W49-6
    except ValueError:
        raise MomentProblem(UNREADABLE, "invalid_date", {"value": value}) from None
    if not MIN_YEAR <= moment.year <= MAX_YEAR:  # before any conversion can overflow
        raise _out_of_range()
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=CITY_TZ)


def _out_of_range() -> MomentProblem:
    return MomentProblem(OUT_OF_RANGE, "date_out_of_range", {"min_year": MIN_YEAR, "max_year": MAX_YEAR})


_MIN_SECONDS = (datetime(MIN_YEAR, 1, 1, tzinfo=UTC) - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds()
_MAX_SECONDS = (datetime(MAX_YEAR + 1, 1, 1, tzinfo=UTC) - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds()
