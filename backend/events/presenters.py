"""Shaping events and registrations for the API, in the caller's language."""

from __future__ import annotations

import dataclasses
from typing import Any

from backend.core.i18n import CITY_TZ, _, format_datetime, format_interval, ngettext, pick
from backend.core.sheets import excel_csv
from backend.events import checkins
from backend.events.posters import poster_urls
from backend.events.registrations import RegisteredEvent
from backend.events.schemas import (
    AttendeeList,
    AttendeeRead,
    CheckInRead,
    EventBrief,
    EventListItem,
    EventRead,
    RegistrationRead,
    VenueBrief,
    VenueRead,
)
from backend.events.tables import Event, Registration, Venue
from backend.events.vocabulary import (
    ACCESSIBILITY,
    AUDIENCES,
    REGISTRATION_STATUS_NAMES,
    SPOKEN_LANGUAGES,
    category_name,
    from_mask,
)


def _common(row: dict[str, Any], venue: VenueBrief, distance_m: int | None) -> dict[str, Any]:
    title, served = pick(row["title"])
    summary, _ = pick(row["summary"], served)
    price_note, _ = pick(row["price_note"], served)
    return {
        "id": row["id"],
        "title": title,
        "summary": summary,
        "locale": served,
        "category": row["category"],
        "category_name": category_name(row["category"]),
        "status": row["status"],
        "starts_at": row["starts_at"],
        "ends_at": row["ends_at"],
        "when": format_interval(row["starts_at"], row["ends_at"]),
        "venue": venue,
        "capacity": row["capacity"],
        "seats_left": max(0, row["capacity"] - row["seats_taken"]),
        "waitlist_length": row["waitlist_count"],
        "is_free": row["is_free"],
        "price_note": price_note,
        "audiences": from_mask(row["audience_mask"], AUDIENCES),
        "languages": from_mask(row["language_mask"], SPOKEN_LANGUAGES),
        "accessibility": from_mask(row["accessibility_mask"], ACCESSIBILITY),
        "poster_urls": poster_urls(row.get("poster")),
        "series_id": row["series"],
        "distance_m": distance_m,
    }


def list_item(row: dict[str, Any], distance_m: int | None = None) -> EventListItem:
    """A row of ``queries.list_events`` (with the venue's columns joined)."""
    venue = VenueBrief(
        id=row["venue"],
        name=pick(row["venue_name"])[0],
        latitude=row["venue_latitude"],
        longitude=row["venue_longitude"],
    )
    return EventListItem(**_common(row, venue, distance_m))


def event_read(event: Event, venue: Venue) -> EventRead:
    row = event.to_dict()
    brief = VenueBrief(id=venue.id, name=pick(venue.name)[0], latitude=venue.latitude, longitude=venue.longitude)
    common = _common(row, brief, None)
    return EventRead(
        **common,
        description=pick(event.description, common["locale"])[0],
        organisation_id=event.organisation,
        registration_opens_at=event.registration_opens_at,
        registration_closes_at=event.registration_closes_at,
        max_party_size=event.max_party_size,
        waitlist_enabled=event.waitlist_enabled,
        contact_name=event.contact_name,
        contact_phone=event.contact_phone,
        occurrence=event.occurrence,
    )


def venue_read(venue: Venue) -> VenueRead:
    return VenueRead(
        id=venue.id,
        name=pick(venue.name)[0],
        address=pick(venue.address)[0],
        latitude=venue.latitude,
        longitude=venue.longitude,
        community_id=venue.community,
        accessibility_notes=pick(venue.accessibility_notes)[0],
        organisation_id=venue.organisation,
    )


def registration_read(
    registration: Registration, event: RegisteredEvent, venue_name: dict[str, str], position: int | None
) -> RegistrationRead:
    return RegistrationRead(
        id=registration.id,
        status=registration.status,  # type: ignore[arg-type]
        party_size=registration.party_size,
        waitlist_position=position,
        created_at=registration.created_at,
        event=EventBrief(
            id=event.id,
            title=pick(event.title)[0],
            starts_at=event.starts_at,
            ends_at=event.ends_at,
            when=format_interval(event.starts_at, event.ends_at),
            venue_name=pick(venue_name)[0],
            status=event.status,  # type: ignore[arg-type]
        ),
    )


def attendee_list(attendees: list[checkins.Attendee], counts: dict[str, int]) -> AttendeeList:
    people = {status: 0 for status in counts}
    for attendee in attendees:
        people[attendee.status] += attendee.party_size
    return AttendeeList(
        counts=counts,
        people=people,
        items=[AttendeeRead(**dataclasses.asdict(a)) for a in attendees],  # type: ignore[arg-type]
    )


def attendees_csv(attendees: list[checkins.Attendee]) -> bytes:
    """For Excel: names are residents' own input, so no cell may run as a formula."""
    header = [_("Name"), _("Phone"), _("People"), _("Status"), _("Place in line"), _("Signed up"), _("Checked in")]
    rows = [
        [
            a.name,
            a.phone or "",
            a.party_size,
            _(REGISTRATION_STATUS_NAMES[a.status]),
            a.waitlist_position or "",
            format_datetime(a.created_at),
            format_datetime(a.checked_in_at) if a.checked_in_at else "",
        ]
        for a in attendees
    ]
    return excel_csv(header, rows)


def check_in_read(result: checkins.CheckIn) -> CheckInRead:
    registration = result.registration
    if result.already:
        local = registration.checked_in_at.astimezone(CITY_TZ) if registration.checked_in_at else None
        message = _("Already checked in at {time}.").format(time=local.strftime("%H:%M") if local else "")
    else:
        message = ngettext(
            "Welcome! {count} person checked in.", "Welcome! {count} people checked in.", registration.party_size
        ).format(count=registration.party_size)
    return CheckInRead(
        registration_id=registration.id,
        name=result.display_name,
        party_size=registration.party_size,
        status=registration.status,  # type: ignore[arg-type]
        checked_in_at=registration.checked_in_at,
        already_checked_in=result.already,
        message=message,
    )
