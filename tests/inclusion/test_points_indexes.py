"""A resident's balance, what expires soon and a page of their points read only their index
entries (issue 21).

``GET /me/points`` sums the person's points three ways and reads a page newest first. At a
million entries the sums must not fetch every one of the person's rows from the table: the
``("user", created_at, id, points, reason, expires_at)`` index holds all they read (migration
2026-12-05T23:50; bench/RESULTS.md has the figures). The plans of the very queries the API runs
are checked on both databases (PostgreSQL told not to scan or sort when it has any other way, as
it would not with many rows), and the API's answer is checked against the ledger.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import httpx

from backend.core import clock
from backend.inclusion.points.expiry import due_queries
from backend.inclusion.points.ledger import balance_query
from backend.inclusion.points.queries import EXPIRING_SOON, page_query
from backend.inclusion.points.tables import PointEntry, PointReason
from tests import factories
from tests.plans import index_plan

INDEX = "inclusion_point_entry_person"


async def plan(backend: str, query: Any, *, competing: tuple[str, ...] = ()) -> str:
    return await index_plan(PointEntry, backend, query, competing=competing)


async def ledger() -> tuple[dict[str, str], uuid.UUID]:
    """A resident with 24 entries: awards (some expired, some expiring within 30 days, some later),
    spending, a refund and an expiry; two entries an hour, so the page's ties are broken by id."""
    resident = await factories.resident()
    now = clock.now()
    start = now - timedelta(days=400)
    kinds = [
        (PointReason.attendance, 10, now - timedelta(days=5)),  # expired
        (PointReason.volunteer_hours, 20, now + timedelta(days=10)),  # expiring soon
        (PointReason.attendance, 10, now + timedelta(days=200)),
        (PointReason.redemption, -15, None),
        (PointReason.redemption_refund, 5, None),
        (PointReason.expiry, -3, None),
    ]
    for i in range(24):
        reason, points, expires = kinds[i % len(kinds)]
        created = start + timedelta(hours=i // 2)
        await PointEntry(
            user=resident.id,
            points=points,
            reason=reason.value,
            reason_params={},
            source_key=f"test:{uuid.uuid4()}",
            earned_on=date(2026, 1, 1),
            expires_at=expires,
            created_at=created,
        ).save()
    return factories.token_for(resident), resident.id


async def test_the_sums_read_the_index_alone(client: httpx.AsyncClient, backend: str) -> None:
    _, user_id = await ledger()
    for query in (balance_query(user_id), *due_queries(user_id, clock.now() + EXPIRING_SOON)):
        found = await plan(backend, query, competing=("inclusion_point_entry_caps",))
        if backend == "sqlite":
            assert f"COVERING INDEX {INDEX}" in found, found
        else:
            assert f"Index Only Scan using {INDEX}" in found, found


async def test_a_page_of_the_newest_stops_at_the_page(client: httpx.AsyncClient, backend: str) -> None:
    _, user_id = await ledger()
    found = await plan(backend, page_query(user_id).limit(20))
    assert INDEX in found, found
    if backend == "sqlite":
        assert "TEMP B-TREE" not in found, found
    else:
        assert f"Index Scan Backward using {INDEX}" in found, found
        assert "Sort" not in found, found


async def test_the_answer_is_the_ledger(client: httpx.AsyncClient) -> None:
    headers, user_id = await ledger()
    rows = await PointEntry.select(
        PointEntry.id, PointEntry.points, PointEntry.reason, PointEntry.expires_at, PointEntry.created_at
    ).where(PointEntry.user == user_id)
    newest = sorted(rows, key=lambda row: (row["created_at"], str(row["id"])), reverse=True)
    soon = clock.now() + EXPIRING_SOON
    due = sum(row["points"] for row in rows if row["points"] > 0 and row["expires_at"] and row["expires_at"] <= soon)
    used = -sum(
        row["points"]
        for row in rows
        if row["reason"] in ("redemption", "redemption_refund", "expiry") or row["points"] < 0
    )
    balance = sum(row["points"] for row in rows)

    seen: list[str] = []
    for offset in range(0, 24, 10):
        answer = await client.get("/api/v1/me/points", params={"limit": 10, "offset": offset}, headers=headers)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["balance"] == balance
        assert body["expiring_soon"] == max(0, min(due - used, balance))
        assert body["total"] == 24
        seen += [entry["id"] for entry in body["entries"]]
    assert seen == [str(row["id"]) for row in newest]
