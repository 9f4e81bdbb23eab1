"""Calendars: one event to add to a phone's calendar, and a resident's secret feed.

The feed is fetched by calendar apps that cannot log in, so a secret token in its URL says whose
it is; only the token's SHA-256 is stored, and a lookup by that hash is the comparison. Entries
that stop applying (a cancelled event or registration) stay in the feed as ``STATUS:CANCELLED``
for a while, so subscribed calendars remove them instead of keeping a stale copy.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta

from backend.accounts.api import lock_person
from backend.core import clock
from backend.core.db import transaction
from backend.core.errors import NotFound
from backend.core.i18n import DEFAULT_LOCALE, LOCALES, N_, _, pick, use_locale
from backend.events.calendars.ics import Entry, render
from backend.events.calendars.tables import CalendarFeed
from backend.events.catalogue.queries import get_event, get_venue
from backend.events.catalogue.tables import Event, EventStatus, Venue
from backend.events.catalogue.texts import texts
from backend.events.registrations.tables import Registration, RegistrationStatus

# How long a past or cancelled entry stays in a feed, and how many entries a feed holds at most.
FEED_HISTORY = timedelta(days=90)
FEED_LIMIT = 500
# Calendar apps poll a subscription; this asks them to do so about hourly.
FEED_REFRESH = timedelta(hours=1)

FEED_NAME = N_("My Linli events")

_ACTIVE = (
    RegistrationStatus.confirmed.value,
    RegistrationStatus.waitlisted.value,
    RegistrationStatus.attended.value,
    RegistrationStatus.no_show.value,
)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# --- one event --------------------------------------------------------------------------------------


async def event_calendar(*, event_id: uuid.UUID, user_id: uuid.UUID | None) -> bytes:
    """One event as a calendar file in the current language; a draft only for its organisers."""
    event = await get_event(event_id=event_id, user_id=user_id)
    venue = await get_venue(event.venue)
    cancelled = event.status == EventStatus.cancelled.value
    entry = Entry(event, venue, "CANCELLED" if cancelled else "CONFIRMED", event.updated_at)
    return render(pick(texts(event.title))[0], [entry])


# --- the personal feed --------------------------------------------------------------------------------


async def create_feed(*, user_id: uuid.UUID) -> str:
    """A new secret feed token, shown once; the resident's earlier feed links stop working."""
    token = secrets.token_urlsafe(32)
    now = clock.now()
    engine = CalendarFeed._meta.db
    async with transaction(engine):
        # Two concurrent requests of one resident queue here, so at most one link stays active.
        await lock_person(user_id)
        await _revoke(user_id, now)
        await CalendarFeed.insert(CalendarFeed(user=user_id, token_hash=_token_hash(token), created_at=now))
    return token


async def revoke_feeds(*, user_id: uuid.UUID) -> None:
    """Every feed link of the resident stops working (nothing to revoke is not an error)."""
    await _revoke(user_id, clock.now())


async def _revoke(user_id: uuid.UUID, now: datetime) -> None:
    await CalendarFeed.update({CalendarFeed.revoked_at: now}).where(
        (CalendarFeed.user == user_id) & CalendarFeed.revoked_at.is_null()
    )


async def feed_calendar(*, token: str, locale: str | None) -> tuple[bytes, str]:
    """The feed a token opens, in ``locale`` or else the resident's saved language: (file, locale).

    An unknown, revoked or deleted account's token answers like a missing page, so a guess
    learns nothing."""
    owner = (
        await CalendarFeed.select(CalendarFeed.user, CalendarFeed.user.locale.as_alias("locale"))
        .where(
            (CalendarFeed.token_hash == _token_hash(token))
            & CalendarFeed.revoked_at.is_null()
            & CalendarFeed.user.deleted_at.is_null()
        )
        .first()
    )
    if owner is None:
        raise NotFound("calendar_feed_not_found", N_("This calendar link does not exist or has been revoked."))
    language = next((c for c in (locale, owner["locale"]) if c in LOCALES), DEFAULT_LOCALE)
    entries = await _feed_entries(owner["user"])
    with use_locale(language):
        return render(_(FEED_NAME), entries, refresh=FEED_REFRESH), language


async def _feed_entries(user_id: uuid.UUID) -> list[Entry]:
    registrations = (
        await Registration.objects()
        .where((Registration.user == user_id) & (Registration.event.ends_at >= clock.now() - FEED_HISTORY))
        .order_by(Registration.created_at, ascending=False)
        .limit(FEED_LIMIT)
    )
    chosen = _one_per_event(registrations)
    events = (
        {e.id: e for e in await Event.objects().output(load_json=True).where(Event.id.is_in(list(chosen)))}
        if chosen
        else {}
    )
    venue_ids = list({e.venue for e in events.values()})
    venues = (
        {v.id: v for v in await Venue.objects().output(load_json=True).where(Venue.id.is_in(venue_ids))}
        if venue_ids
        else {}
    )
    entries = [
        _feed_entry(r, events[r.event], venues[events[r.event].venue]) for r in chosen.values() if r.event in events
    ]
    return sorted(entries, key=lambda e: (e.event.starts_at, str(e.event.id)))


def _one_per_event(registrations: Iterable[Registration]) -> dict[uuid.UUID, Registration]:
    """A resident may cancel and sign up again: the active registration wins, else the latest."""
    chosen: dict[uuid.UUID, Registration] = {}
    for registration in registrations:  # newest first
        current = chosen.get(registration.event)
        if current is None or (registration.status in _ACTIVE and current.status not in _ACTIVE):
            chosen[registration.event] = registration
    return chosen


def _feed_entry(registration: Registration, event: Event, venue: Venue) -> Entry:
    moments = (event.updated_at, registration.created_at, registration.confirmed_at, registration.cancelled_at)
    changed_at = max(m for m in moments if m is not None)
    if event.status == EventStatus.cancelled.value or registration.status == RegistrationStatus.cancelled.value:
        return Entry(event, venue, "CANCELLED", changed_at)
    if registration.status == RegistrationStatus.waitlisted.value:
        return Entry(event, venue, "TENTATIVE", changed_at, waitlisted=True)
    return Entry(event, venue, "CONFIRMED", changed_at)
