"""What library staff see of the branches they keep (the console's reads): the branches in their
scope, a branch's stored content in every language for its forms, and a month of opening hours as
the engine sees it — also for hours or an exception not saved yet (the preview before saving).

Writes stay in ``services.py``: the console calls the same services as the API.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import msgspec
from babel.dates import format_skeleton, format_timedelta

from backend.accounts.api import Permission, may, organisations, organisations_under, scope_paths
from backend.core import clock, runtime
from backend.core.errors import NotFound
from backend.core.i18n import CITY_TZ, N_, _, babel_locale, pick
from backend.libraries import holidays, hours, presenters, queries
from backend.libraries.page import HOLIDAY_NAMES
from backend.libraries.schemas import BranchListItem, BranchRead, ExceptionPut, HolidayRulesIn, IntervalIn
from backend.libraries.services import _stored_intervals, _stored_week, refuse_empty_exception
from backend.libraries.tables import HoursException, LibraryBranch

_CLOSED = N_("Closed")
_MAKEUP_DAY = N_("Make-up working day")
_MAKEUP_DAY_FOR = N_("Make-up working day for {holiday}")
_REPORTED = N_("Reported {age}")
SORTS = ("name", "open", "seats", "library")


def _fresh() -> timedelta:
    return timedelta(minutes=runtime.current().settings.occupancy_fresh_minutes)


def _not_found() -> NotFound:
    return NotFound("branch_not_found", N_("This library branch does not exist."))


# --- the list -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StaffBranchRow:
    item: BranchListItem
    library: str  # the organisation that keeps it, in the reader's language


@dataclass(frozen=True)
class StaffBranches:
    total: int
    rows: list[StaffBranchRow]


async def _scope_organisations(user_id: uuid.UUID) -> set[uuid.UUID]:
    ids: set[uuid.UUID] = set()
    for path in await scope_paths(user_id=user_id, permission=Permission.manage_libraries):
        ids.update(ref.id for ref in await organisations_under(path))
    return ids


def _matches(row: Mapping[str, Any], text: str) -> bool:
    needle = text.casefold()
    return any(needle in str(value).casefold() for key in ("name", "address") for value in row[key].values())


async def staff_branches(
    *,
    user_id: uuid.UUID,
    text: str = "",
    service: str | None = None,
    open_now: bool = False,
    sort: str = "name",
    descending: bool = False,
    offset: int = 0,
    limit: int = 25,
) -> StaffBranches:
    """The branches whose library the person keeps (``manage_libraries`` there or above), filtered,
    sorted and one page of them, each as the API lists it."""
    scope = await _scope_organisations(user_id)
    moment = clock.now()
    filters = queries.BranchFilters(service=service, open_now=open_now)
    found = [
        b
        for b in await queries.find_branches(filters=filters, at=moment, stale_after=_fresh())
        if b.row["organisation"] in scope and (not text or _matches(b.row, text))
    ]
    names = await organisations(b.row["organisation"] for b in found)
    rows = [StaffBranchRow(presenters.list_item(b, moment), pick(names[b.row["organisation"]].name)[0]) for b in found]
    keys = {
        "name": lambda r: (r.item.name.casefold(), str(r.item.id)),
        "open": lambda r: (r.item.status.is_open, r.item.name.casefold()),
        "seats": lambda r: (r.item.occupancy.free_seats if r.item.occupancy.known else -1, r.item.name.casefold()),
        "library": lambda r: (r.library.casefold(), r.item.name.casefold()),
    }
    rows.sort(key=keys.get(sort, keys["name"]), reverse=descending)
    return StaffBranches(total=len(rows), rows=rows[offset : offset + limit])


# --- one branch, as its forms show it ----------------------------------------------------------------


@dataclass(frozen=True)
class StaffRoom:
    id: uuid.UUID
    name: dict[str, str]
    seats: int
    own_hours: bool
    status: str


@dataclass(frozen=True)
class StaffBranch:
    """The stored content (every language, hours as kept) beside the API's read of it."""

    id: uuid.UUID
    organisation_id: uuid.UUID
    name: dict[str, str]
    address: dict[str, str]
    contact_phone: str
    services: list[str]
    e_reading_seats: int
    weekly_hours: dict[int, list[tuple[str, str]]]
    holiday_rules: HolidayRulesIn
    rooms: list[StaffRoom]
    read: BranchRead
    seats_age: str | None  # "Reported 12 minutes ago", in the reader's language


