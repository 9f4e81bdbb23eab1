"""Opening hours and China's holiday calendar (pure functions, no database).

Dates are from the official 2026 schedule as the ``chinesecalendar`` package has it; each test
that leans on one asserts its kind first, so a changed calendar fails loudly at the cause.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from structlog.testing import capture_logs

from backend.core.i18n import CITY_TZ, LOCALES
from backend.libraries.holidays import DayKind, data_years, day_kind, holiday_name
from backend.libraries.hours import (
    DateException,
    HolidayRules,
    Interval,
    Schedule,
    Status,
    describe_next_change,
    intervals_on,
    status_at,
    week,
)

NINE_TO_FIVE = Interval(time(9), time(17))
ALL_DAY = Interval(time(0), time(0))
EVERY_DAY = range(7)

# A quiet fortnight of 2026: no holidays, no make-up days.
MON = date(2026, 3, 9)
TUE, WED, THU, FRI, SAT, SUN = (MON + timedelta(days=n) for n in range(1, 7))

MONDAY_HOLIDAY = date(2026, 4, 6)  # Tomb-sweeping Day falls on a Monday
SPRING_FESTIVAL = date(2026, 2, 17)  # Tuesday
NATIONAL_DAY = date(2026, 10, 1)  # Thursday
MAKEUP_SATURDAY = date(2026, 2, 14)
MAKEUP_SUNDAY = date(2026, 9, 20)


def at(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute, second), CITY_TZ)


def every_day(*intervals: Interval, days: range | tuple[int, ...] = EVERY_DAY) -> dict[int, tuple[Interval, ...]]:
    return {weekday: intervals for weekday in days}


# --- the calendar ---------------------------------------------------------------------------------


def test_the_2026_calendar_as_the_package_has_it() -> None:
    assert day_kind(MONDAY_HOLIDAY) is DayKind.public_holiday and MONDAY_HOLIDAY.weekday() == 0
    assert day_kind(SPRING_FESTIVAL) is DayKind.public_holiday
    assert holiday_name(SPRING_FESTIVAL) == "Spring Festival"
    assert day_kind(NATIONAL_DAY) is DayKind.public_holiday
    assert holiday_name(NATIONAL_DAY) == "National Day"
    assert day_kind(MAKEUP_SATURDAY) is DayKind.makeup_workday and MAKEUP_SATURDAY.weekday() == 5
    assert day_kind(MAKEUP_SUNDAY) is DayKind.makeup_workday and MAKEUP_SUNDAY.weekday() == 6
    # A weekend inside the Spring Festival break is a holiday, not just a weekend.
    assert day_kind(date(2026, 2, 21)) is DayKind.public_holiday
    assert [day_kind(d) for d in (MON, WED, SAT, SUN)] == [
        DayKind.workday,
        DayKind.workday,
        DayKind.weekend,
        DayKind.weekend,
    ]
    assert holiday_name(WED) is None


def test_data_years_cover_the_current_schedule() -> None:
    first, last = data_years()
    assert first == 2004
    assert last >= 2026


def test_a_year_without_data_falls_back_to_weekends_without_raising() -> None:
    assert day_kind(date(2031, 1, 1)) is DayKind.workday  # a Wednesday; the real 元旦 is unknown yet
    assert day_kind(date(2031, 1, 4)) is DayKind.weekend
    assert holiday_name(date(2031, 1, 1)) is None
    schedule = Schedule(weekly=every_day(NINE_TO_FIVE, days=range(5)))
    status = status_at(schedule, at(date(2031, 1, 3), 18))
    assert status.next_change == at(date(2031, 1, 6), 9)


def test_a_missing_year_is_logged_once() -> None:
    with capture_logs() as logs:
        for day in (date(2040, 3, 1), date(2040, 3, 2), date(2040, 7, 1)):
            day_kind(day)
    missing = [entry for entry in logs if entry["event"] == "holiday_data_missing"]
    assert len(missing) == 1
    assert missing[0]["log_level"] == "warning" and missing[0]["year"] == 2040


# --- which hours a day has ------------------------------------------------------------------------


def test_monday_closure() -> None:
    schedule = Schedule(weekly=every_day(NINE_TO_FIVE), rules=HolidayRules(monday_closed_unless_holiday=True))
    assert intervals_on(schedule, MON) == ()
    assert intervals_on(schedule, TUE) == (NINE_TO_FIVE,)
    status = status_at(schedule, at(MON, 10))
    assert status == Status(False, None, at(TUE, 9))


def test_a_public_holiday_reopens_a_monday_branch() -> None:
    sunday = Interval(time(10), time(16))
    weekly = every_day(NINE_TO_FIVE, days=range(6)) | {6: (sunday,)}
    schedule = Schedule(weekly=weekly, rules=HolidayRules(monday_closed_unless_holiday=True))
    assert intervals_on(schedule, MONDAY_HOLIDAY - timedelta(days=7)) == ()
    assert intervals_on(schedule, MONDAY_HOLIDAY) == (sunday,)
    assert status_at(schedule, at(MONDAY_HOLIDAY, 11)).is_open

    regular = Schedule(weekly=weekly, rules=HolidayRules(monday_closed_unless_holiday=True, public_holiday="regular"))
    assert intervals_on(regular, MONDAY_HOLIDAY) == (NINE_TO_FIVE,)
    closed = Schedule(weekly=weekly, rules=HolidayRules(monday_closed_unless_holiday=True, public_holiday="closed"))
    assert intervals_on(closed, MONDAY_HOLIDAY) == ()


def test_public_holiday_rules() -> None:
    sunday = Interval(time(10), time(16))
    weekly = every_day(NINE_TO_FIVE, days=range(6)) | {6: (sunday,)}
    assert intervals_on(Schedule(weekly=weekly), SPRING_FESTIVAL) == (sunday,)
    assert intervals_on(Schedule(weekly=weekly, rules=HolidayRules(public_holiday="closed")), SPRING_FESTIVAL) == ()
    assert intervals_on(Schedule(weekly=weekly, rules=HolidayRules(public_holiday="regular")), NATIONAL_DAY) == (
        NINE_TO_FIVE,
    )


@pytest.mark.parametrize(
    ("rule", "saturday", "sunday"),
    [
        ("regular", (Interval(time(10), time(16)),), ()),
        ("weekday_hours", (Interval(time(9), time(21)),), (Interval(time(9), time(21)),)),
    ],
)
def test_a_makeup_workday(rule: str, saturday: tuple[Interval, ...], sunday: tuple[Interval, ...]) -> None:
    friday, saturday_hours = Interval(time(9), time(21)), Interval(time(10), time(16))
    weekly = every_day(NINE_TO_FIVE, days=range(4)) | {4: (friday,), 5: (saturday_hours,)}
    schedule = Schedule(weekly=weekly, rules=HolidayRules(makeup_workday=rule))  # type: ignore[arg-type]
    assert intervals_on(schedule, MAKEUP_SATURDAY) == saturday
    assert intervals_on(schedule, MAKEUP_SUNDAY) == sunday
    assert status_at(schedule, at(MAKEUP_SUNDAY, 18)).is_open is bool(sunday)
    # An ordinary weekend keeps its template whatever the rule.
    assert intervals_on(schedule, SAT) == (Interval(time(10), time(16)),)
    assert intervals_on(schedule, SUN) == ()


def test_a_closure_exception_beats_the_template() -> None:
    schedule = Schedule(
        weekly=every_day(NINE_TO_FIVE),
        exceptions={WED: DateException(day=WED, closed=True, note={"zh-Hans": "设备检修", "en": "Maintenance"})},
    )
    assert intervals_on(schedule, WED) == ()
    assert status_at(schedule, at(TUE, 18)).next_change == at(THU, 9)


def test_special_hours_beat_the_holiday_rule() -> None:
    special = (Interval(time(13), time(17)), Interval(time(9), time(11)))
    schedule = Schedule(
        weekly=every_day(NINE_TO_FIVE),
        exceptions={NATIONAL_DAY: DateException(day=NATIONAL_DAY, closed=False, intervals=special)},
        rules=HolidayRules(public_holiday="closed"),
    )
    assert intervals_on(schedule, NATIONAL_DAY) == (special[1], special[0])  # in order of opening
    assert intervals_on(schedule, NATIONAL_DAY + timedelta(days=1)) == ()
    assert status_at(schedule, at(NATIONAL_DAY, 10)).next_change == at(NATIONAL_DAY, 11)


def test_week_lists_effective_hours_and_kinds() -> None:
    schedule = Schedule(weekly=every_day(NINE_TO_FIVE, days=range(5)), rules=HolidayRules(public_holiday="closed"))
    days = week(schedule, date(2026, 9, 28))
    assert [d for d, _i, _k in days] == [date(2026, 9, 28) + timedelta(days=n) for n in range(7)]
    assert days[0][1:] == ((NINE_TO_FIVE,), DayKind.workday)
    assert days[3][1:] == ((), DayKind.public_holiday)


# --- status at a moment ---------------------------------------------------------------------------


def test_boundaries_are_half_open() -> None:
    schedule = Schedule(weekly=every_day(NINE_TO_FIVE))
    opening = status_at(schedule, at(WED, 9))
    assert opening == Status(True, (at(WED, 9), at(WED, 17)), at(WED, 17))
    assert status_at(schedule, at(WED, 8, 59, 59)) == Status(False, None, at(WED, 9))
    assert status_at(schedule, at(WED, 17)) == Status(False, None, at(THU, 9))
    assert status_at(schedule, at(WED, 16, 59, 59)).is_open


def test_an_interval_across_midnight_belongs_to_its_opening_day() -> None:
    schedule = Schedule(weekly={4: (Interval(time(20), time(2)),)})  # Friday night only
    late = status_at(schedule, at(SAT, 1))
    assert late == Status(True, (at(FRI, 20), at(SAT, 2)), at(SAT, 2))
    assert status_at(schedule, at(SAT, 2)) == Status(False, None, at(FRI + timedelta(days=7), 20))


def test_adjacent_intervals_merge() -> None:
    schedule = Schedule(weekly=every_day(Interval(time(22), time(0)), Interval(time(0), time(6))))
    status = status_at(schedule, at(WED, 23))
    assert status == Status(True, (at(WED, 22), at(THU, 6)), at(THU, 6))


def test_a_24_hour_branch_never_changes() -> None:
    schedule = Schedule(weekly=every_day(ALL_DAY))
    for moment in (at(WED, 0), at(WED, 13, 37), at(SPRING_FESTIVAL, 3), at(MAKEUP_SUNDAY, 23, 59, 59)):
        status = status_at(schedule, moment)
        assert status.is_open and status.next_change is None
        assert status.current == (None, None)  # no made-up dates at the edges of the look-ahead
    assert describe_next_change(status_at(schedule, at(WED, 12)), at(WED, 12), "en") == "Open 24 hours"


def test_24_hours_except_sunday_closes_at_sunday_midnight() -> None:
    schedule = Schedule(weekly=every_day(ALL_DAY, days=range(6)))
    status = status_at(schedule, at(WED, 12))
    assert status.is_open and status.next_change == at(SUN, 0)
    assert status.current == (at(MON, 0), at(SUN, 0))  # real edges: closed on the Sundays around
    assert status_at(schedule, at(SUN, 12)) == Status(False, None, at(SUN + timedelta(days=1), 0))


def test_a_lunch_break() -> None:
    schedule = Schedule(weekly=every_day(Interval(time(13, 30), time(17)), Interval(time(9), time(12))))
    morning = status_at(schedule, at(WED, 10))
    assert morning == Status(True, (at(WED, 9), at(WED, 12)), at(WED, 12))
    lunch = status_at(schedule, at(WED, 12))
    assert lunch == Status(False, None, at(WED, 13, 30))
    assert describe_next_change(lunch, at(WED, 12), "en") == "Opens today at 1:30\u202fPM"


def test_next_change_across_several_closed_days() -> None:
    schedule = Schedule(weekly=every_day(NINE_TO_FIVE, days=(2, 3, 4, 5, 6)))  # closed Monday and Tuesday
    status = status_at(schedule, at(MON, 10))
    assert status == Status(False, None, at(WED, 9))
    assert describe_next_change(status, at(MON, 10), "en").startswith("Opens on Wed, Mar 11 at 9:00")


def test_nothing_open_within_two_weeks() -> None:
    schedule = Schedule(
        weekly=every_day(NINE_TO_FIVE),
        exceptions={day: DateException(day=day, closed=True) for day in (WED + timedelta(days=n) for n in range(15))},
    )
    status = status_at(schedule, at(WED, 8))
    assert status == Status(False, None, None)
    assert describe_next_change(status, at(WED, 8), "en") == "Closed for the next two weeks"
    assert status_at(Schedule(weekly={}), at(WED, 8)) == Status(False, None, None)


def test_a_moment_in_utc_is_read_in_suzhou_time() -> None:
    schedule = Schedule(weekly=every_day(NINE_TO_FIVE))
    moment = datetime(2026, 3, 10, 23, 30, tzinfo=UTC)  # Wednesday 07:30 in Suzhou
    status = status_at(schedule, moment)
    assert status == Status(False, None, at(WED, 9))
    assert describe_next_change(status, moment, "en") == "Opens today at 9:00\u202fAM"


def test_a_naive_moment_is_refused() -> None:
    with pytest.raises(ValueError):
        status_at(Schedule(weekly=every_day(NINE_TO_FIVE)), datetime(2026, 3, 11, 9))


# --- in words -------------------------------------------------------------------------------------


def test_describe_today_tomorrow_and_midnight() -> None:
    schedule = Schedule(weekly=every_day(Interval(time(9), time(21))))
    evening = status_at(schedule, at(WED, 20))
    assert describe_next_change(evening, at(WED, 20), "en") == "Closes today at 9:00\u202fPM"
    night = status_at(schedule, at(WED, 22))
    assert describe_next_change(night, at(WED, 22), "en") == "Opens tomorrow at 9:00\u202fAM"
    until_midnight = Schedule(weekly=every_day(Interval(time(9), time(0))))
    assert describe_next_change(status_at(until_midnight, at(WED, 23)), at(WED, 23), "en") == "Closes at midnight"
    all_week = Schedule(weekly=every_day(ALL_DAY, days=range(6)))
    sunday_midnight = describe_next_change(status_at(all_week, at(FRI, 12)), at(FRI, 12), "en")
    assert sunday_midnight == "Closes on Sun, Mar 15 at 12:00\u202fAM"


@pytest.mark.parametrize("locale", LOCALES)
def test_describe_in_every_locale(locale: str) -> None:
    schedule = Schedule(weekly=every_day(NINE_TO_FIVE, days=(2, 3, 4, 5, 6)))
    for now in (at(TUE, 20), at(MON, 10), at(WED, 8)):  # tomorrow, on Wednesday, today
        text = describe_next_change(status_at(schedule, now), now, locale)
        assert text and "9:00" in text
    closing = describe_next_change(status_at(schedule, at(WED, 12)), at(WED, 12), locale)
    assert "17:00" in closing or "5:00" in closing


def test_words_are_relative_to_the_readers_today_not_to_the_day_asked_about() -> None:
    """Asked on Monday about Wednesday 10:00: not "closes today", but the day's date."""
    schedule = Schedule(weekly=every_day(NINE_TO_FIVE))
    wednesday = status_at(schedule, at(WED, 10))
    assert describe_next_change(wednesday, at(WED, 10), "en", today=WED) == "Closes today at 5:00\u202fPM"
    planned = describe_next_change(wednesday, at(WED, 10), "en", today=MON)
    assert planned == "Closes on Wed, Mar 11 at 5:00\u202fPM"
    evening = status_at(schedule, at(WED, 20))
    assert describe_next_change(evening, at(WED, 20), "zh-Hans") == "明天 09:00 开馆"
    assert describe_next_change(evening, at(WED, 20), "zh-Hans", today=MON) == "3月12日周四 09:00 开馆"
    until_midnight = Schedule(weekly=every_day(Interval(time(9), time(0))))
    late = describe_next_change(status_at(until_midnight, at(WED, 23)), at(WED, 23), "en", today=MON)
    assert late == "Closes on Thu, Mar 12 at 12:00\u202fAM"
