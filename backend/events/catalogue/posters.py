"""An event's poster: uploaded by its organisers as any image, kept as WebP and JPEG renditions."""

from __future__ import annotations

import uuid

from backend.core import clock, signals
from backend.core.cache import VersionedCache
from backend.core.errors import DomainError
from backend.core.i18n import N_
from backend.core.images import ImageLimits, process_image
from backend.core.media import MediaStore
from backend.events import trail
from backend.events.catalogue.queries import editable_event
from backend.events.catalogue.tables import Event, EventStatus
from backend.events.signals import CACHE_NAMESPACE

POSTER_FOLDER = "posters"


async def _changeable_event(user_id: uuid.UUID, event_id: uuid.UUID) -> Event:
    event = await editable_event(user_id=user_id, event_id=event_id)
    if event.status in (EventStatus.cancelled.value, EventStatus.completed.value):
        raise DomainError("event_closed", N_("A cancelled or completed event cannot be changed."), status=409)
    return event


async def set_poster(
    *,
    user_id: uuid.UUID,
    event_id: uuid.UUID,
    data: bytes,
    store: MediaStore,
    cache: VersionedCache,
    limits: ImageLimits = ImageLimits(),
) -> dict[str, str]:
    """Replace an event's poster (organisers in its scope); a refused image leaves the old one.
    Returns the stored poster, {rendition: media path}."""
    event = await _changeable_event(user_id, event_id)
    image = await process_image(data, limits=limits)
    poster = {r.key: f"{POSTER_FOLDER}/{r.filename}" for r in image.renditions}
    await store.write_many({poster[r.key]: r.data for r in image.renditions})
    # Files of an earlier poster stay: names are shared by content, and a cached page may still
    # point at them. Unreferenced media is for a sweeper to collect, not for this request.
    await _store(event, poster)
    await cache.bump(CACHE_NAMESPACE)
    return poster


async def remove_poster(*, user_id: uuid.UUID, event_id: uuid.UUID, cache: VersionedCache) -> None:
    """The event goes back to having no poster (its share card draws none); nothing to remove is
    not an error."""
    event = await _changeable_event(user_id, event_id)
    if event.poster:
        await _store(event, {})
        await cache.bump(CACHE_NAMESPACE)


async def _store(event: Event, poster: dict[str, str]) -> None:
    async with signals.atomic():
        await Event.update({Event.poster: poster, Event.updated_at: clock.now()}).where(Event.id == event.id)
        await trail.poster_changed(event, before=event.poster, after=poster)
