"""A coordinator reads one volunteer's ledger a page at a time (issue 21: it answered every entry,
441 rows for the busiest at 10 million). ``GET /api/v1/teams/{team}/members/{user}/hours`` pages
newest first by the same cursor as ``GET /me/hours`` (``next_before`` → ``?before=``), keeps the
team's sums and the volunteer's totals whole on every page, carries each entry's balance after
corrections and each correction's original date wherever the other is listed, and writes one
audit entry per page read. The page walks ``("user", team, created_at, id)`` backwards to its
end, the sums read ``("user", team, status, minutes)`` alone, the corrections of a page's entries come
through ``corrects`` (migration 2026-12-06T05:30): the plans of the very queries the API runs,
on both databases. The console's ledger page pages with the same cursor."""

from __future__ import annotations

import importlib
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from backend.accounts.tables import OrganisationKind, Role
from backend.core.tables import AuditEntry
from backend.core.values import hours_of
from backend.volunteers.hours.queries import (
    LEDGER_PAGE,
    corrections_query,
    volunteer_entries_query,
    volunteer_sums_query,
)
from backend.volunteers.hours.tables import HoursEntry, HoursKind, HoursStatus
from backend.volunteers.teams.tables import TeamMember
from tests import factories
from tests.plans import index_plan
from tests.volunteers import builders
from tests.web.console import csrf_of, send, sign_in

Client = httpx.AsyncClient
START = datetime(2026, 9, 1, 9, tzinfo=UTC)
STATUSES = (HoursStatus.verified, HoursStatus.verified, HoursStatus.pending, HoursStatus.rejected)


