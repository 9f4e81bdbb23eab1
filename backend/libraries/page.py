"""A branch as its public page shows it: every word already in the reader's language, so the page's
template only lays out what it is given (``api.branch_page``).

Built on the same read and presenters as ``GET /library-branches/{id}``: the status, the week and
the seats are the API's, with the words a page needs added (the day's label, its hours as text,
how old the seat count is, the services by name).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from babel.dates import format_timedelta

from backend.core import clock
from backend.core.i18n import CITY_TZ, N_, _, babel_locale, ngettext, pick_content
from backend.events.api import EventBrief
from backend.libraries import holidays
from backend.libraries.queries import BranchDetail
from backend.libraries.schemas import BranchRead, DayHoursRead, ServiceCode

SERVICE_NAMES: Mapping[ServiceCode, str] = {
    "lending": N_("Book lending"),
    "e_reading": N_("E-reading seats"),
    "children": N_("Children's reading area"),
    "self_service_24h": N_("24-hour self-service"),
    "accessible_reading": N_("Accessible reading"),
    "online_loan_pickup": N_("Pickup of books borrowed online"),
}
# The names chinesecalendar gives China's public holidays, in the reader's language.
HOLIDAY_NAMES: Mapping[str, str] = {
    "New Year's Day": N_("New Year's Day"),
    "Spring Festival": N_("Spring Festival"),
    "Tomb-sweeping Day": N_("Tomb-sweeping Day"),
    "Labour Day": N_("Labour Day"),
    "Dragon Boat Festival": N_("Dragon Boat Festival"),
    "National Day": N_("National Day"),
    "Mid-autumn Festival": N_("Mid-autumn Festival"),
    "Anti-Fascist 70th Day": N_("Victory Day (70th anniversary)"),
}
_OPEN = N_("Open")
_CLOSED = N_("Closed")
_MAKEUP_DAY = N_("Make-up working day")
_MAKEUP_DAY_FOR = N_("Make-up working day for {holiday}")
_SEATS_COUNTED = N_("Counted {age}")
_SEATS_UNKNOWN = N_("No recent count of free seats")


@dataclass(frozen=True)
class PageDay:
    """One day of the week shown: its hours as text ("09:00–11:30, 13:30–17:00" or "Closed"),
    and a label when it is not an ordinary day (a public holiday, a make-up working day)."""

    date: date
    weekday: str
    kind: str  # workday, weekend, public_holiday, makeup_workday
    label: str | None
    hours: str
    closed: bool
    note: str | None
    asked: bool  # the day the page was asked about (today, unless ``at`` says otherwise)


@dataclass(frozen=True)
class PageRoom:
    name: str
    seats: int
    is_open: bool
    status: str  # "Closes today at 5:00 PM"


@dataclass(frozen=True)
class PageSeats:
    """Free e-reading seats as staff last reported them; a count older than the freshness window
    is unknown (``free`` None) and says so."""

    known: bool
    free: int | None
    total: int
    reported_at: datetime | None
    text: str  # "12 of 40 e-reading seats free" / "No recent count of free seats"
    age: str | None  # "Counted 5 minutes ago"


@dataclass(frozen=True)
class PageService:
    code: str
    name: str


@dataclass(frozen=True)
class BranchPage:
    id: str
    name: str
    locale: str | None  # the language the name is in
    converted: bool  # the name was converted into it from Simplified (OpenCC)
    address: str
    latitude: float
    longitude: float
    contact_phone: str
    is_open: bool
    open_text: str  # "Open" / "Closed"
    status: str  # the next change in words
    week: tuple[PageDay, ...]
    rooms: tuple[PageRoom, ...]
    seats: PageSeats | None  # None: the branch has no e-reading seats
    services: tuple[PageService, ...]
    upcoming_events: tuple[EventBrief, ...]


def _separator() -> str:
    """How the reader's language lists things: "、" in Chinese and Japanese, ", " in English."""
    middle: str = babel_locale().list_patterns["standard"]["middle"]
    return middle.replace("{0}", "").replace("{1}", "")


def _holiday(name: str | None) -> str | None:
    if name is None or name not in HOLIDAY_NAMES:
        return name
    return _(HOLIDAY_NAMES[name])


def _day(day: DayHoursRead, asked: date) -> PageDay:
    holiday = _holiday(holidays.holiday_name(day.date))  # a make-up day's too: the holiday it pays for
    if day.kind == "public_holiday":
        label = holiday
    elif day.kind == "makeup_workday":
        label = _(_MAKEUP_DAY_FOR).format(holiday=holiday) if holiday else _(_MAKEUP_DAY)
    else:
        label = None
    spans = [f"{i.opens}–{i.closes}" for i in day.intervals]
    return PageDay(
        date=day.date,
        weekday=day.weekday,
        kind=day.kind,
        label=label,
        hours=_separator().join(spans) if spans else _(_CLOSED),
        closed=not spans,
        note=day.note,
        asked=day.date == asked,
    )


def _seats(read: BranchRead) -> PageSeats | None:
    occupancy = read.occupancy
    if occupancy.total_seats <= 0:
        return None
    if not occupancy.known or occupancy.free_seats is None:
        return PageSeats(False, None, occupancy.total_seats, occupancy.reported_at, _(_SEATS_UNKNOWN), None)
    text = ngettext(
        "{free} of {total} e-reading seat free", "{free} of {total} e-reading seats free", occupancy.total_seats
    ).format(free=occupancy.free_seats, total=occupancy.total_seats)
    age = None
    if occupancy.reported_at is not None:
        ago = format_timedelta(occupancy.reported_at - clock.now(), add_direction=True, locale=babel_locale())
        age = _(_SEATS_COUNTED).format(age=ago)
    return PageSeats(True, occupancy.free_seats, occupancy.total_seats, occupancy.reported_at, text, age)


def _services(codes: Sequence[ServiceCode]) -> tuple[PageService, ...]:
    return tuple(PageService(code=code, name=_(SERVICE_NAMES[code])) for code in codes)


def branch_page(detail: BranchDetail, read: BranchRead, at: datetime) -> BranchPage:
    """The page's words from the API's read of the branch (``read``) and its stored content."""
    name = pick_content(detail.found.row["name"])
    asked = at.astimezone(CITY_TZ).date()
    return BranchPage(
        id=str(read.id),
        name=name.text,
        locale=name.locale,
        converted=name.converted,
        address=read.address,
        latitude=read.latitude,
        longitude=read.longitude,
        contact_phone=read.contact_phone,
        is_open=read.status.is_open,
        open_text=_(_OPEN if read.status.is_open else _CLOSED),
        status=read.status.text,
        week=tuple(_day(day, asked) for day in read.week),
        rooms=tuple(PageRoom(r.name, r.seats, r.status.is_open, r.status.text) for r in read.rooms),
        seats=_seats(read),
        services=_services(read.services),
        upcoming_events=tuple(read.upcoming_events),
    )
