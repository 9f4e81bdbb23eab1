"""A volunteer's totals and newest entries read only that volunteer's index entries (issue 21).

``GET /me/hours`` answers a page of the newest entries and the sums by status. At 10 million
entries a volunteer with thousands of them must not cost thousands of table rows per look:
the sums come from the ``("user", status, minutes)`` index alone and the page walks
``("user", created_at, id)`` backwards to its end (migration 2026-12-05T23:45; bench/RESULTS.md
has the figures). The plans of the very queries the API runs are checked on both databases
(PostgreSQL told not to scan or sort when it has any other way, as it would not with many rows),
and the API's answer is checked against the ledger.

The coordinators' queue (``GET /teams/{id}/hours?status=pending`` without a month, and the
console's queue through the same service) walks ``(team, status, created_at, id)`` backwards and
stops at its page instead of reading and sorting every entry the team ever had (migration
2026-12-06T02:30); without a status either, ``(team, created_at, id)`` (migration
2026-12-06T05:45).
"""

from __future__ import annotations

import importlib
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from backend.volunteers.hours.queries import MAX_PAGE, newest_entries_query, team_entries_query, totals_query
from backend.volunteers.hours.tables import HoursEntry, HoursKind, HoursStatus
from tests import factories
from tests.plans import index_plan
from tests.volunteers import builders
from tests.volunteers.test_volunteer_ledger_pages import every_index_but, plan_without


async def plan(backend: str, query: Any, *, competing: tuple[str, ...] = ()) -> str:
    return await index_plan(HoursEntry, backend, query, competing=competing)


