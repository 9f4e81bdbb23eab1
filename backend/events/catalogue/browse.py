"""Public reads, shaped once and cached per locale, made stale by any change to events: a page of
the list kept gzip-compressed, and one event. (The controller answers a cached page before the
handler runs: ``controllers.answer_from_cache``.)"""

from __future__ import annotations

import gzip
import uuid

import msgspec

from backend.core.cache import VersionedCache
from backend.core.i18n import get_locale
from backend.events.catalogue import aiming, presenters, queries
from backend.events.catalogue.schemas import EventPage
from backend.events.catalogue.tables import AimKind, EventStatus
from backend.events.signals import CACHE_NAMESPACE

# zlib's default: within a percent or two of level 9 on JSON, for a fraction of the time.
GZIP_LEVEL = 6


async def browse_events(
    *,
    filters: queries.EventFilters,
    user_id: uuid.UUID | None,
    cursor: str | None,
    limit: int,
    cache: VersionedCache,
    key: str | None = None,
) -> bytes:
    """A page of events as gzip-compressed JSON, stored under ``key`` (from ``answer_from_cache``)
    when given."""
    rows, next_cursor = await queries.list_events(filters=filters, user_id=user_id, cursor=cursor, limit=limit)
    # An event open to everyone is shown without its aim's names (it has none): only the others'
    # places are read and named.
    views = await aiming.views([r.event for r in rows if r.event["aim"] != AimKind.everyone.value])
    for_you = True if filters.places is not None and filters.places.home_set else None
    page = EventPage(
        items=[presenters.list_item(r.event, r.distance_m, views.get(r.event["id"]), for_you) for r in rows],
        next_cursor=next_cursor,
    )
    body = gzip.compress(msgspec.json.encode(page), compresslevel=GZIP_LEVEL, mtime=0)
    await cache.set(key, body)
    return body


async def read_event(*, event_id: uuid.UUID, user_id: uuid.UUID | None, cache: VersionedCache) -> bytes:
    key, hit = await cache.lookup(CACHE_NAMESPACE, "event", get_locale(), str(event_id))
    if hit is not None:
        return hit
    event = await queries.get_event(event_id=event_id, user_id=user_id)
    venue = await queries.get_venue(event.venue)
    body = msgspec.json.encode(presenters.event_read(event, venue, *await aiming.view_with_seats(event)))
    if event.status != EventStatus.draft.value:  # drafts are for their organisers only
        await cache.set(key, body)
    return body
