"""Copying a week of shifts over HTTP (both databases): each planned shift to the same weekday and
time of the other week with its title, places, route and rules; nothing made twice, however often
or however concurrently asked; a preview that writes nothing; refusals as for planning."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, datetime, timedelta
from typing import Any

import httpx
import pytest

from backend.core import clock
from backend.core.i18n import CITY_TZ
from backend.core.tables import AuditEntry
from backend.volunteers.shifts.tables import Shift, ShiftStatus
from backend.volunteers.teams.tables import MemberStatus
from tests import factories
from tests.volunteers import builders

Client = httpx.AsyncClient


def monday(weeks_ahead: int) -> date:
    today = clock.city_today()
    return today - timedelta(days=today.weekday()) + timedelta(weeks=weeks_ahead)


def at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=CITY_TZ)


@pytest.fixture
async def week(client: Client) -> dict[str, Any]:
    """A team with next week planned: Tuesday and Saturday evenings (one on the route), and a
    Thursday shift that was cancelled; a shift the week after that is not to be copied."""
    tree = await factories.city_tree()
    team = await builders.team(tree["community_a"])
    lead, member, outsider = [await factories.resident(name) for name in ("队长", "队员", "外人")]
    await builders.coordinator(team, lead)
    await builders.member(team, member)
    route, _stops = await builders.route(team)
    first = monday(1)
    tuesday = await builders.shift(team, starts_at=at(first + timedelta(days=1), 19), capacity=6)
    saturday = await builders.shift(
        team, starts_at=at(first + timedelta(days=5), 9), minutes=180, route_=route, min_attendance_percent=70
    )
    await builders.shift(team, starts_at=at(first + timedelta(days=3), 19), status=ShiftStatus.cancelled.value)
    await builders.shift(team, starts_at=at(first + timedelta(days=9), 19))
    return {
        "team": team,
        "lead": lead,
        "member": member,
        "outsider": outsider,
        "route": route,
        "sources": [tuesday, saturday],
        "first": first,
    }


async def copy(client: Client, week: dict[str, Any], who: str = "lead", **body: Any) -> httpx.Response:
    payload = {"from_week": str(week["first"]), "to_week": str(week["first"] + timedelta(weeks=1)), **body}
    return await client.post(
        f"/api/v1/teams/{week['team'].id}/shifts/copy-week", json=payload, headers=factories.token_for(week[who])
    )


async def shifts_in(team_id: uuid.UUID, first: date) -> list[dict[str, Any]]:
    rows = (
        await Shift.select()
        .output(load_json=True)
        .where(
            (Shift.team == team_id)
            & (Shift.starts_at >= at(first, 0))
            & (Shift.starts_at < at(first + timedelta(days=7), 0))
        )
        .order_by(Shift.starts_at)
    )
    return list(rows)


async def test_a_week_is_copied_to_the_next_with_its_details(client: Client, week: dict[str, Any]) -> None:
    following = week["first"] + timedelta(weeks=1)
    before = await shifts_in(week["team"].id, following)
    answer = await copy(client, week)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["from_week"], body["to_week"], body["preview"]) == (str(week["first"]), str(following), False)
    assert [c["source_id"] for c in body["created"]] == [str(s.id) for s in week["sources"]]
    assert body["skipped"] == []
    made = [row for row in await shifts_in(week["team"].id, following) if row["id"] not in {r["id"] for r in before}]
    assert len(made) == 2
    for source, row in zip(week["sources"], made, strict=True):
        assert row["starts_at"] == source.starts_at + timedelta(weeks=1)
        assert row["ends_at"] == source.ends_at + timedelta(weeks=1)
        assert row["starts_at"].astimezone(CITY_TZ).weekday() == source.starts_at.astimezone(CITY_TZ).weekday()
        assert (row["title"], row["capacity"], row["min_attendance_percent"], row["route"]) == (
            source.title,
            source.capacity,
            source.min_attendance_percent,
            source.route,
        )
        assert (row["seats_taken"], row["status"], row["created_by"]) == (0, "scheduled", week["lead"].id)
    # The volunteers' list shows them (read back through the API).
    listed = await client.get(
        "/api/v1/shifts", params={"team_id": str(week["team"].id), "from": at(following, 0).isoformat()}
    )
    assert listed.status_code == 200, listed.text
    assert {item["id"] for item in listed.json()} >= {c["shift_id"] for c in body["created"]}


async def test_asking_again_makes_nothing_twice(client: Client, week: dict[str, Any]) -> None:
    assert len((await copy(client, week)).json()["created"]) == 2
    again = (await copy(client, week)).json()
    assert again["created"] == []
    assert [(s["source_id"], s["reason"]) for s in again["skipped"]] == [
        (str(s.id), "already_there") for s in week["sources"]
    ]
    assert len(await shifts_in(week["team"].id, week["first"] + timedelta(weeks=1))) == 3  # two copies + the one there
    assert await AuditEntry.count().where(AuditEntry.action == "volunteers.shifts_copied") == 1


async def test_concurrent_copies_make_each_shift_once(client: Client, week: dict[str, Any]) -> None:
    answers = await asyncio.gather(*(copy(client, week) for _ in range(4)))
    assert all(answer.status_code == 200 for answer in answers), [a.text for a in answers]
    assert sum(len(answer.json()["created"]) for answer in answers) == 2
    assert len(await shifts_in(week["team"].id, week["first"] + timedelta(weeks=1))) == 3
    assert await AuditEntry.count().where(AuditEntry.action == "volunteers.shifts_copied") == 1


async def test_a_preview_says_what_would_be_made_and_writes_nothing(client: Client, week: dict[str, Any]) -> None:
    count = await Shift.count()
    preview = await copy(client, week, preview=True)
    assert preview.status_code == 200, preview.text
    body = preview.json()
    assert body["preview"] is True and len(body["created"]) == 2
    assert all(item["shift_id"] is None for item in body["created"])
    assert await Shift.count() == count
    assert await AuditEntry.count().where(AuditEntry.action == "volunteers.shifts_copied") == 0


async def test_copies_that_would_start_in_the_past_are_skipped(client: Client, week: dict[str, Any]) -> None:
    answer = await copy(client, week, to_week=str(monday(-2)))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["created"] == [] and {s["reason"] for s in body["skipped"]} == {"in_the_past"}
    assert await AuditEntry.count().where(AuditEntry.action == "volunteers.shifts_copied") == 0


async def test_copying_is_refused_as_planning_is(client: Client, week: dict[str, Any]) -> None:
    count = await Shift.count()
    same = await copy(client, week, to_week=str(week["first"] + timedelta(days=3)))
    assert (same.status_code, same.json()["code"]) == (422, "same_week")
    assert (await copy(client, week, "member")).status_code == 403
    assert (await copy(client, week, "outsider")).status_code == 403
    pending = await factories.resident("申请人")
    await builders.member(week["team"], pending, status=MemberStatus.pending)
    bad = await client.post(
        f"/api/v1/teams/{week['team'].id}/shifts/copy-week",
        json={"from_week": "next week", "to_week": str(week["first"])},
        headers=factories.token_for(week["lead"]),
    )
    assert bad.status_code in (400, 422)
    missing = await client.post(
        f"/api/v1/teams/{uuid.uuid4()}/shifts/copy-week",
        json={"from_week": str(week["first"]), "to_week": str(monday(3))},
        headers=factories.token_for(week["lead"]),
    )
    assert missing.status_code == 404
    unsigned = await client.post(
        f"/api/v1/teams/{week['team'].id}/shifts/copy-week", json={"from_week": "2026-12-07", "to_week": "2026-12-14"}
    )
    assert unsigned.status_code == 401
    assert await Shift.count() == count
