"""An event's poster: the organiser's image, re-encoded into renditions for slow and fast phones."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime

from backend.core.cache import VersionedCache
from backend.core.errors import DomainError
from backend.core.i18n import N_
from backend.core.images import ImageLimits, process_image
from backend.core.media import MediaStore, media_url
from backend.events.services import editable_event
from backend.events.signals import CACHE_NAMESPACE
from backend.events.tables import Event, EventStatus

POSTER_FOLDER = "posters"


def poster_urls(poster: Mapping[str, str] | str | None) -> dict[str, str]:
    """{rendition: URL} from the stored {rendition: media path}.

    A row read with ``load_json`` holds a dict; an ``Event`` just built in memory still holds the
    column's JSON text, so both are accepted.
    """
    if isinstance(poster, str):
        poster = json.loads(poster or "{}")
    return {name: media_url(path) for name, path in (poster or {}).items()}


async def set_poster(
    *,
    user_id: uuid.UUID,
    event_id: uuid.UUID,
    data: bytes,
    store: MediaStore,
    cache: VersionedCache,
    limits: ImageLimits = ImageLimits(),
) -> dict[str, str]:
    """Replace an event's poster (organisers in its scope); a refused image leaves the old one."""
    event = await editable_event(user_id=user_id, event_id=event_id)
    if event.status in (EventStatus.cancelled.value, EventStatus.completed.value):
        raise DomainError("event_closed", N_("A cancelled or completed event cannot be changed."), status=409)
    image = await process_image(data, limits=limits)
    poster = {r.key: f"{POSTER_FOLDER}/{r.filename}" for r in image.renditions}
    await store.write_many({poster[r.key]: r.data for r in image.renditions})
    # Files of an earlier poster stay: names are shared by content, and a cached page may still
    # point at them. Unreferenced media is for a sweeper to collect, not for this request.
    await Event.update({Event.poster: poster, Event.updated_at: datetime.now(UTC)}).where(Event.id == event.id)
    await cache.bump(CACHE_NAMESPACE)
    return poster_urls(poster)
