"""Monthly figures beside participation (both databases): participants by age band, verified
volunteer hours, points earned and spent, per community and month, matching what happened; small
cells suppressed (a lone hidden age band takes the next smallest with it); the scope as for
participation; the CSV localised, suppressed cells as "<5", its reading audited."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest

from backend.accounts.tables import Role, User
from backend.core.i18n import CITY_TZ
from backend.core.tables import AuditEntry
from backend.inclusion.insight.monthly import MonthFigures, _bands
from backend.inclusion.points import ledger
from backend.inclusion.points.tables import PointEntry, PointReason
from backend.volunteers.hours.tables import HoursEntry, HoursKind, HoursStatus
from tests import factories
from tests.inclusion.test_statistics import attend, months_ago, past_event, person, text
from tests.volunteers import builders

Client = httpx.AsyncClient
MONTHLY = "/api/v1/stats/monthly"


async def served(team: Any, user: User, minutes: int, day: date, status: HoursStatus = HoursStatus.verified) -> None:
    await HoursEntry(
        user=user.id,
        team=team.id,
        kind=HoursKind.shift.value,
        minutes=minutes,
        service_date=day,
        source_key=f"test:{uuid.uuid4()}",
        status=status.value,
        created_by=user.id,
        created_at=datetime.now(UTC),
    ).save()


async def points(user: User, amount: int, reason: PointReason, community: Any, month: tuple[int, int]) -> None:
    key = f"test:{uuid.uuid4()}"
    await ledger.append(user_id=user.id, points=amount, reason=reason, source_key=key, community_id=community.id)
    moment = datetime(month[0], month[1], 12, 10, tzinfo=CITY_TZ)
    await PointEntry.update({PointEntry.created_at: moment}).where(PointEntry.source_key == key)


@pytest.fixture
async def story(client: Client) -> dict[str, Any]:
    tree = await factories.city_tree()
    a, b = tree["community_a"], tree["community_b"]
    m1, m2 = months_ago(2), months_ago(1)
    venue = await factories.venue(a, a)
    e1 = await past_event(tree["street_a"], venue, m1)
    e2 = await past_event(tree["street_a"], venue, m2)
    # Month 1: six aged 25 and five aged 65 and two without a birth year; month 2: five aged 25, one 10.
    young = [await person(m1[0] - 25) for _ in range(6)]
    old = [await person(m1[0] - 65) for _ in range(5)]
    unknown = [await person(None) for _ in range(2)]
    for someone in (*young, *old, *unknown):
        await attend(e1, someone)
    child = await person(m2[0] - 10)
    for someone in (*young[:5], child):
        await attend(e2, someone)
    # Hours: six volunteers in month 1 (one also pending, one a correction down), two in month 2.
    team = await builders.team(a)
    volunteers = [await factories.resident() for _ in range(6)]
    for someone in volunteers:
        await served(team, someone, 120, date(m1[0], m1[1], 5))
    await served(team, volunteers[0], 60, date(m1[0], m1[1], 20))
    await served(team, volunteers[1], 600, date(m1[0], m1[1], 6), HoursStatus.pending)
    await served(team, volunteers[2], -30, date(m1[0], m1[1], 7))
    for someone in volunteers[:2]:
        await served(team, someone, 90, date(m2[0], m2[1], 5))
    # Points: seven earners in month 1 (10 each) and five redeemers (100 each), one refunded.
    for someone in young + old[:1]:
        await points(someone, 10, PointReason.attendance, a, m1)
    for someone in young[:5]:
        await points(someone, -100, PointReason.redemption, a, m1)
    await points(young[0], 100, PointReason.redemption_refund, a, m1)
    await points(young[0], 10, PointReason.attendance, b, m1)  # another community's
    return {"tree": tree, "m1": m1, "m2": m2}


async def report(client: Client, user: User, scope: Any, **params: str) -> httpx.Response:
    return await client.get(
        MONTHLY, params={"community_id": str(scope.id), **params}, headers=factories.token_for(user)
    )


async def test_the_figures_match_what_happened(client: Client, story: dict[str, Any]) -> None:
    organiser = await factories.staff(Role.organiser, story["tree"]["street_a"])
    m1, m2 = text(story["m1"]), text(story["m2"])
    answer = await report(client, organiser, story["tree"]["street_a"], **{"from": m1, "to": m2})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["months"] == [m1, m2] and body["min_cell_size"] == 5 and body["scope_kind"] == "street"
    first, second = body["rows"]
    assert first["month"] == m1 and first["participants"] == 13
    assert first["age_bands"] == {"under_14": None, "youth": 6, "middle": None, "senior": 5, "unknown": None}
    assert first["volunteer_hours"] == round((6 * 120 + 60 - 30) / 60, 1) and first["volunteers"] == 6
    assert first["points_earned"] == 70 and first["earners"] == 7
    assert first["points_spent"] == 400 and first["spenders"] == 5
    assert {"age:under_14", "age:middle", "age:unknown"} <= set(first["suppressed"])
    # Month 2: six participants, five young and one child among four hidden bands (three of
    # them empty, which the reader cannot tell); two volunteers and no points: hidden.
    assert second["participants"] == 6
    assert second["age_bands"] == {"under_14": None, "youth": 5, "middle": None, "senior": None, "unknown": None}
    assert second["volunteer_hours"] is None and second["volunteers"] is None
    assert second["points_earned"] is None and second["points_spent"] is None
    assert {"volunteer_hours", "volunteers", "points_earned", "points_spent"} <= set(second["suppressed"])


async def test_scope_and_ranges_as_for_participation(client: Client, story: dict[str, Any]) -> None:
    tree = story["tree"]
    organiser_b = await factories.staff(Role.organiser, tree["street_b"])
    assert (await report(client, organiser_b, tree["street_a"])).status_code == 403
    resident = await factories.resident()
    assert (await report(client, resident, tree["street_a"])).status_code == 403
    assert (await client.get(MONTHLY, params={"community_id": str(tree["street_a"].id)})).status_code == 401
    admin = await factories.staff(Role.admin, tree["city"])
    refused = await report(client, admin, tree["city"], **{"from": "2026-05", "to": "2026-01"})
    assert refused.status_code == 422 and refused.json()["code"] == "stats_range_invalid"
    assert (await report(client, admin, tree["library_a"])).status_code == 422
    assert (await report(client, admin, tree["city"], **{"from": "2026-13"})).status_code == 422
    city = (await report(client, admin, tree["city"], **{"from": text(story["m1"]), "to": text(story["m1"])})).json()
    assert {row["community_name"] for row in city["rows"]} == {"南园社区", "莲花社区"}


async def test_the_csv_is_localised_suppressed_and_audited(client: Client, story: dict[str, Any]) -> None:
    organiser = await factories.staff(Role.organiser, story["tree"]["street_a"])
    m1, m2 = text(story["m1"]), text(story["m2"])
    await report(client, organiser, story["tree"]["street_a"], **{"from": m1, "to": m2})
    assert await AuditEntry.count().where(AuditEntry.action == "inclusion.monthly_statistics_exported") == 0
    answer = await report(client, organiser, story["tree"]["street_a"], **{"from": m1, "to": m2, "format": "csv"})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["社区", "月份", "参与人数"] and "志愿服务时长" in rows[0]
    assert rows[1][:4] == ["南园社区", m1, "13", "<5"] and rows[2][2] == "6"
    entries = await AuditEntry.select().where(AuditEntry.action == "inclusion.monthly_statistics_exported")
    assert len(entries) == 1 and entries[0]["actor"] == organiser.id


def test_a_lone_hidden_age_band_takes_the_next_smallest_with_it() -> None:
    row = MonthFigures(community_id=uuid.uuid4(), community_name={"zh-Hans": "南园社区"}, month=(2026, 10))
    counts = {"participants": 29, "under_14": 5, "youth": 9, "middle": 6, "senior": 7, "unknown": 2}
    _bands(row, counts)
    assert row.age_bands == {"under_14": None, "youth": 9, "middle": 6, "senior": 7, "unknown": None}
    assert row.suppressed == ["age:unknown", "age:under_14"]
    alone_empty = MonthFigures(community_id=uuid.uuid4(), community_name={}, month=(2026, 10))
    _bands(alone_empty, {**counts, "unknown": 0, "participants": 27})  # an empty band gives nothing away
    assert alone_empty.age_bands["under_14"] == 5 and alone_empty.suppressed == ["age:unknown"]
