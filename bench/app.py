"""The real app with two bench-only endpoints, for uvicorn: ``uvicorn bench.app:app``.

Nothing here is part of the product. The endpoints go through the same server process, the same
middleware (request context, metrics, compression) and the same routing as the real ones, so a
ratio against them isolates what the real handler does:

- ``GET /bench/bare``: a fixed 20-item JSON list, encoded once at import (Litestar's floor).
- ``GET /bench/piccolo``: a bare 20-row Piccolo select of published events (the columns a list
  item is made of), encoded with msgspec: the database's floor, with no filters built, no join,
  no localisation and no cache.

``LINLI_BENCH_SQLITE_ENGINE=piccolo`` runs SQLite on Piccolo's own engine (a connection per query),
as the app did before ``backend/core/db.py`` kept its connections open, to measure the difference.

``LINLI_BENCH_CACHE=off`` switches the public-read cache off for the whole process (every list is
read from the database; the key is still computed, so with Redis its version is still read). That
is how the benches measure "uncached" without touching ``backend/core/cache.py``.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
from litestar import Response, get
from litestar.datastructures import State
from piccolo.engine.base import Engine
from piccolo.engine.sqlite import SQLiteEngine

import backend.core.resources as resources_module
from backend.app import create_app
from backend.core.cache import VersionedCache
from backend.core.db import make_engine
from backend.events.catalogue.tables import Event, EventStatus
from backend.settings import Settings

_NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
# The same fields as a real list item (backend/events/schemas.py EventListItem), so both bodies
# are of a size and pay the same encoding and compression.
BARE_BODY = msgspec.json.encode(
    {
        "items": [
            {
                "id": f"00000000-0000-4000-8000-{i:012d}",
                "title": f"Tea Ceremony #{i}",
                "summary": "Neighbours welcome: tea ceremony.",
                "locale": "en",
                "category": "workshop",
                "category_name": "Workshop",
                "status": "published",
                "starts_at": (_NOW + timedelta(days=i)).isoformat(),
                "ends_at": (_NOW + timedelta(days=i, hours=2)).isoformat(),
                "when": "Fri, 27 Nov 2026, 18:00 – 20:00",
                "venue": {
                    "id": "00000000-0000-4000-8000-00000000ffff",
                    "name": "Community Centre",
                    "latitude": 31.2946,
                    "longitude": 120.6285,
                },
                "capacity": 100,
                "seats_left": 20,
                "waitlist_length": 0,
                "is_free": True,
                "price_note": "",
                "audiences": ["all_ages"],
                "languages": ["zh", "en"],
                "accessibility": [],
                "poster_urls": {},
                "series_id": None,
                "distance_m": None,
            }
            for i in range(20)
        ],
        "next_cursor": None,
    }
)


@get("/bench/bare", sync_to_thread=False, include_in_schema=False)
def bare() -> Response[bytes]:
    return Response(content=BARE_BODY, media_type="application/json")


# What a list item is built from, minus the venue join and the localisation (descriptions, the
# largest column, are not listed): a body of the list's size class, so compression costs alike.
_LIST_COLUMNS = (
    Event.id,
    Event.title,
    Event.summary,
    Event.category,
    Event.status,
    Event.starts_at,
    Event.ends_at,
    Event.venue,
    Event.capacity,
    Event.seats_taken,
    Event.waitlist_count,
    Event.is_free,
    Event.price_note,
    Event.audience_mask,
    Event.language_mask,
    Event.accessibility_mask,
    Event.poster,
    Event.series,
)


@get("/bench/piccolo", include_in_schema=False)
async def piccolo_list() -> Response[bytes]:
    rows = await (
        Event.select(*_LIST_COLUMNS)
        .output(load_json=True)  # as the list reads them: text, not escaped JSON
        .where(Event.status == EventStatus.published.value)
        .order_by(Event.starts_at)
        .limit(20)
    )
    return Response(content=msgspec.json.encode(rows), media_type="application/json")


@get("/bench/cache", sync_to_thread=False, include_in_schema=False)
def cache_kind(state: State) -> dict[str, str]:
    """Which cache this process runs with, so a bench can check its "uncached" server is."""
    return {"cache": type(state.cache).__name__, "engine": type(state.engine).__name__}


class UncachedCache(VersionedCache):
    """Every read misses and nothing is stored: the list is always built from the database."""

    async def lookup(self, namespace: str, *parts: str) -> tuple[str | None, bytes | None]:
        key, _ = await super().lookup(namespace, *parts)  # the version is still read, as on a miss
        return key, None

    async def set(self, key: str | None, value: bytes, ttl: int = 0) -> None:
        return None


def _piccolo_sqlite_engine(settings: Settings) -> Engine:
    """The engine as it was before backend/core/db.py pooled SQLite connections, for comparison."""
    if settings.uses_postgres:
        return make_engine(settings)
    return SQLiteEngine(path=str(settings.sqlite_path), timeout=settings.sqlite_busy_timeout_seconds)


def build() -> Any:
    if os.environ.get("LINLI_BENCH_CACHE", "on") == "off":
        resources_module.VersionedCache = UncachedCache  # type: ignore[misc]  # read when resources open
    if os.environ.get("LINLI_BENCH_SQLITE_ENGINE") == "piccolo":
        resources_module.make_engine = _piccolo_sqlite_engine  # type: ignore[assignment]  # called when resources open
    application = create_app()
    application.register(bare)
    application.register(piccolo_list)
    application.register(cache_kind)
    return application


app = build()
