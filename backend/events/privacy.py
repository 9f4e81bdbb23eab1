"""The events domain's part of a person's export and erasure (its manifest's ``PrivacyPart``)."""

from __future__ import annotations

import uuid
from typing import Any

from backend.core import clock, privacy
from backend.core.errors import DomainError
from backend.events.calendars.tables import CalendarFeed
from backend.events.registrations.queries import ACTIVE
from backend.events.registrations.services import cancel_registration
from backend.events.registrations.tables import Registration
from backend.events.sharing.tables import ShareLink


async def export_events(user_id: uuid.UUID) -> dict[str, Any]:
    registrations = (
        await Registration.select(
            Registration.id,
            Registration.event,
            Registration.event.title.as_alias("event_title"),
            Registration.event.starts_at.as_alias("event_starts_at"),
            Registration.status,
            Registration.party_size,
            Registration.queue_number,
            Registration.created_at,
            Registration.confirmed_at,
            Registration.cancelled_at,
            Registration.checked_in_at,
        )
        .where(Registration.user == user_id)
        .order_by(Registration.created_at)
        .output(load_json=True)
    )
    feeds = await CalendarFeed.select(CalendarFeed.id, CalendarFeed.created_at, CalendarFeed.revoked_at).where(
        CalendarFeed.user == user_id
    )
    shares = await ShareLink.select(ShareLink.code, ShareLink.event, ShareLink.created_at).where(
        ShareLink.sharer == user_id
    )
    return {"registrations": registrations, "calendar_feeds": feeds, "share_links": shares}


async def erase_events(erasure: privacy.Erasure) -> None:
    """Give up every place still to come (the waitlist moves up), revoke calendar feeds, and
    unlink share cards; attended registrations stay for the organisers' counts."""
    upcoming = await Registration.select(Registration.id).where(
        (Registration.user == erasure.user_id)
        & Registration.status.is_in(list(ACTIVE))
        & (Registration.event.starts_at > clock.now())
    )
    for row in upcoming:
        try:
            await cancel_registration(user_id=erasure.user_id, registration_id=row["id"], cache=erasure.cache)
        except DomainError:
            continue  # started or cancelled meanwhile: nothing left to release
    # Where they lived at sign-up (kept for seats per estate) goes with the account.
    await Registration.update({Registration.idempotency_key: None, Registration.estate: None}).where(
        Registration.user == erasure.user_id
    )
    await CalendarFeed.update({CalendarFeed.revoked_at: clock.now()}).where(
        (CalendarFeed.user == erasure.user_id) & CalendarFeed.revoked_at.is_null()
    )
    # An event has at most one anonymous link (a unique index): where it has one already, the
    # person's own link goes; elsewhere it becomes the anonymous one, and its code keeps working.
    shared = [
        row["event"] for row in await ShareLink.select(ShareLink.event).where(ShareLink.sharer == erasure.user_id)
    ]
    if shared:
        taken = [
            row["event"]
            for row in await ShareLink.select(ShareLink.event).where(
                ShareLink.sharer.is_null() & ShareLink.event.is_in(shared)
            )
        ]
        if taken:
            await ShareLink.delete().where((ShareLink.sharer == erasure.user_id) & ShareLink.event.is_in(taken))
    await ShareLink.update({ShareLink.sharer: None}).where(ShareLink.sharer == erasure.user_id)
