"""The one clock every domain reads: ``clock.now()``, aware and in UTC.

Tests freeze it with ``clock.frozen(moment)``; the frozen moment is a ContextVar, so it holds for
the test's own task and whatever that task calls (an in-process request included) and never leaks
into another test or another app in the same process.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime
from typing import overload
from zoneinfo import ZoneInfo

CITY_TZ = ZoneInfo("Asia/Shanghai")  # the city's time: what people read and type

_frozen: ContextVar[datetime | None] = ContextVar("linli_frozen_clock", default=None)


def now() -> datetime:
    """This moment, in UTC (or the moment a test froze the clock at)."""
    frozen = _frozen.get()
    return frozen if frozen is not None else datetime.now(UTC)


@overload
def utc(moment: datetime) -> datetime: ...
@overload
def utc(moment: None) -> None: ...
def utc(moment: datetime | None) -> datetime | None:
    """Times in answers are UTC (written with Z), whichever offset they were read or sent with:
    one convention in every answer (what people read is written out in Suzhou time apart)."""
    return moment.astimezone(UTC) if moment is not None else None


def iso(moment: datetime) -> str:
    """A time as text in stored parameters and exports: UTC, written with Z, as in answers."""
    return utc(moment).isoformat().replace("+00:00", "Z")


def city_today() -> date:
    """Today's date in Suzhou, where the city's days begin and end."""
    return now().astimezone(CITY_TZ).date()


@contextmanager
def frozen(moment: datetime) -> Iterator[None]:
    """Stop the clock at ``moment`` (aware) for the current context."""
    if moment.tzinfo is None:
        raise ValueError("the clock is frozen at an aware moment")
    token = _frozen.set(moment.astimezone(UTC))
    try:
        yield
    finally:
        _frozen.reset(token)
