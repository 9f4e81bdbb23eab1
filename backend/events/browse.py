"""Public reads, cached per locale and made stale by any change to events."""

from __future__ import annotations

import uuid

import msgspec

from backend.core.cache import VersionedCache
from backend.core.i18n import get_locale
from backend.events import presenters, queries, services
from backend.events.schemas import EventPage
from backend.events.signals import CACHE_NAMESPACE
from backend.events.tables import EventStatus


async def browse_events(
    *, filters: queries.EventFilters, user_id: uuid.UUID | None, cursor: str | None, limit: int, cache: VersionedCache
) -> bytes:
    """A page of events as JSON; the same question in the same language is answered once."""
    key = None
    if not filters.mine:  # a staff view depends on who asks; the public one does not
        key, hit = await cache.lookup(CACHE_NAMESPACE, "list", get_locale(), repr(filters), cursor or "", str(limit))
        if hit is not None:
            return hit
    rows, next_cursor = await queries.list_events(filters=filters, user_id=user_id, cursor=cursor, limit=limit)
    page = EventPage(items=[presenters.list_item(r.event, r.distance_m) for r in rows], next_cursor=next_cursor)
    body = msgspec.json.encode(page)
    await cache.set(key, body)
    return body


async def read_event(*, event_id: uuid.UUID, user_id: uuid.UUID | None, cache: VersionedCache) -> bytes:
    key, hit = await cache.lookup(CACHE_NAMESPACE, "event", get_locale(), str(event_id))
    if hit is not None:
        return hit
    event = await services.get_event(event_id=event_id, user_id=user_id)
    body = msgspec.json.encode(presenters.event_read(event, await services.get_venue(event.venue)))
    if event.status != EventStatus.draft.value:  # drafts are for their organisers only
        await cache.set(key, body)
    return body
