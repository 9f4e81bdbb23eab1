"""What the public pages show of events (the web domain lays it out): an event's page and where a
share link leads. Read through the API's own services, presenters and cache, in the reader's
language, with every choice a template would otherwise make already made."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Literal

import msgspec

from backend.accounts.api import organisation
from backend.core import clock, runtime
from backend.core.cache import VersionedCache
from backend.core.context import Principal
from backend.core.i18n import N_, _, format_datetime, ngettext, pick
from backend.events.catalogue import browse, presenters, queries
from backend.events.catalogue.schemas import EventRead, VenueRead
from backend.events.catalogue.vocabulary import ACCESSIBILITY_NAMES, AUDIENCE_NAMES, language_name
from backend.events.sharing.services import resolve_share_link

CALENDAR_URL = "/api/v1/events/{event_id}/calendar.ics"
_RENDITION = re.compile(r"^w(\d+)\.(webp|jpg)$")

Availability = Literal["open", "waitlist", "full", "not_open_yet", "closed", "started", "over", "cancelled"]


@dataclass(frozen=True)
class Tag:
    """A tag of the event and its name in the reader's language."""

    code: str
    name: str


@dataclass(frozen=True)
class PosterRendition:
    url: str
    width: int
    format: str  # "webp" or "jpg": a <picture> offers WebP with JPEG as the fallback


@dataclass(frozen=True)
class PublicEvent:
    """An event's public page: the API's answer (``event``: title, times, seats left, waitlist
    length, served locale and whether it was converted…) and what the page adds to it."""

    event: EventRead
    venue: VenueRead  # name, address, accessibility notes, coordinates
    organiser_name: str
    seats_left: int
    waitlist_length: int
    availability: Availability
    availability_text: str  # e.g. "3 seats left", in the reader's language
    audiences: list[Tag]
    languages: list[Tag]  # spoken at the event, named by CLDR in the reader's language
    accessibility: list[Tag]
    poster: list[PosterRendition]  # narrowest first
    calendar_url: str  # the event's .ics, for "add to calendar"


@dataclass(frozen=True)
class SharedEvent:
    """Where a share link leads: the event, and the code to hand on to sign-up (``share_code``)
    so the neighbour who shared it is credited when the visitor comes."""

    event_id: uuid.UUID
    share_code: str


async def event_page(
    event_id: uuid.UUID, viewer: Principal | None, *, cache: VersionedCache | None = None
) -> PublicEvent:
    """An event as its public page shows it, in the current locale; a draft only for the
    organisers who may manage it (404 ``event_not_found`` for anyone else). The event's answer
    comes from the same cache as GET /api/v1/events/{id}."""
    shared = cache or runtime.current().cache
    assert shared is not None, "the app's lifespan opens the cache"
    body = await browse.read_event(event_id=event_id, user_id=viewer.id if viewer else None, cache=shared)
    event = msgspec.json.decode(body, type=EventRead)
    venue = presenters.venue_read(await queries.get_venue(event.venue.id))
    organiser = await organisation(event.organisation_id)
    state = availability(event)
    return PublicEvent(
        event=event,
        venue=venue,
        organiser_name=pick(organiser.name)[0] if organiser else "",
        seats_left=event.seats_left,
        waitlist_length=event.waitlist_length,
        availability=state,
        availability_text=availability_text(event, state),
        audiences=[Tag(code, _(AUDIENCE_NAMES[code])) for code in event.audiences],
        languages=[Tag(code, language_name(code)) for code in event.languages],
        accessibility=[Tag(code, _(ACCESSIBILITY_NAMES[code])) for code in event.accessibility],
        poster=renditions(event.poster_urls),
        calendar_url=CALENDAR_URL.format(event_id=event.id),
    )


def availability(event: EventRead) -> Availability:
    """Whether and how one can sign up now, by the same rules as sign-up itself."""
    now = clock.now()
    if event.status == "cancelled":
        return "cancelled"
    if event.status == "completed" or event.ends_at <= now:
        return "over"
    if event.starts_at <= now:
        return "started"
    if event.registration_closes_at is not None and now >= event.registration_closes_at:
        return "closed"
    if event.registration_opens_at is not None and now < event.registration_opens_at:
        return "not_open_yet"
    if event.seats_left > 0:
        return "open"
    return "waitlist" if event.waitlist_enabled else "full"


def availability_text(event: EventRead, state: Availability) -> str:
    if state == "open":
        return ngettext("{count} seat left", "{count} seats left", event.seats_left).format(count=event.seats_left)
    if state == "waitlist":
        return ngettext(
            "Full; {count} party on the waitlist", "Full; {count} parties on the waitlist", event.waitlist_length
        ).format(count=event.waitlist_length)
    if state == "not_open_yet" and event.registration_opens_at is not None:
        return _("Registration opens at {opens_at}.").format(opens_at=format_datetime(event.registration_opens_at))
    return _(_STATE_TEXTS[state])


_STATE_TEXTS: dict[str, str] = {
    "full": N_("This event is full."),
    "closed": N_("Registration for this event has closed."),
    "started": N_("The event has already started."),
    "over": N_("This event is over."),
    "cancelled": N_("This event has been cancelled."),
}


def renditions(poster_urls: dict[str, str]) -> list[PosterRendition]:
    found = [
        PosterRendition(url=url, width=int(match.group(1)), format=match.group(2))
        for key, url in poster_urls.items()
        if (match := _RENDITION.match(key))
    ]
    return sorted(found, key=lambda r: (r.width, r.format))


async def share_link(code: str) -> SharedEvent:
    """The event a share link (``/s/<code>``, or a scanned scene ``e=<code>``) leads to, found as
    GET /api/v1/share-links/{code} finds it: 404 ``share_link_not_found`` for an unknown one.
    Nothing is recorded on a visit; the sharer is credited when the visitor signs up with the
    code and is checked in."""
    event_id = await resolve_share_link(code=code)
    return SharedEvent(event_id=event_id, share_code=code.removeprefix("e="))
