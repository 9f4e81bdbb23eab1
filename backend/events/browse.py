"""Public reads, cached per locale and made stale by any change to events."""

from __future__ import annotations

import gzip
import uuid
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.enums import MediaType

from backend.core.cache import VersionedCache
from backend.core.i18n import get_locale
from backend.core.input_checks import check_request_input
from backend.events import presenters, queries, services
from backend.events.schemas import EventPage
from backend.events.signals import CACHE_NAMESPACE
from backend.events.tables import EventStatus

# zlib's default: within a percent or two of level 9 on JSON, for a fraction of the time.
GZIP_LEVEL = 6


def list_key(request: Request[Any, Any, Any]) -> tuple[str, ...] | None:
    """What a public page of events depends on: the language it is written in and the question,
    as the client wrote it (parameters in a fixed order). None for a staff view (``mine``), which
    depends on who asks."""
    query = request.query_params
    if "mine" in query:
        return None
    asked = "&".join(f"{name}={value}" for name, value in sorted(query.multi_items()))
    return ("list", get_locale(), asked)


async def answer_from_cache(request: Request[Any, Any, Any]) -> Response[Any] | None:
    """``before_request`` of the event list: a question already answered in this language is
    answered from the cache before its seventeen query parameters are parsed (a cached answer
    was valid when it was made, so its parameters need no second look). On a miss the handler
    runs and stores its answer under the key looked up here."""
    if (refused := await check_request_input(request)) is not None:
        return refused
    parts = list_key(request)
    if parts is None:
        return None
    cache: VersionedCache = request.app.state.cache
    key, hit = await cache.lookup(CACHE_NAMESPACE, *parts)
    request.state.list_cache_key = key
    return gzipped_json(request, hit) if hit is not None else None


def gzipped_json(request: Request[Any, Any, Any], compressed: bytes) -> Response[Any]:
    """A page kept gzip-compressed, as it was compressed once when made: sent as it is to a client
    that accepts gzip (every browser and WeChat), unpacked for one that does not. The handler is
    excluded from the compression middleware, which would otherwise compress it on every hit."""
    if "gzip" in request.headers.get("accept-encoding", ""):
        return Response(
            content=compressed,
            media_type=MediaType.JSON,
            headers={"Content-Encoding": "gzip", "Vary": "Accept-Encoding"},
        )
    return Response(content=gzip.decompress(compressed), media_type=MediaType.JSON, headers={"Vary": "Accept-Encoding"})


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
    page = EventPage(items=[presenters.list_item(r.event, r.distance_m) for r in rows], next_cursor=next_cursor)
    body = gzip.compress(msgspec.json.encode(page), compresslevel=GZIP_LEVEL, mtime=0)
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