def hours_row(person: Any, team: Any, i: int, **fields: Any) -> HoursEntry:
    values: dict[str, Any] = {
        "user": person.id,
        "team": team.id,
        "kind": HoursKind.manual.value,
        "minutes": 60 + i,
        "service_date": date(2026, 9, 1) + timedelta(days=i // 2),
        "content": f"社区夜间巡逻 第{i + 1}次",
        "reason": "补录",
        "source_key": f"test:{uuid.uuid4()}",
        "status": STATUSES[i % 4].value,
        "created_by": person.id,
        "created_at": START + timedelta(hours=i // 2),  # two entries an hour: ties broken by id
    }
    values.update(fields)
    return HoursEntry(**values)


async def add_entries(person: Any, team: Any, count: int, **fields: Any) -> list[HoursEntry]:
    rows = [hours_row(person, team, i, **fields) for i in range(count)]
    await HoursEntry.insert(*rows)
    return rows


@pytest.fixture
async def world(client: Client) -> dict[str, Any]:
    """南园巡逻队: 小林 with 23 entries (and one correction of the oldest verified one, made last),
    other members' and another team's entries beside them; the team's coordinator, and a
    coordinator of another community."""
    tree = await factories.city_tree()
    team = await builders.team(tree["community_a"], name="南园巡逻队")
    other_community = await factories.organisation(OrganisationKind.community, tree["street_b"], "莲花社区")
    other = await builders.team(other_community, name="莲花志愿队")
    boss = await factories.staff(Role.coordinator, tree["community_a"])
    stranger = await factories.staff(Role.coordinator, other_community)
    walker = await factories.resident("小林")
    neighbour = await factories.resident("小周")
    await builders.member(team, walker)
    await builders.member(team, neighbour)
    await builders.member(other, walker)
    rows = await add_entries(walker, team, 23)
    oldest = rows[0]  # verified, on the last page
    correction = hours_row(
        walker,
        team,
        0,
        kind=HoursKind.correction.value,
        minutes=-30,
        content="",
        reason="签退时间登记有误",
        status=HoursStatus.verified.value,
        corrects=oldest.id,
        created_at=START + timedelta(days=30),  # the newest: on the first page
        created_by=boss.id,
    )
    await HoursEntry.insert(correction)
    await add_entries(neighbour, team, 6)
    for _ in range(8):  # a team of many: its own indexes are no shortcut to one volunteer's entries
        await add_entries(await factories.resident(), team, 8)
    await add_entries(walker, other, 5, created_at=START + timedelta(days=40))
    return {
        "team": team,
        "other": other,
        "boss": boss,
        "stranger": stranger,
        "walker": walker,
        "neighbour": neighbour,
        "oldest": oldest.id,
        "correction": correction.id,
    }


def url(world: dict[str, Any], person: str = "walker") -> str:
    return f"/api/v1/teams/{world['team'].id}/members/{world[person].id}/hours"


async def read(client: Client, world: dict[str, Any], **params: Any) -> httpx.Response:
    return await client.get(url(world), params=params, headers=factories.token_for(world["boss"]))


async def whole_ledger(world: dict[str, Any]) -> list[dict[str, Any]]:
    rows = await HoursEntry.select(
        HoursEntry.id, HoursEntry.minutes, HoursEntry.status, HoursEntry.created_at, HoursEntry.corrects
    ).where((HoursEntry.user == world["walker"].id) & (HoursEntry.team == world["team"].id))
    return sorted(rows, key=lambda row: (row["created_at"], str(row["id"])), reverse=True)


async def reads() -> int:
    return await AuditEntry.count().where(AuditEntry.action == "volunteers.volunteer_hours_read")


async def test_pages_join_to_the_whole_ledger_newest_first(client: Client, world: dict[str, Any]) -> None:
    ledger = await whole_ledger(world)
    assert len(ledger) == 24
    first = await read(client, world, limit=5)
    assert first.status_code == 200, first.text
    body = first.json()
    sums, totals = body["team_totals"], body["totals"]
    assert sums == {
        "verified_minutes": sum(row["minutes"] for row in ledger if row["status"] == "verified"),
        "pending_minutes": sum(row["minutes"] for row in ledger if row["status"] == "pending"),
        "rejected_minutes": sum(row["minutes"] for row in ledger if row["status"] == "rejected"),
        "verified_hours": hours_of(sum(row["minutes"] for row in ledger if row["status"] == "verified")),
    }
    pages = [[item["id"] for item in body["items"]]]
    while body["next_before"]:
        assert body["next_before"] == body["items"][-1]["id"]
        answer = await read(client, world, limit=5, before=body["next_before"])
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert (body["team_totals"], body["totals"]) == (sums, totals)  # whole on every page
        pages.append([item["id"] for item in body["items"]])
    assert [len(page) for page in pages] == [5, 5, 5, 5, 4]
    assert [entry for page in pages for entry in page] == [str(row["id"]) for row in ledger]
    assert await reads() == 5  # one audit entry per page read


async def test_the_default_page_and_its_bounds(client: Client, world: dict[str, Any]) -> None:
    await add_entries(world["walker"], world["team"], LEDGER_PAGE)  # 74 entries in all
    first = await read(client, world)
    assert first.status_code == 200, first.text
    assert len(first.json()["items"]) == LEDGER_PAGE and first.json()["next_before"]
    rest = await read(client, world, before=first.json()["next_before"])
    assert len(rest.json()["items"]) == 24 and rest.json()["next_before"] is None
    everything = await read(client, world, limit=200)
    assert len(everything.json()["items"]) == 74 and everything.json()["next_before"] is None
    for limit in (0, 201, "many"):
        refused = await read(client, world, limit=limit)
        assert refused.status_code == 422, refused.text
        assert [error["field"] for error in refused.json()["errors"]] == ["limit"]
    assert await reads() == 3


async def test_a_new_entry_between_two_pages_neither_repeats_nor_hides_one(
    client: Client, world: dict[str, Any]
) -> None:
    """What an offset would get wrong: the coordinator reads page one, a claim arrives, page two
    still starts just after the last entry read."""
    ledger = await whole_ledger(world)
    first = (await read(client, world, limit=10)).json()
    await HoursEntry.insert(hours_row(world["walker"], world["team"], 99, created_at=START + timedelta(days=60)))
    second = (await read(client, world, limit=10, before=first["next_before"])).json()
    seen = [item["id"] for item in first["items"] + second["items"]]
    assert seen == [str(row["id"]) for row in ledger[:20]]


async def test_a_bad_cursor_is_refused_in_the_readers_language(client: Client, world: dict[str, Any]) -> None:
    neighbours = await HoursEntry.select(HoursEntry.id).where(HoursEntry.user == world["neighbour"].id).first()
    elsewhere = (
        await HoursEntry.select(HoursEntry.id)
        .where((HoursEntry.user == world["walker"].id) & (HoursEntry.team == world["other"].id))
        .first()
    )
    headers = {**factories.token_for(world["boss"]), "Accept-Language": "zh-Hans"}
    for before in (neighbours["id"], elsewhere["id"], uuid.uuid4()):  # another volunteer's, another team's, none
        answer = await client.get(url(world), params={"before": str(before)}, headers=headers)
        assert answer.status_code == 400, answer.text
        assert (answer.json()["code"], answer.json()["detail"]) == ("invalid_cursor", "分页游标无效。")
    english = await client.get(
        url(world), params={"before": str(uuid.uuid4())}, headers={**headers, "Accept-Language": "en"}
    )
    assert english.json()["detail"] == "This page cursor is not valid."
    garbled = await client.get(url(world), params={"before": "not-a-uuid"}, headers=headers)
    assert garbled.status_code == 422, garbled.text
    assert garbled.json()["detail"] == "部分内容填写有误。"
    assert [error["field"] for error in garbled.json()["errors"]] == ["before"]
    assert await reads() == 0  # nothing was read


async def test_corrections_read_the_same_whatever_the_page(client: Client, world: dict[str, Any]) -> None:
    """The correction (newest, page one) names the date of the entry it corrects (oldest, the last
    page), and that entry shows its balance after it, though they are never on one page."""
    pages: list[dict[str, Any]] = []
    body = (await read(client, world, limit=4)).json()
    pages.append(body)
    while body["next_before"]:
        body = (await read(client, world, limit=4, before=body["next_before"])).json()
        pages.append(body)
    items = {item["id"]: item for page in pages for item in page["items"]}
    correction, oldest = items[str(world["correction"])], items[str(world["oldest"])]
    assert correction in pages[0]["items"] and oldest in pages[-1]["items"]
    assert correction["corrects_service_date"] == oldest["service_date"] == "2026-09-01"
    assert (oldest["minutes"], oldest["balance_minutes"]) == (60, 30)
    # The same as the whole ledger on one page says, entry by entry.
    whole = {item["id"]: item for item in (await read(client, world, limit=200)).json()["items"]}
    assert items == whole
    assert [item["id"] for item in whole.values() if item["balance_minutes"] is not None] == [str(world["oldest"])]
    assert [item["id"] for item in whole.values() if item["corrects_service_date"]] == [str(world["correction"])]


async def test_who_may_read_is_unchanged(client: Client, world: dict[str, Any]) -> None:
    stranger = await client.get(url(world), headers=factories.token_for(world["stranger"]))
    assert stranger.status_code == 403, stranger.text
    herself = await client.get(url(world), headers=factories.token_for(world["walker"]))
    assert herself.status_code == 403, herself.text
    nobody = await client.get(
        f"/api/v1/teams/{world['team'].id}/members/{uuid.uuid4()}/hours", headers=factories.token_for(world["boss"])
    )
    assert nobody.status_code == 404, nobody.text
    anonymous = await client.get(url(world))
    assert anonymous.status_code == 401
    # Someone who left the team is still read by their entries, under their name.
    await TeamMember.delete().where((TeamMember.team == world["team"].id) & (TeamMember.user == world["walker"].id))
    former = await read(client, world, limit=3)
    assert former.status_code == 200, former.text
    assert former.json()["volunteer"]["display_name"] == world["walker"].display_name
    assert len(former.json()["items"]) == 3
    assert await reads() == 1


# --- the plans ----------------------------------------------------------------------------------


async def plan(backend: str, query: Any, *, competing: tuple[str, ...] = ()) -> str:
    return await index_plan(HoursEntry, backend, query, competing=competing)


async def every_index_but(backend: str, keep: str) -> tuple[str, ...]:
    """The hours table's indexes but ``keep`` (and those of its keys): on a small table any of them
    may look as cheap to PostgreSQL, whatever serves the query at its real size."""
    if backend == "sqlite":
        rows = await HoursEntry.raw(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'volunteer_hours_entry' "
            "AND sql IS NOT NULL"
        )
    else:
        rows = await HoursEntry.raw(
            "SELECT indexname AS name FROM pg_indexes WHERE tablename = 'volunteer_hours_entry' "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint)"  # a key's index stays with it
        )
    return tuple(row["name"] for row in rows if row["name"] != keep)


async def test_a_page_walks_the_volunteers_team_index_and_stops(
    client: Client, backend: str, world: dict[str, Any]
) -> None:
    query = volunteer_entries_query(world["team"].id, world["walker"].id).limit(LEDGER_PAGE + 1)
    # The volunteer's index over all teams would also give the order, reading the other teams'
    # entries on the way, and so would the team's newest-first one, reading the other members':
    # kept out with every other index, as their real sizes would keep PostgreSQL from them.
    found = await plan(backend, query, competing=await every_index_but(backend, "volunteer_hours_user_team"))
    assert "volunteer_hours_user_team" in found, found
    if backend == "sqlite":
        assert "TEMP B-TREE" not in found, found
    else:
        assert "Index Scan Backward using volunteer_hours_user_team" in found, found
        assert "Sort" not in found, found


async def test_the_sums_read_the_index_alone(client: Client, backend: str, world: dict[str, Any]) -> None:
    query = volunteer_sums_query(world["team"].id, world["walker"].id)
    # On a small table any index on the person or the team looks as cheap (the suite saw
    # PostgreSQL take the newest-first one, then the team's, and filter): every other index of the
    # table is kept out, so the plan shows that this one serves the sums alone.
    target = "volunteer_hours_user_team_sums"
    competing = await every_index_but(backend, target)
    assert "volunteer_hours_user_recent" in competing and "volunteer_hours_team" in competing
    found = await plan(backend, query, competing=competing)
    if backend == "sqlite":
        assert "COVERING INDEX volunteer_hours_user_team_sums" in found, found
        assert "TEMP B-TREE" not in found, found
    else:
        assert "Index Only Scan using volunteer_hours_user_team_sums" in found, found


async def test_a_pages_corrections_are_found_by_their_entry(
    client: Client, backend: str, world: dict[str, Any]
) -> None:
    found = await plan(backend, corrections_query([world["oldest"], uuid.uuid4()]))
    assert "volunteer_hours_corrects" in found, found
    if backend != "sqlite":
        assert "Seq Scan" not in found, found


async def plan_without(backend: str, query: Any, dropped: tuple[str, ...]) -> str:
    return await index_plan(HoursEntry, backend, query, competing=dropped)


async def test_without_the_new_indexes_the_page_and_sums_read_the_other_teams_too(
    client: Client, backend: str, world: dict[str, Any]
) -> None:
    """What the plan tests above guard against: the same queries, the migration's indexes gone."""
    new = ("volunteer_hours_user_team", "volunteer_hours_user_team_sums", "volunteer_hours_corrects")
    page = await plan_without(
        backend, volunteer_entries_query(world["team"].id, world["walker"].id).limit(LEDGER_PAGE + 1), new
    )
    sums = await plan_without(backend, volunteer_sums_query(world["team"].id, world["walker"].id), new)
    fixes = await plan_without(backend, corrections_query([world["oldest"]]), new)
    assert not any(index in page + sums + fixes for index in new)
    if backend == "sqlite":
        assert "(user=? AND team=?)" not in page + sums, page + sums
        assert "corrects=?" not in fixes, fixes
    else:
        for found in (page, sums):  # one of the two is only a filter: the index reads the other's rows too
            assert "Filter: (team = " in found or 'Filter: ("user" = ' in found, found
        assert "Index Only Scan" not in sums, sums
        assert "Filter: (corrects = " in fixes, fixes
    # And with them, on the transaction's own connection too.
    assert "volunteer_hours_user_team" in await plan_without(
        backend,
        volunteer_entries_query(world["team"].id, world["walker"].id).limit(LEDGER_PAGE + 1),
        ("volunteer_hours_user_recent",),
    )


async def ledger_indexes(backend: str) -> set[str]:
    if backend == "sqlite":
        sql = "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'volunteer_hours_entry'"
    else:
        sql = "SELECT indexname AS name FROM pg_indexes WHERE tablename = 'volunteer_hours_entry'"
    return {row["name"] for row in await HoursEntry.raw(sql)} & {
        "volunteer_hours_user_team",
        "volunteer_hours_user_team_sums",
        "volunteer_hours_corrects",
        "volunteer_hours_user_recent",
    }


async def test_the_migration_goes_back_and_forth_keeping_every_entry(
    client: Client, backend: str, world: dict[str, Any]
) -> None:
    migration = importlib.import_module("backend.volunteers.piccolo_migrations.volunteers_2026_12_06t05_30_00_000000")
    migration.HoursEntry._meta.db = HoursEntry._meta.db  # the test's database, as `linli migrate` sets its own
    every = {
        "volunteer_hours_user_team",
        "volunteer_hours_user_team_sums",
        "volunteer_hours_corrects",
        "volunteer_hours_user_recent",
    }
    assert await ledger_indexes(backend) == every
    count = await HoursEntry.count()
    try:
        await (await migration.forwards()).run(backwards=True)
        assert await ledger_indexes(backend) == {"volunteer_hours_user_recent"}
        # Without them the answer is the same, only dearer.
        assert (await read(client, world, limit=200)).status_code == 200
    finally:
        await (await migration.forwards()).run()  # again: IF NOT EXISTS, as `linli migrate` on an upgraded database
        await (await migration.forwards()).run()
    assert await ledger_indexes(backend) == every
    assert await HoursEntry.count() == count


# --- the console's ledger page ------------------------------------------------------------------


def page_url(world: dict[str, Any]) -> str:
    return f"/console/volunteers/teams/{world['team'].id}/members/{world['walker'].id}"


async def test_the_console_page_pages_by_the_same_cursor(client: Client, world: dict[str, Any]) -> None:
    await add_entries(world["walker"], world["team"], LEDGER_PAGE)  # 74 entries in all: two pages
    await sign_in(client, world["boss"])
    first = await client.get(page_url(world))
    assert first.status_code == 200, first.text
    assert first.text.count('id="entry-') == LEDGER_PAGE
    api = (await read(client, world)).json()
    older = f"{page_url(world)}?before={api['next_before']}"
    assert f'href="{older}"' in first.text and "更早的记录" in first.text
    assert "最新记录" not in first.text
    assert "签退时间登记有误" in first.text and "更正 2026-09-01 的记录" in first.text

    second = await client.get(older)
    assert second.status_code == 200, second.text
    assert second.text.count('id="entry-') == 24 and "更早的记录" in second.text  # the heading says so
    assert f'href="{page_url(world)}"' in second.text and "最新记录" in second.text
    assert f'href="{page_url(world)}?before=' not in second.text  # the last page
    assert "更正后计 0.5 小时" in second.text  # the oldest entry, corrected from page one
    # The sums at the top are the same on both pages.
    top = first.text.split('id="ledger-entries"')[0]
    assert (
        top.split('id="ledger-totals"')[1] == second.text.split('id="ledger-entries"')[0].split('id="ledger-totals"')[1]
    )

    # A correction made on the older page comes back to it.
    csrf = csrf_of(second.text)
    key = second.text.split(f'action="{page_url(world)}/hours/{world["oldest"]}/correct"')[1]
    key = key.split('name="key" value="')[1].split('"')[0]
    answer = await send(
        client,
        f"{page_url(world)}/hours/{world['oldest']}/correct",
        csrf,
        minutes="-6",
        reason="重复登记",
        key=key,
        before=api["next_before"],
    )
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"].endswith(f"?done=corrected&before={api['next_before']}#entry-{world['oldest']}")
    back = await client.get(answer.headers["location"].split("#")[0])
    assert "更正后计 0.4 小时" in back.text


async def test_the_console_refuses_a_bad_cursor(client: Client, world: dict[str, Any]) -> None:
    await sign_in(client, world["boss"])
    refused = await client.get(f"{page_url(world)}?before={uuid.uuid4()}")
    assert refused.status_code == 400, refused.text
    assert "分页游标无效" in refused.text
