"""What the public pages' templates are handed, shaped from the domains' page reads: the few
words and choices the reads leave to the page (which language a text is in, which poster
rendition a preview uses, how a service record's status reads), made here so that a template
only lays things out."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from babel import Locale
from babel.dates import format_date, format_timedelta
from babel.lists import format_list

from backend.core import clock
from backend.core.errors import NotFound
from backend.core.i18n import CITY_TZ, N_, _, babel_locale, format_hours, get_locale, ngettext, pick
from backend.events.api import PosterRendition, PublicEvent
from backend.libraries.api import BranchPage
from backend.volunteers.api import ISSUER, RecordVerification

# The widest a preview card shows; a larger rendition only costs the chat app bandwidth.
PREVIEW_WIDTH = 1200
EVENT_PAGE = "/events/{event_id}"
SHARE_PAGE = "/s/{code}"
SHARE_CARD = "/api/v1/events/{event_id}/share-card?lang={lang}"


_SHARE_CODE = re.compile(r"[0-9A-Za-z]{1,16}")


def path_id(text: str, not_found: NotFound) -> uuid.UUID:
    """An id from a page's path; anything else is a page that does not exist (not a 400)."""
    try:
        return uuid.UUID(text)
    except ValueError:
        raise not_found from None


def share_code_of(text: str | None) -> str | None:
    """A share code handed on to the mini-program, if it looks like one (it credits nobody
    otherwise: sign-up checks it against the event)."""
    return text if text and _SHARE_CODE.fullmatch(text) else None


def language_name(locale: str) -> str:
    """A content language named in the reader's language: 日语, Japanese, 中国語（簡体字）…"""
    # By language and script only: "Chinese (Simplified)", not "(Simplified, China)".
    return Locale.parse(locale.replace("-", "_")).get_display_name(babel_locale()) or locale


def listed(names: Sequence[str]) -> str:
    """``中文、吴语``, ``Chinese and Wu``: a list as the reader's language writes one."""
    return format_list(list(names), locale=babel_locale()) if names else ""


def content_note(served: str | None, converted: bool) -> str | None:
    """Say when organiser-written text is not exactly what the reader asked for."""
    if served is None:
        return None
    if converted:
        source = "zh-Hans" if served == "zh-Hant" else "zh-Hant"
        return _("Converted automatically from {language}.").format(language=language_name(source))
    if served != get_locale():
        return _("Not written in your language; shown in {language}.").format(language=language_name(served))
    return None


@dataclass(frozen=True)
class Poster:
    """A poster as ``<picture>`` offers it: WebP and JPEG ``srcset``s and the JPEG fallback."""

    webp: str
    jpeg: str
    fallback: str
    preview: str  # the rendition a link preview shows (og:image), absolute later


def poster(renditions: Sequence[PosterRendition]) -> Poster | None:
    jpegs = [r for r in renditions if r.format == "jpg"]
    if not jpegs:
        return None
    webps = [r for r in renditions if r.format == "webp"]
    fitting = [r for r in jpegs if r.width <= PREVIEW_WIDTH] or jpegs[:1]
    middle = [r for r in jpegs if r.width <= 960] or jpegs[:1]
    return Poster(
        webp=", ".join(f"{r.url} {r.width}w" for r in webps),
        jpeg=", ".join(f"{r.url} {r.width}w" for r in jpegs),
        fallback=middle[-1].url,
        preview=fitting[-1].url,
    )


@dataclass(frozen=True)
class EventView:
    """An event's page: the events domain's ``PublicEvent`` and what the page adds."""

    shown: PublicEvent
    note: str | None  # the title's language, when it is not the reader's
    poster: Poster | None
    party: str
    price: str
    languages: str  # spoken at the event, as a list in the reader's language
    accessibility: str
    page_url: str  # canonical, on the public address
    image_url: str  # for link previews (og:image): the poster, else the share card
    description: str  # for link previews: the summary, else the time and place


def event_view(shown: PublicEvent, public_base_url: str) -> EventView:
    event = shown.event
    size = event.max_party_size
    party = ngettext("Up to {count} person per sign-up", "Up to {count} people per sign-up", size).format(count=size)
    base = public_base_url.rstrip("/")
    shown_poster = poster(shown.poster)
    image = shown_poster.preview if shown_poster else SHARE_CARD.format(event_id=event.id, lang=get_locale())
    return EventView(
        shown=shown,
        note=content_note(event.locale, event.converted),
        poster=shown_poster,
        party=party,
        price=_("Free") if event.is_free else (event.price_note or _("Paid")),
        languages=listed([tag.name for tag in shown.languages]),
        accessibility=listed([tag.name for tag in shown.accessibility]),
        page_url=base + EVENT_PAGE.format(event_id=event.id),
        image_url=base + image,
        description=event.summary or f"{event.when} · {shown.venue.name}",
    )


# --- library branches -------------------------------------------------------------------------------


def seats_age(shown: BranchPage) -> str | None:
    """How old a count of free seats is; a stale one is said to be too old to go by."""
    seats = shown.seats
    if seats is None or seats.reported_at is None:
        return None
    if seats.known:
        return seats.age
    ago = format_timedelta(seats.reported_at - clock.now(), add_direction=True, locale=babel_locale())
    return _("The last count, {age}, is too old to go by.").format(age=ago)


# --- service records --------------------------------------------------------------------------------

_VALID = N_("Valid")
_SUPERSEDED = N_("Superseded")
_UNKNOWN = N_("Unknown")


@dataclass(frozen=True)
class TeamLine:
    team: str
    community: str
    hours: str


@dataclass(frozen=True)
class RecordView:
    """A service record's verification: its state in words and what the record states."""

    state: str  # valid, superseded, unknown
    state_text: str
    explanation: str
    number: str | None
    holder: str | None
    hours: str | None
    period: str | None
    issued: str | None
    issuer: str
    teams: tuple[TeamLine, ...]


def _day(value: date) -> str:
    return format_date(value, "long", locale=babel_locale())


def hours_text(minutes: int) -> str:
    """``12.5 hours``, ``1 hour``: the unit in the reader's language."""
    return ngettext("{hours} hour", "{hours} hours", 1 if minutes == 60 else 2).format(hours=format_hours(minutes))


def record_view(found: RecordVerification | None) -> RecordView:
    if found is None:
        return RecordView(
            state="unknown",
            state_text=_(_UNKNOWN),
            explanation=_("No service record carries this number or code. Check it against the printed record."),
            number=None,
            holder=None,
            hours=None,
            period=None,
            issued=None,
            issuer=_(ISSUER),
            teams=(),
        )
    if found.superseded:
        state, text = "superseded", _(_SUPERSEDED)
        explanation = _(
            "This record is genuine, but a newer record has been issued since: the holder's verified hours "
            "have changed. Ask for the newer one."
        )
    else:
        state, text = "valid", _(_VALID)
        explanation = _("This record is genuine and is the latest issued to its holder.")
    period = None
    if found.period_start and found.period_end:
        period = _("{start} to {end}").format(start=_day(found.period_start), end=_day(found.period_end))
    return RecordView(
        state=state,
        state_text=text,
        explanation=explanation,
        number=found.record_number,
        holder=found.holder_masked,
        hours=hours_text(found.total_minutes),
        period=period,
        issued=_day(found.issued_at.astimezone(CITY_TZ).date()),
        issuer=_(ISSUER),
        teams=tuple(
            TeamLine(team=pick(t.name)[0], community=pick(t.community)[0], hours=hours_text(t.minutes))
            for t in found.teams
        ),
    )