async def staff_branch(*, user_id: uuid.UUID, branch_id: uuid.UUID) -> StaffBranch:
    """A branch the person keeps; another library's branch is not found, as if it were not there."""
    row = await LibraryBranch.select().where(LibraryBranch.id == branch_id).output(load_json=True).first()
    if row is None or not await may(
        user_id=user_id, permission=Permission.manage_libraries, organisation_id=row["organisation"]
    ):
        raise _not_found()
    moment = clock.now()
    detail = await queries.get_branch(branch_id=branch_id, at=moment, stale_after=_fresh())
    read = presenters.branch_read(detail, moment)
    rooms = [
        StaffRoom(r["id"], dict(r["name"]), r["seats"], r["weekly_hours"] is not None, status.text)
        for r, status in ((room, presenters.status_read(s, moment)) for room, s in detail.rooms)
    ]
    reported = row["free_seats_at"]
    age = (
        _(_REPORTED).format(age=format_timedelta(reported - moment, add_direction=True, locale=babel_locale()))
        if reported is not None
        else None
    )
    return StaffBranch(
        id=row["id"],
        organisation_id=row["organisation"],
        name=dict(row["name"]),
        address=dict(row["address"]),
        contact_phone=row["contact_phone"],
        services=list(queries.from_mask(row["services_mask"])),
        e_reading_seats=row["e_reading_seats"],
        weekly_hours={int(d): [(o, c) for o, c in spans] for d, spans in row["weekly_hours"].items()},
        holiday_rules=msgspec.convert(row["holiday_rules"], HolidayRulesIn),
        rooms=sorted(rooms, key=lambda r: pick(r.name)[0]),
        read=read,
        seats_age=age,
    )


@dataclass(frozen=True)
class StaffException:
    day: date
    weekday: str
    closed: bool
    hours: str
    note: dict[str, str]


async def _exceptions(branch_id: uuid.UUID, first: date, last: date | None = None) -> list[dict[str, Any]]:
    where = (HoursException.branch == branch_id) & HoursException.room.is_null() & (HoursException.day >= first)
    if last is not None:
        where &= HoursException.day <= last
    return list(await HoursException.select().where(where).order_by(HoursException.day).output(load_json=True))


async def coming_exceptions(*, user_id: uuid.UUID, branch_id: uuid.UUID, since: date) -> list[StaffException]:
    """The branch's date exceptions from ``since`` on (the branch's own, not its rooms')."""
    await staff_branch(user_id=user_id, branch_id=branch_id)
    return [
        StaffException(
            day=e["day"],
            weekday=_weekday(e["day"]),
            closed=e["closed"],
            hours=_(_CLOSED) if e["closed"] else _hours_text(queries._intervals(e["intervals"])),
            note=dict(e["note"]),
        )
        for e in (await _exceptions(branch_id, since))[:200]
    ]


# --- a month of hours --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CalendarDay:
    date: date
    in_month: bool
    kind: str  # workday, weekend, public_holiday, makeup_workday
    label: str | None  # the holiday, or the make-up working day and the holiday it pays for
    hours: str  # "09:00–12:00、13:30–17:00", or "Closed"
    closed: bool
    exception: bool  # a date exception decides the day
    note: str | None
    changed: bool  # the preview differs from what is saved
    today: bool


@dataclass(frozen=True)
class Month:
    first: date  # the month's first day
    title: str  # "2026年12月"
    previous: str  # "2026-11"
    next: str
    weekdays: list[str]  # Monday first, short names
    days: list[CalendarDay]  # whole weeks, Monday to Sunday
    preview: bool


@dataclass(frozen=True)
class Unsaved:
    """What a form would change, not saved yet: new weekly hours and holiday rules, or one date's
    exception (``None`` keeps the saved ones)."""

    weekly_hours: Mapping[int, Sequence[IntervalIn]] | None = None
    holiday_rules: HolidayRulesIn | None = None
    day: date | None = None
    exception: ExceptionPut | None = None


def _weekday(day: date) -> str:
    return format_skeleton("MMMEd", datetime(day.year, day.month, day.day, 12, tzinfo=CITY_TZ), locale=babel_locale())


