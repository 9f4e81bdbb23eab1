"""Occurrences of recurring programmes (天天有 daily, 周周演 weekly, 月月新 monthly), pure rules."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from backend.events.catalogue.recurrence import MAX_OCCURRENCES, Rule, occurrences

SUZHOU = ZoneInfo("Asia/Shanghai")
TWO_HOURS = timedelta(hours=2)


def local(year: int, month: int, day: int, hour: int = 14, minute: int = 0) -> datetime:
    """A Suzhou wall-clock moment, handed to the rules in UTC as the API stores it."""
    return datetime(year, month, day, hour, minute, tzinfo=SUZHOU).astimezone(UTC)


def local_starts(slots: list[tuple[datetime, datetime]]) -> list[datetime]:
    return [start.astimezone(SUZHOU) for start, _ in slots]


def local_dates(slots: list[tuple[datetime, datetime]]) -> list[date]:
    return [start.date() for start in local_starts(slots)]


def test_daily_with_a_count() -> None:
    slots = occurrences(Rule(freq="daily", count=5), local(2026, 12, 1, 7, 30), TWO_HOURS)
    assert local_dates(slots) == [date(2026, 12, d) for d in (1, 2, 3, 4, 5)]


def test_daily_every_second_day() -> None:
    slots = occurrences(Rule(freq="daily", interval=2, count=4), local(2026, 12, 30), TWO_HOURS)
    assert local_dates(slots) == [date(2026, 12, 30), date(2027, 1, 1), date(2027, 1, 3), date(2027, 1, 5)]


def test_weekly_on_monday_wednesday_friday_from_a_wednesday() -> None:
    start = local(2026, 12, 2, 19, 0)
    assert start.astimezone(SUZHOU).weekday() == 2  # a Wednesday
    slots = occurrences(Rule(freq="weekly", weekdays=(0, 2, 4), count=6), start, TWO_HOURS)
    assert local_dates(slots) == [
        date(2026, 12, 2),  # the Wednesday itself comes first; the Monday before it is not included
        date(2026, 12, 4),
        date(2026, 12, 7),
        date(2026, 12, 9),
        date(2026, 12, 11),
        date(2026, 12, 14),
    ]
    assert [d.weekday() for d in local_dates(slots)] == [2, 4, 0, 2, 4, 0]


def test_weekly_weekdays_are_taken_in_order_whatever_order_they_are_given() -> None:
    slots = occurrences(Rule(freq="weekly", weekdays=(4, 0, 2, 2), count=3), local(2026, 12, 2), TWO_HOURS)
    assert local_dates(slots) == [date(2026, 12, 2), date(2026, 12, 4), date(2026, 12, 7)]


def test_weekly_without_weekdays_uses_the_weekday_of_the_start() -> None:
    start = local(2026, 12, 5, 14, 0)  # a Saturday: 周周演
    slots = occurrences(Rule(freq="weekly", count=4), start, TWO_HOURS)
    assert local_dates(slots) == [date(2026, 12, 5), date(2026, 12, 12), date(2026, 12, 19), date(2026, 12, 26)]
    assert {d.weekday() for d in local_dates(slots)} == {5}


def test_weekly_every_other_week() -> None:
    slots = occurrences(Rule(freq="weekly", interval=2, count=3), local(2026, 12, 5), TWO_HOURS)
    assert local_dates(slots) == [date(2026, 12, 5), date(2026, 12, 19), date(2027, 1, 2)]


def test_monthly_on_the_31st_skips_months_without_one() -> None:
    slots = occurrences(Rule(freq="monthly", monthday=31, count=5), local(2027, 1, 31, 10, 0), TWO_HOURS)
    assert local_dates(slots) == [
        date(2027, 1, 31),
        date(2027, 3, 31),
        date(2027, 5, 31),
        date(2027, 7, 31),
        date(2027, 8, 31),
    ]


def test_monthly_without_a_day_uses_the_day_of_the_start() -> None:
    slots = occurrences(Rule(freq="monthly", count=3), local(2026, 11, 15), TWO_HOURS)
    assert local_dates(slots) == [date(2026, 11, 15), date(2026, 12, 15), date(2027, 1, 15)]


def test_monthly_on_a_later_day_than_the_start_begins_that_month() -> None:
    slots = occurrences(Rule(freq="monthly", monthday=20, count=2), local(2026, 11, 15), TWO_HOURS)
    assert local_dates(slots) == [date(2026, 11, 20), date(2026, 12, 20)]


def test_until_is_an_inclusive_local_date() -> None:
    # 07:00 in Suzhou is 23:00 UTC of the day before: "until" must be read on the Suzhou date.
    start = local(2026, 12, 1, 7, 0)
    assert start.date() == date(2026, 11, 30)
    slots = occurrences(Rule(freq="daily", until=date(2026, 12, 4)), start, TWO_HOURS)
    assert local_dates(slots) == [date(2026, 12, d) for d in (1, 2, 3, 4)]


def test_until_and_count_whichever_comes_first() -> None:
    start = local(2026, 12, 1)
    assert len(occurrences(Rule(freq="daily", until=date(2026, 12, 10), count=3), start, TWO_HOURS)) == 3
    assert len(occurrences(Rule(freq="daily", until=date(2026, 12, 3), count=30), start, TWO_HOURS)) == 3


def test_until_before_the_start_gives_nothing() -> None:
    assert occurrences(Rule(freq="daily", until=date(2026, 11, 30)), local(2026, 12, 1), TWO_HOURS) == []


@pytest.mark.parametrize("count", [MAX_OCCURRENCES + 1, 10_000, None])
def test_the_count_is_capped(count: int | None) -> None:
    slots = occurrences(Rule(freq="daily", count=count), local(2026, 12, 1), TWO_HOURS)
    assert len(slots) == MAX_OCCURRENCES


def test_a_long_until_is_capped_too() -> None:
    slots = occurrences(Rule(freq="daily", until=date(2030, 1, 1)), local(2026, 12, 1), TWO_HOURS)
    assert len(slots) == MAX_OCCURRENCES


@pytest.mark.parametrize(
    "rule",
    [
        Rule(freq="daily", count=40),
        Rule(freq="weekly", weekdays=(1, 5), count=40),
        Rule(freq="monthly", monthday=30, count=14),
    ],
    ids=["daily", "weekly", "monthly"],
)
def test_every_occurrence_keeps_the_suzhou_wall_clock_time_and_the_duration(rule: Rule) -> None:
    start = local(2026, 12, 1, 19, 30)  # an evening: the UTC date (11:30Z) is the same day
    duration = timedelta(hours=1, minutes=45)
    slots = occurrences(rule, start, duration)
    assert len(slots) == rule.count
    for begin, end in slots:
        assert begin.tzinfo is not None and end.tzinfo is not None
        assert begin.astimezone(SUZHOU).time() == time(19, 30)
        assert end - begin == duration
        assert end.astimezone(SUZHOU).time() == time(21, 15)


def test_an_early_morning_start_stays_early_morning_across_the_utc_date_line() -> None:
    start = local(2026, 12, 1, 6, 30)  # 22:30 UTC the day before: 天天有 morning tai chi
    slots = occurrences(Rule(freq="weekly", weekdays=(0, 1), count=4), start, timedelta(hours=1))
    assert local_dates(slots) == [date(2026, 12, 1), date(2026, 12, 7), date(2026, 12, 8), date(2026, 12, 14)]
    assert all(s.time() == time(6, 30) for s in local_starts(slots))


def test_the_first_occurrence_is_the_start_itself_and_results_are_in_the_callers_zone() -> None:
    start = local(2026, 12, 1, 14, 0)
    slots = occurrences(Rule(freq="daily", count=2), start, TWO_HOURS)
    assert slots[0] == (start, start + TWO_HOURS)
    assert all(s.utcoffset() == timedelta(0) for s, _ in slots)  # given in UTC, returned in UTC
    in_suzhou = occurrences(Rule(freq="daily", count=2), start.astimezone(SUZHOU), TWO_HOURS)
    assert [s for s, _ in in_suzhou] == [s for s, _ in slots]


def test_an_unknown_frequency_is_refused() -> None:
    with pytest.raises(ValueError):
        occurrences(Rule(freq="yearly", count=2), local(2026, 12, 1), TWO_HOURS)
