"""What the audit trail keeps of the events domain: the fields that matter, never a whole row.

Every change staff make to the catalogue leaves one entry per object changed (``core.audit``),
inside the transaction that makes it: a series created or edited "this and following" leaves one
entry for each occurrence, so an administrator who looks up one event finds everything done to
it. The organiser's contact is kept masked, as a name or phone always is in the trail.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from backend.accounts.api import Permission
from backend.core import audit
from backend.core.values import mask_name, mask_phone
from backend.events.catalogue.presenters import poster_urls
from backend.events.catalogue.tables import Event, Venue
from backend.events.catalogue.vocabulary import ACCESSIBILITY, AUDIENCES, SPOKEN_LANGUAGES, from_mask

PERMISSION = Permission.manage_events.value


def venue_fields(venue: Venue) -> dict[str, Any]:
    return {
        "name": venue.name,
        "organisation": venue.organisation,
        "community": venue.community,
        "latitude": venue.latitude,
        "longitude": venue.longitude,
        "shared": venue.shared,
    }


def event_fields(event: Event) -> dict[str, Any]:
    """The event as an administrator asks about it: what it is, when, where, for how many."""
    return {
        "status": event.status,
        "title": event.title,
        "summary": event.summary,
        "description": event.description,
        "category": event.category,
        "venue": event.venue,
        "series": event.series,
        "starts_at": event.starts_at,
        "ends_at": event.ends_at,
        "capacity": event.capacity,
        "max_party_size": event.max_party_size,
        "waitlist_enabled": event.waitlist_enabled,
        "registration_opens_at": event.registration_opens_at,
        "registration_closes_at": event.registration_closes_at,
        "audiences": from_mask(event.audience_mask, AUDIENCES),
        "languages": from_mask(event.language_mask, SPOKEN_LANGUAGES),
        "accessibility": from_mask(event.accessibility_mask, ACCESSIBILITY),
        "is_free": event.is_free,
        "price_note": event.price_note,
        "contact_name": mask_name(event.contact_name) if event.contact_name else "",
        "contact_phone": mask_phone(event.contact_phone) if event.contact_phone else "",
        "aim": event.aim,
        "aim_alliance": event.aim_alliance,
        "aim_grid": event.aim_grid,
        "fellowship": event.fellowship,
    }


async def venue_created(venue: Venue) -> None:
    await audit.record(
        "events.venue_created",
        object_type="venue",
        object_id=venue.id,
        organisation_id=venue.organisation,
        permission=PERMISSION,
        after=venue_fields(venue),
    )


async def event_changed(
    action: str, event: Event, *, before: dict[str, Any] | None = None, after: dict[str, Any] | None = None
) -> None:
    """One entry for one event, filed under its organisation (``action``: events.event_<verb>)."""
    await audit.record(
        action,
        object_type="event",
        object_id=event.id,
        organisation_id=event.organisation,
        permission=PERMISSION,
        before=before,
        after=after,
    )


async def status_changed(action: str, event: Event, new_status: str, **after: Any) -> None:
    await event_changed(action, event, before={"status": event.status}, after={"status": new_status, **after})


async def poster_changed(event: Event, *, before: Any, after: Any) -> None:
    """Uploaded (``after`` set) or removed (``after`` empty): the rendition URLs before and after."""
    await event_changed(
        "events.poster_uploaded" if after else "events.poster_removed",
        event,
        before={"poster": sorted(poster_urls(before).values())},
        after={"poster": sorted(poster_urls(after).values())},
    )


async def ticket_checked_in(
    registration_id: uuid.UUID, event: Event, *, party_size: int, checked_in_at: datetime
) -> None:
    await audit.record(
        "events.ticket_checked_in",
        object_type="registration",
        object_id=registration_id,
        organisation_id=event.organisation,
        permission=PERMISSION,
        before={"status": "confirmed"},
        after={"status": "attended", "event": event.id, "party_size": party_size, "checked_in_at": checked_in_at},
    )


async def attendees_read(event_id: uuid.UUID, organisation_id: uuid.UUID, *, format: str, rows: int) -> None:
    """A sensitive read: the organiser's list of who signed up (names and phones masked)."""
    await audit.record(
        "events.attendees_read",
        object_type="event",
        object_id=event_id,
        organisation_id=organisation_id,
        permission=PERMISSION,
        after={"format": format, "rows": rows},
        read=True,
    )