async def ledger() -> tuple[dict[str, str], uuid.UUID]:
    """A volunteer with 30 entries over three statuses in a team, signed in."""
    tree = await factories.city_tree()
    team = await builders.team(tree["community_a"])
    volunteer = await factories.resident()
    await builders.member(team, volunteer)
    start = datetime(2026, 11, 1, 9, tzinfo=UTC)
    statuses = (HoursStatus.verified, HoursStatus.pending, HoursStatus.rejected)
    for i in range(30):
        await HoursEntry(
            user=volunteer.id,
            team=team.id,
            kind=HoursKind.manual.value,
            minutes=30 + i,
            service_date=date(2026, 11, 1) + timedelta(days=i % 28),
            content="夜间巡逻",
            source_key=f"test:{uuid.uuid4()}",
            status=statuses[i % 3].value,
            created_by=volunteer.id,
            created_at=start + timedelta(hours=i // 2),  # two entries an hour: ties broken by id
        ).save()
    return factories.token_for(volunteer), volunteer.id


async def test_totals_read_the_index_alone(client: httpx.AsyncClient, backend: str) -> None:
    _, user_id = await ledger()
    # The indexes of one volunteer in one team lead with the person too (and cover the sums).
    competing = ("volunteer_hours_user_recent", "volunteer_hours_user_team", "volunteer_hours_user_team_sums")
    found = await plan(backend, totals_query(user_id), competing=competing)
    assert "volunteer_hours_user_sums" in found, found
    if backend == "sqlite":
        assert "COVERING INDEX volunteer_hours_user_sums" in found, found
    else:
        assert "Index Only Scan using volunteer_hours_user_sums" in found, found
        assert "Sort" not in found, found


async def test_a_page_of_the_newest_stops_at_the_page(client: httpx.AsyncClient, backend: str) -> None:
    _, user_id = await ledger()
    found = await plan(backend, newest_entries_query(user_id).limit(21))
    assert "volunteer_hours_user_recent" in found, found
    if backend == "sqlite":
        assert "TEMP B-TREE" not in found, found
    else:
        assert "Index Scan Backward using volunteer_hours_user_recent" in found, found
        assert "Sort" not in found, found


async def test_the_answer_is_the_ledger_newest_first_with_its_sums(client: httpx.AsyncClient) -> None:
    headers, user_id = await ledger()
    rows = await HoursEntry.select(HoursEntry.id, HoursEntry.minutes, HoursEntry.status, HoursEntry.created_at).where(
        HoursEntry.user == user_id
    )
    newest = sorted(rows, key=lambda row: (row["created_at"], str(row["id"])), reverse=True)
    sums = {
        status.value: sum(row["minutes"] for row in rows if row["status"] == status.value) for status in HoursStatus
    }

    first = await client.get("/api/v1/me/hours", params={"limit": 7}, headers=headers)
    assert first.status_code == 200, first.text
    body = first.json()
    assert [item["id"] for item in body["items"]] == [str(row["id"]) for row in newest[:7]]
    assert body["totals"]["verified_minutes"] == sums["verified"]
    assert body["totals"]["pending_minutes"] == sums["pending"]

    # Every page after it, by its cursor: each entry once, in the same order.
    seen = [item["id"] for item in body["items"]]
    while body["next_before"]:
        page = await client.get("/api/v1/me/hours", params={"limit": 7, "before": body["next_before"]}, headers=headers)
        assert page.status_code == 200, page.text
        body = page.json()
        seen += [item["id"] for item in body["items"]]
    assert seen == [str(row["id"]) for row in newest]


async def queue() -> tuple[dict[str, str], uuid.UUID]:
    """A team with 45 entries of three volunteers over three statuses, two an hour (ties broken by
    id), and its coordinator signed in."""
    tree = await factories.city_tree()
    team = await builders.team(tree["community_a"])
    coordinator = await factories.resident()
    await builders.coordinator(team, coordinator)
    volunteers = [await factories.resident() for _ in range(3)]
    for volunteer in volunteers:
        await builders.member(team, volunteer)
    start = datetime(2026, 11, 1, 9, tzinfo=UTC)
    statuses = (HoursStatus.pending, HoursStatus.verified, HoursStatus.pending, HoursStatus.rejected)
    for i in range(45):
        volunteer = volunteers[i % 3]
        await HoursEntry(
            user=volunteer.id,
            team=team.id,
            kind=HoursKind.manual.value,
            minutes=60,
            service_date=date(2026, 11, 1) + timedelta(days=(i * 7) % 28),  # not in created order
            content="文明劝导",
            source_key=f"test:{uuid.uuid4()}",
            status=statuses[i % 4].value,
            created_by=volunteer.id,
            created_at=start + timedelta(hours=i // 2),
        ).save()
    return factories.token_for(coordinator), team.id


async def test_the_queue_stops_at_its_page(client: httpx.AsyncClient, backend: str) -> None:
    _, team_id = await queue()
    # The team's newest-first index (2026-12-06T05:45) gives the same order, filtering by status:
    # on a small table it may look as cheap, so every other index is kept out.
    query = team_entries_query(team_id, status=HoursStatus.pending.value).limit(MAX_PAGE)
    found = await plan(backend, query, competing=await every_index_but(backend, "volunteer_hours_team_queue"))
    assert "volunteer_hours_team_queue" in found, found
    if backend == "sqlite":
        assert "TEMP B-TREE" not in found, found
    else:
        assert "Index Scan Backward using volunteer_hours_team_queue" in found, found
        assert "Sort" not in found, found


async def test_the_queue_answers_the_pending_entries_newest_first(client: httpx.AsyncClient) -> None:
    headers, team_id = await queue()
    rows = await HoursEntry.select(HoursEntry.id, HoursEntry.created_at).where(
        (HoursEntry.team == team_id) & (HoursEntry.status == HoursStatus.pending.value)
    )
    newest = [str(row["id"]) for row in sorted(rows, key=lambda row: (row["created_at"], str(row["id"])), reverse=True)]
    assert len(newest) == 23

    seen: list[str] = []
    for offset in range(0, 30, 10):
        page = await client.get(
            f"/api/v1/teams/{team_id}/hours",
            params={"status": "pending", "limit": 10, "offset": offset},
            headers=headers,
        )
        assert page.status_code == 200, page.text
        assert {item["status"] for item in page.json()} <= {"pending"}
        seen += [item["id"] for item in page.json()]
    assert seen == newest


async def queue_indexes(backend: str) -> set[str]:
    if backend == "sqlite":
        sql = "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'volunteer_hours_entry'"
    else:
        sql = "SELECT indexname AS name FROM pg_indexes WHERE tablename = 'volunteer_hours_entry'"
    return {row["name"] for row in await HoursEntry.raw(sql)} & {"volunteer_hours_team_queue", "volunteer_hours_team"}


async def test_the_queue_migration_goes_back_and_forth_keeping_every_entry(
    client: httpx.AsyncClient, backend: str
) -> None:
    _, team_id = await queue()
    migration = importlib.import_module("backend.volunteers.piccolo_migrations.volunteers_2026_12_06t02_30_00_000000")
    migration.HoursEntry._meta.db = HoursEntry._meta.db  # the test's database, as `linli migrate` sets its own
    assert await queue_indexes(backend) == {"volunteer_hours_team_queue", "volunteer_hours_team"}
    try:
        await (await migration.forwards()).run(backwards=True)
        assert await queue_indexes(backend) == {"volunteer_hours_team"}
    finally:
        await (await migration.forwards()).run()  # again: IF NOT EXISTS, as `linli migrate` on an upgraded database
        await (await migration.forwards()).run()
    assert await queue_indexes(backend) == {"volunteer_hours_team_queue", "volunteer_hours_team"}
    assert await HoursEntry.count().where(HoursEntry.team == team_id) == 45


async def test_the_whole_queue_stops_at_its_page(client: httpx.AsyncClient, backend: str) -> None:
    """Neither status nor month: every entry of the team, newest first, from ``(team, created_at,
    id)`` walked backwards (migration 2026-12-06T05:45); without it both databases sort them all."""
    _, team_id = await queue()
    query = team_entries_query(team_id).limit(MAX_PAGE)
    found = await plan(backend, query)
    without = await plan_without(backend, query, ("volunteer_hours_team_recent",))
    assert "volunteer_hours_team_recent" in found, found
    if backend == "sqlite":
        assert "TEMP B-TREE" not in found, found
        assert "USE TEMP B-TREE FOR ORDER BY" in without, without
    else:
        assert "Index Scan Backward using volunteer_hours_team_recent" in found, found
        assert "Sort" not in found, found
        assert "Sort Key: volunteer_hours_entry.created_at DESC" in without, without


async def test_the_whole_queue_answers_every_entry_newest_first(client: httpx.AsyncClient, backend: str) -> None:
    headers, team_id = await queue()
    rows = await HoursEntry.select(HoursEntry.id, HoursEntry.created_at).where(HoursEntry.team == team_id)
    newest = [str(row["id"]) for row in sorted(rows, key=lambda row: (row["created_at"], str(row["id"])), reverse=True)]
    seen: list[str] = []
    for offset in range(0, 60, 20):
        page = await client.get(
            f"/api/v1/teams/{team_id}/hours", params={"limit": 20, "offset": offset}, headers=headers
        )
        assert page.status_code == 200, page.text
        seen += [item["id"] for item in page.json()]
    assert seen == newest and len(seen) == 45


async def test_the_whole_queue_migration_goes_back_and_forth(client: httpx.AsyncClient, backend: str) -> None:
    _, team_id = await queue()
    migration = importlib.import_module("backend.volunteers.piccolo_migrations.volunteers_2026_12_06t05_45_00_000000")
    migration.HoursEntry._meta.db = HoursEntry._meta.db  # the test's database, as `linli migrate` sets its own
    assert "volunteer_hours_team_recent" in await all_indexes(backend)
    try:
        await (await migration.forwards()).run(backwards=True)
        assert "volunteer_hours_team_recent" not in await all_indexes(backend)
    finally:
        await (await migration.forwards()).run()  # again: IF NOT EXISTS
        await (await migration.forwards()).run()
    assert "volunteer_hours_team_recent" in await all_indexes(backend)
    assert await HoursEntry.count().where(HoursEntry.team == team_id) == 45


async def all_indexes(backend: str) -> set[str]:
    if backend == "sqlite":
        sql = "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'volunteer_hours_entry'"
    else:
        sql = "SELECT indexname AS name FROM pg_indexes WHERE tablename = 'volunteer_hours_entry'"
    return {row["name"] for row in await HoursEntry.raw(sql)}
