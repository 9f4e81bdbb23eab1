"""Shaping venues and events for the API, in the caller's language."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import msgspec

from backend.core.clock import utc
from backend.core.i18n import _, format_interval, get_locale, pick, pick_content
from backend.core.media import media_url
from backend.events.catalogue.aiming import AimView, Eligibility, place_words
from backend.events.catalogue.schemas import (
    AimKindCode,
    AudienceRead,
    EligibilityRead,
    EstateSeatsRead,
    EventListItem,
    EventRead,
    PlaceRef,
    VenueBrief,
    VenueRead,
)
from backend.events.catalogue.tables import Event, Venue
from backend.events.catalogue.texts import texts
from backend.events.catalogue.vocabulary import ACCESSIBILITY, AUDIENCES, SPOKEN_LANGUAGES, category_name, from_mask


def poster_urls(poster: Mapping[str, str] | str | None) -> dict[str, str]:
    """{rendition: URL} from the stored {rendition: media path}.

    A row read with ``load_json`` holds a dict; an ``Event`` just built in memory still holds the
    column's JSON text, so both are accepted.
    """
    stored: Mapping[str, str] | None = msgspec.json.decode(poster) if isinstance(poster, (str, bytes)) else poster
    return {name: media_url(path) for name, path in (stored or {}).items()}


def _content(value: Mapping[str, str] | str | bytes | None) -> Mapping[str, str] | None:
    """A JSON column of texts by language: read with ``load_json`` (a dict), or as the database
    driver gives it (text: the event list reads its columns without Piccolo)."""
    return msgspec.json.decode(value) if isinstance(value, (str, bytes)) else value


def audience_read(kind: AimKindCode, view: AimView | None) -> AudienceRead:
    """Whom an event is for, with its places' names (a row read without them says only the kind)."""
    if kind == "everyone" or view is None:
        label = _("Open to everyone") if kind == "everyone" else _("For residents of some estates")
        return AudienceRead(kind=kind, label=label, estates=[], alliance=None, grid=None)
    aim, names = view.aim, view.names
    if kind == "alliance":
        label = _("For residents of the estates of {alliance}").format(alliance=place_words(view))
    elif kind == "grid":
        label = _("For residents of the grid {grid}").format(grid=place_words(view))
    else:
        label = _("For residents of {estates}").format(estates=place_words(view))
    return AudienceRead(
        kind=kind,
        label=label,
        estates=sorted(
            (PlaceRef(id=e, name=pick(names.estates.get(e, {}))[0]) for e in aim.estate_ids), key=lambda p: p.name
        ),
        alliance=PlaceRef(id=aim.alliance_id, name=pick(names.alliances.get(aim.alliance_id, {}))[0])
        if aim.alliance_id
        else None,
        grid=PlaceRef(id=aim.grid_id, name=pick(names.grids.get(aim.grid_id, {}))[0]) if aim.grid_id else None,
    )


def seats_by_estate(view: AimView | None, left: Mapping[Any, int]) -> list[EstateSeatsRead]:
    if view is None:
        return []
    return [
        EstateSeatsRead(
            estate_id=estate,
            name=pick(view.names.estates.get(estate, {}))[0],
            seats=seats,
            seats_left=left.get(estate, seats),
        )
        for estate, seats in view.seats.items()
    ]


@lru_cache(maxsize=512)
def _tags(mask: int, vocabulary: tuple[str, ...]) -> tuple[str, ...]:
    """A mask's tags: a list page has many items and few distinct masks."""
    return tuple(from_mask(mask, vocabulary))


@lru_cache(maxsize=256)
def _category_name(category: str, locale: str) -> str:
    """The category's name in ``locale`` (the caller's, which ``category_name`` writes in)."""
    return category_name(category)


def _common(
    row: Mapping[str, Any], venue: VenueBrief, distance_m: int | None, view: AimView | None = None
) -> dict[str, Any]:
    reader = get_locale()
    title = pick_content(_content(row["title"]), reader)
    summary = pick_content(_content(row["summary"]), title.locale).text
    price_note = pick_content(_content(row["price_note"]), title.locale).text
    return {
        "id": row["id"],
        "title": title.text,
        "summary": summary,
        "locale": title.locale,
        "converted": title.converted,
        "category": row["category"],
        "category_name": _category_name(row["category"], reader),
        "status": row["status"],
        "starts_at": utc(row["starts_at"]),
        "ends_at": utc(row["ends_at"]),
        "when": format_interval(row["starts_at"], row["ends_at"]),
        "venue": venue,
        "capacity": row["capacity"],
        "seats_left": max(0, row["capacity"] - row["seats_taken"]),
        "waitlist_length": row["waitlist_count"],
        "is_free": row["is_free"],
        "price_note": price_note,
        "audiences": list(_tags(row["audience_mask"], AUDIENCES)),
        "languages": list(_tags(row["language_mask"], SPOKEN_LANGUAGES)),
        "accessibility": list(_tags(row["accessibility_mask"], ACCESSIBILITY)),
        "poster_urls": poster_urls(row.get("poster")),
        "series_id": row["series"],
        "max_party_size": row["max_party_size"],
        "distance_m": distance_m,
        "audience": audience_read(row.get("aim") or "everyone", view),
        "fellowship": bool(row.get("fellowship")),
    }


def list_item(
    row: Mapping[str, Any], distance_m: int | None = None, view: AimView | None = None, for_you: bool | None = None
) -> EventListItem:
    """A row of ``queries.list_events`` (with the venue's columns joined), and its aim's names."""
    venue = VenueBrief(
        id=row["venue"],
        name=pick(_content(row["venue_name"]))[0],
        latitude=row["venue_latitude"],
        longitude=row["venue_longitude"],
    )
    return EventListItem(**_common(row, venue, distance_m, view), for_you=for_you)


def event_read(
    event: Event, venue: Venue, view: AimView | None = None, estate_seats_left: Mapping[Any, int] | None = None
) -> EventRead:
    row = event.to_dict()
    brief = VenueBrief(id=venue.id, name=pick(texts(venue.name))[0], latitude=venue.latitude, longitude=venue.longitude)
    common = _common(row, brief, None, view)
    return EventRead(
        **common,
        description=pick(texts(event.description), common["locale"])[0],
        organisation_id=event.organisation,
        registration_opens_at=utc(event.registration_opens_at),
        registration_closes_at=utc(event.registration_closes_at),
        waitlist_enabled=event.waitlist_enabled,
        contact_name=event.contact_name,
        contact_phone=event.contact_phone,
        occurrence=event.occurrence,
        seats_by_estate=seats_by_estate(view, estate_seats_left or {}),
    )


def venue_read(venue: Venue) -> VenueRead:
    return VenueRead(
        id=venue.id,
        name=pick(texts(venue.name))[0],
        address=pick(texts(venue.address))[0],
        latitude=venue.latitude,
        longitude=venue.longitude,
        community_id=venue.community,
        accessibility_notes=pick(texts(venue.accessibility_notes))[0],
        organisation_id=venue.organisation,
        shared=venue.shared,
    )


def eligibility_read(found: Eligibility) -> EligibilityRead:
    reason = _(found.message).format(**found.params) if found.message else None
    return EligibilityRead(for_you=found.for_you, reason=reason, code=found.code)
