"""An event's poster: uploaded by its organisers as any image, kept as WebP and JPEG renditions.

The upload answers with the renditions a page needs first: every width up to ``FIRST_WIDTH``
(960 px), in both formats. That is what the public page falls back to and shows in link previews,
what the share card draws (the narrowest JPEG at least 750 wide) and what the console previews; a
JPEG is decoded at a quarter of its size for them, so a 24-megapixel photo costs a fraction of its
bitmap. The wider renditions (1440 px) are made by the job ``events.poster_renditions``:

- the event's ``poster`` lists only renditions whose files exist, so whoever links one (page,
  ``srcset``, share card, mini-program) gets an image, never a 404; the job adds the rest to it;
- the original waits for the job in the private store (``poster-sources/<event>-<digest>``, never
  served) and is deleted once its renditions are made or a newer poster replaced it;
- the job is idempotent (files are named by content and never rewritten; adding what is already
  there changes nothing) and holds the event's row while it adds: a job for an older upload finds
  another picture there and stops, so a newer poster is never overwritten;
- a job lost to a crash, or never queued (Redis away), is queued again by the chore
  ``poster_renditions``, which finds the originals still waiting.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import anyio.to_thread
import structlog

from backend.core import clock, jobs, runtime, signals
from backend.core.cache import VersionedCache
from backend.core.db import lock_row, transaction
from backend.core.errors import DomainError
from backend.core.i18n import N_
from backend.core.images import ImageLimits, ProcessedImage, process_image, rendition_width
from backend.core.media import MediaStore, private_root
from backend.events import trail
from backend.events.catalogue.queries import editable_event
from backend.events.catalogue.tables import Event, EventStatus
from backend.events.signals import CACHE_NAMESPACE
from backend.settings import Settings

log = structlog.get_logger("linli.posters")

POSTER_FOLDER = "posters"
SOURCES_FOLDER = "poster-sources"  # in the private store: originals waiting for their job
FIRST_WIDTH = 960  # renditions up to this width are made in the request
RENDITIONS_JOB = "events.poster_renditions"
SWEEP_CRON = "*/5 * * * *"
# The chore leaves a younger original alone: its job is most likely queued or running.
SWEEP_AFTER_SECONDS = 120.0


@dataclass(frozen=True)
class PosterSet:
    poster: dict[str, str]  # {rendition: media path}, every file there
    coming: list[str]  # renditions the job is still making, narrowest first


def first_renditions(planned: Sequence[str]) -> list[str]:
    """What the request makes: every planned rendition up to ``FIRST_WIDTH`` (all of a small
    picture), or the narrowest width if even that is wider."""
    first = [key for key in planned if rendition_width(key) <= FIRST_WIDTH]
    if first or not planned:
        return first
    narrowest = min(rendition_width(key) for key in planned)
    return [key for key in planned if rendition_width(key) == narrowest]


def sources_store(settings: Settings) -> MediaStore:
    return MediaStore(private_root(settings))


def source_path(event_id: uuid.UUID | str, digest: str) -> str:
    return f"{SOURCES_FOLDER}/{event_id}-{digest}"


def poster_digest(poster: object) -> str | None:
    """The digest of the picture a stored poster was made from (its files are "<digest>-w…")."""
    if not isinstance(poster, Mapping) or not poster:
        return None
    names = {str(path).rsplit("/", 1)[-1].split("-", 1)[0] for path in poster.values()}
    return names.pop() if len(names) == 1 else None


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
    sources: MediaStore | None = None,
) -> PosterSet:
    """Replace an event's poster (organisers in its scope); a refused image leaves the old one.
    The renditions a page needs first are made now, the rest by a job (``coming``)."""
    event = await _changeable_event(user_id, event_id)
    image = await process_image(data, limits=limits, choose=first_renditions)
    poster = _paths(image)
    await store.write_many({poster[r.key]: r.data for r in image.renditions})
    coming = list(image.rest)
    if coming:
        # Kept before the commit: once the event names this picture, its original is there for
        # the job (or, after a crash, for the chore). A write that never commits leaves an
        # original whose job finds another picture on the event and deletes it.
        waiting = sources or sources_store(runtime.current().settings)
        await waiting.write_many({source_path(event.id, image.digest): data})
    # Files of an earlier poster stay: names are shared by content, and a cached page may still
    # point at them. Unreferenced media is for a sweeper to collect, not for this request.
    await _store(event, poster)
    await cache.bump(CACHE_NAMESPACE)
    if coming:
        await _queue(event.id, image.digest)
    return PosterSet(poster=poster, coming=coming)


def _paths(image: ProcessedImage) -> dict[str, str]:
    return {r.key: f"{POSTER_FOLDER}/{r.filename}" for r in image.renditions}


async def _queue(event_id: uuid.UUID | str, digest: str) -> None:
    try:
        await jobs.enqueue(RENDITIONS_JOB, key=f"poster:{event_id}:{digest}", event_id=str(event_id), digest=digest)
    except Exception:  # Redis away: the poster is saved, the chore queues the job later
        log.warning("poster_job_not_queued", event_id=str(event_id), digest=digest, exc_info=True)


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


# --- the job and its chore -------------------------------------------------------------------------


async def make_renditions(event_id: str, digest: str) -> str:
    """The job: the renditions of the event's poster ``digest`` that the upload left for later.
    Returns what it did: "made", "done before", "replaced" (the event shows another picture
    now) or "gone" (its original was already dealt with)."""
    settings: Settings = jobs.resource("settings")
    sources = sources_store(settings)
    path = source_path(event_id, digest)
    found = sources.locate(path)
    if found is None:
        return "gone"
    current = await Event.select(Event.poster).where(Event.id == uuid.UUID(event_id)).output(load_json=True).first()
    if current is None or poster_digest(current["poster"]) != digest:
        await _forget(sources, path)
        return "replaced"
    data = await anyio.to_thread.run_sync(found.read_bytes)
    limits = ImageLimits(max_bytes=max(settings.max_image_bytes, len(data)))
    have = set(current["poster"])
    image = await process_image(data, limits=limits, choose=lambda planned: [k for k in planned if k not in have])
    made = _paths(image)
    await MediaStore(settings.media_root).write_many({made[r.key]: r.data for r in image.renditions})
    outcome = await _add(uuid.UUID(event_id), digest, made)
    cache = runtime.current().cache  # none in `linli housekeeping`: cached pages catch up on expiry
    if outcome == "made" and cache is not None:
        await cache.bump(CACHE_NAMESPACE)
    await _forget(sources, path)
    return outcome


async def _add(event_id: uuid.UUID, digest: str, made: dict[str, str]) -> str:
    """Add ``made`` to the event's poster if it still shows picture ``digest``, holding the row so
    that an upload cannot slip in between the look and the write."""
    async with transaction(Event._meta.db):
        await lock_row(Event._meta.db, Event._meta.tablename, event_id)
        row = await Event.select(Event.poster).where(Event.id == event_id).output(load_json=True).first()
        if row is None or poster_digest(row["poster"]) != digest:
            return "replaced"
        poster = dict(row["poster"])
        if all(poster.get(key) == path for key, path in made.items()):
            return "done before"
        # Sizes of the same picture, not a change of anyone's: no audit entry, updated_at kept.
        await Event.update({Event.poster: {**poster, **made}}).where(Event.id == event_id)
    return "made"


async def _forget(sources: MediaStore, path: str) -> None:
    found = sources.locate(path)
    if found is not None:
        await anyio.to_thread.run_sync(lambda: found.unlink(missing_ok=True))


async def sweep_sources(older_than_seconds: float = SWEEP_AFTER_SECONDS) -> int:
    """The chore: queue the job again for every original that has waited longer than
    ``older_than_seconds`` (its job was lost to a crash, or never queued); where there is no
    queue (``linli housekeeping``), make the renditions here. Returns how many originals."""
    folder = private_root(jobs.resource("settings")) / SOURCES_FOLDER
    waiting = await anyio.to_thread.run_sync(_waiting, folder, time.time() - older_than_seconds)
    here = runtime.current().runner is None
    for event_id, digest in waiting:
        if not here:
            await _queue(event_id, digest)
            continue
        try:
            await make_renditions(event_id, digest)
        except Exception:  # the next round tries again; one broken original must not stop the rest
            log.exception("poster_renditions_failed", event_id=event_id, digest=digest)
    return len(waiting)


def _waiting(folder: Path, before: float) -> list[tuple[str, str]]:
    if not folder.is_dir():
        return []
    found = []
    for entry in folder.iterdir():
        event_id, _, digest = entry.name.rpartition("-")
        if entry.is_file() and not entry.name.startswith(".") and entry.stat().st_mtime < before:
            try:
                found.append((str(uuid.UUID(event_id)), digest))
            except ValueError:
                continue
    return sorted(found)
