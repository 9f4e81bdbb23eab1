"""The demo's library branches stay alive: every start reports free seats again where the last
report is old, and adds no branch, room or report twice."""

from __future__ import annotations

from datetime import timedelta

import httpx

from backend.core import clock
from backend.core.tables import AuditEntry
from backend.core.wiring import seed_demo
from backend.domains import DOMAINS
from backend.libraries.tables import LibraryBranch, ReadingRoom
from backend.settings import Settings

Client = httpx.AsyncClient


async def counts() -> tuple[int, int, int]:
    reports = await AuditEntry.count().where(AuditEntry.action == "libraries.seats_reported")
    return await LibraryBranch.count(), await ReadingRoom.count(), reports


async def test_seat_counts_are_fresh_whenever_the_demo_starts(client: Client, settings: Settings) -> None:
    await seed_demo(DOMAINS, keys=settings.sealing_keys)
    branches, rooms, reports = await counts()
    assert (branches, reports) == (12, 8)  # eight demo branches have a count to show
    known = (await client.get("/api/v1/library-branches", params={"limit": 50})).json()
    assert sum(b["occupancy"]["known"] for b in known) == 8

    again = await seed_demo(DOMAINS, keys=settings.sealing_keys)  # started again at once: nothing twice
    assert await counts() == (branches, rooms, reports)
    assert "free seats reported again" not in again

    # Seeded three days ago: the counts have gone stale, and the next start reports them again.
    await LibraryBranch.update({LibraryBranch.free_seats_at: clock.now() - timedelta(days=3)}).where(
        LibraryBranch.free_seats_at.is_not_null()
    )
    stale = (await client.get("/api/v1/library-branches", params={"has_free_seats": "true"})).json()
    assert stale == []
    later = await seed_demo(DOMAINS, keys=settings.sealing_keys)
    assert "free seats reported again at 8" in later
    assert await counts() == (branches, rooms, reports + 8)
    fresh = (await client.get("/api/v1/library-branches", params={"has_free_seats": "true", "limit": 50})).json()
    assert len(fresh) == 7  # 平江路分馆 is full: known, but no seat free