def _separator() -> str:
    middle: str = babel_locale().list_patterns["standard"]["middle"]
    return middle.replace("{0}", "").replace("{1}", "")


def _hours_text(intervals: Sequence[hours.Interval]) -> str:
    spans = [f"{i.opens:%H:%M}–{i.closes:%H:%M}" for i in intervals]
    return _separator().join(spans) if spans else _(_CLOSED)


def _label(day: date, kind: holidays.DayKind) -> str | None:
    name = holidays.holiday_name(day)
    shown = _(HOLIDAY_NAMES[name]) if name is not None and name in HOLIDAY_NAMES else name
    if kind is holidays.DayKind.public_holiday:
        return shown
    if kind is holidays.DayKind.makeup_workday:
        return _(_MAKEUP_DAY_FOR).format(holiday=shown) if shown else _(_MAKEUP_DAY)
    return None


def month_start(value: str | None, today: date) -> date:
    """``2026-12`` as its first day; anything else (or nothing) is this month."""
    try:
        year, month = (int(part) for part in (value or "").split("-"))
        return date(year, month, 1)
    except ValueError:
        return today.replace(day=1)


def _shift(first: date, months: int) -> str:
    index = first.year * 12 + first.month - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _with_unsaved(saved: hours.Schedule, unsaved: Unsaved) -> hours.Schedule:
    weekly = queries._week(_stored_week(unsaved.weekly_hours)) if unsaved.weekly_hours is not None else saved.weekly
    rules = (
        queries.schedule_of({}, msgspec.to_builtins(unsaved.holiday_rules), []).rules
        if unsaved.holiday_rules is not None
        else saved.rules
    )
    exceptions = dict(saved.exceptions)
    if unsaved.day is not None and unsaved.exception is not None:
        e = unsaved.exception
        exceptions[unsaved.day] = hours.DateException(
            day=unsaved.day,
            closed=e.closed,
            intervals=() if e.closed else queries._intervals(_stored_intervals(e.intervals)),
            note={str(k): v for k, v in e.note.items()},
        )
    return hours.Schedule(weekly=weekly, exceptions=exceptions, rules=rules)


async def month(*, user_id: uuid.UUID, branch_id: uuid.UUID, first: date, unsaved: Unsaved | None = None) -> Month:
    """The month's days as the engine sees them — public holidays, make-up working days, the
    branch's rules and exceptions — with ``unsaved`` changes applied and marked when given."""
    await staff_branch(user_id=user_id, branch_id=branch_id)
    if unsaved is not None and unsaved.exception is not None:
        refuse_empty_exception(unsaved.exception)
    row = await LibraryBranch.select().where(LibraryBranch.id == branch_id).output(load_json=True).first()
    assert row is not None  # staff_branch found it
    start = first - timedelta(days=first.weekday())
    last_of_month = (date(first.year + first.month // 12, first.month % 12 + 1, 1)) - timedelta(days=1)
    end = last_of_month + timedelta(days=6 - last_of_month.weekday())
    saved = queries.schedule_of(row["weekly_hours"], row["holiday_rules"], await _exceptions(branch_id, start, end))
    shown = _with_unsaved(saved, unsaved) if unsaved is not None else saved
    today = clock.city_today()
    days = []
    for offset in range((end - start).days + 1):
        day = start + timedelta(days=offset)
        kind = holidays.day_kind(day)
        intervals = hours.intervals_on(shown, day)
        exception = shown.exceptions.get(day)
        days.append(
            CalendarDay(
                date=day,
                in_month=day.month == first.month,
                kind=kind.value,
                label=_label(day, kind),
                hours=_hours_text(intervals),
                closed=not intervals,
                exception=exception is not None,
                note=(pick(exception.note)[0] or None) if exception is not None else None,
                changed=unsaved is not None and (day == unsaved.day or intervals != hours.intervals_on(saved, day)),
                today=day == today,
            )
        )
    loc = babel_locale()
    noon = datetime(first.year, first.month, 1, 12, tzinfo=CITY_TZ)
    return Month(
        first=first,
        title=format_skeleton("yMMMM", noon, locale=loc),
        previous=_shift(first, -1),
        next=_shift(first, 1),
        weekdays=[loc.days["format"]["abbreviated"][i] for i in range(7)],
        days=days,
        preview=unsaved is not None,
    )
