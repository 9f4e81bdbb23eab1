"""Writing calendar files (RFC 5545): a VCALENDAR of entries, in the current language.

icalendar escapes, folds at 75 octets and ends lines with CRLF; a confirmed place gets a reminder.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import icalendar

from backend.core import clock
from backend.core.i18n import CITY_TZ, N_, _, pick
from backend.events.catalogue.tables import Event, Venue
from backend.events.catalogue.texts import texts
from backend.events.catalogue.vocabulary import category_name

PRODID = "-//Linli//Linli 邻里//ZH"
UID_DOMAIN = "linli"
REMINDER_BEFORE = timedelta(hours=2)

WAITLIST_SUMMARY = N_("[Waitlist] {title}")


@dataclass(frozen=True)
class Entry:
    """One VEVENT: an event as a particular person sees it."""

    event: Event
    venue: Venue
    status: str  # CONFIRMED, TENTATIVE or CANCELLED
    changed_at: datetime
    waitlisted: bool = False


def render(name: str, entries: list[Entry], refresh: timedelta | None = None) -> bytes:
    """A VCALENDAR in the current locale; icalendar escapes, folds at 75 octets and ends lines with CRLF."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", str(CITY_TZ))
    if refresh is not None:
        calendar.add("refresh-interval", refresh, parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", icalendar.vDuration(refresh))
    stamp = clock.now()
    for entry in entries:
        calendar.add_component(_vevent(entry, stamp))
    if entries:
        # The VTIMEZONE covers Asia/Shanghai from the earliest entry on (China has had no DST since 1991).
        first = min(e.event.starts_at.astimezone(CITY_TZ).date() for e in entries)
        calendar.add_missing_timezones(first_date=first - timedelta(days=1))
    body: bytes = calendar.to_ical()
    return body


def _vevent(entry: Entry, stamp: datetime) -> icalendar.Event:
    event, venue = entry.event, entry.venue
    title, served = pick(texts(event.title))
    vevent = icalendar.Event()
    vevent.add("uid", f"{event.id}@{UID_DOMAIN}")
    vevent.add("dtstamp", stamp)
    vevent.add("dtstart", event.starts_at.astimezone(CITY_TZ))
    vevent.add("dtend", event.ends_at.astimezone(CITY_TZ))
    if entry.waitlisted:  # the marker is in the reader's language, the title perhaps not
        vevent.add("summary", _(WAITLIST_SUMMARY).format(title=title))
    else:
        vevent.add("summary", title, parameters=_language(served))
    description, described_in = _description(event, served)
    if description:
        vevent.add("description", description, parameters=_language(described_in))
    if location := _location(venue):
        vevent.add("location", location)
    vevent.add("geo", (event.latitude, event.longitude))
    vevent.add("categories", [category_name(event.category)])
    vevent.add("status", entry.status)
    vevent.add("sequence", int(entry.changed_at.timestamp()))  # grows with every change
    vevent.add("last-modified", entry.changed_at.astimezone(UTC))
    if entry.status == "CONFIRMED":
        vevent.add_component(_reminder(title))
    return vevent


def _language(locale: str | None) -> dict[str, str]:
    """RFC 5545's LANGUAGE parameter: which language organiser-written text was served in (none
    when that is unknown)."""
    return {"LANGUAGE": locale} if locale else {}


def _description(event: Event, served: str | None) -> tuple[str, str | None]:
    """The summary, then the description; the language is named only when both share one."""
    parts = [
        (text.strip(), locale)
        for text, locale in (pick(texts(event.summary), served), pick(texts(event.description), served))
        if text.strip()
    ]
    locales = {locale for _text, locale in parts}
    return "\n\n".join(text for text, _locale in parts), locales.pop() if len(locales) == 1 else None


def _location(venue: Venue) -> str:
    return ", ".join(part for part in (pick(texts(venue.name))[0], pick(texts(venue.address))[0]) if part)


def _reminder(title: str) -> icalendar.Alarm:
    alarm = icalendar.Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", title)
    alarm.add("trigger", -REMINDER_BEFORE)
    return alarm
