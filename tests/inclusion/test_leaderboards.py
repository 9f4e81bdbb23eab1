"""Leaderboards over HTTP: opted-in residents only, months in city time, verified hours only."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest

from backend.accounts.tables import Organisation, User
from backend.core import clock
from backend.inclusion.points import ledger
from backend.inclusion.points.tables import PointEntry, PointReason
from backend.inclusion.profiles.tables import ResidentProfile
from backend.volunteers.hours.tables import HoursEntry, HoursStatus
from backend.volunteers.teams.tables import Team, TeamKind
from tests import factories

Client = httpx.AsyncClient


@pytest.fixture
async def tree(client: Client) -> dict[str, Organisation]:
    return await factories.city_tree()


async def person(name: str, *, opt_in: bool | None = True) -> User:
    """A resident; ``opt_in=None`` leaves them without a profile at all."""
    user = await factories.resident(name)
    if opt_in is not None:
        now = clock.now()
        await ResidentProfile(
            user=user.id, leaderboard_opt_in=opt_in, consented_at=now, created_at=now, updated_at=now
        ).save()
    return user


async def earn(
    user: User,
    points: int,
    community: Organisation,
    *,
    at: datetime | None = None,
    reason: PointReason = PointReason.attendance,
) -> None:
    key = f"test:{uuid.uuid4()}"
    await ledger.append(user_id=user.id, points=points, reason=reason, source_key=key, community_id=community.id)
    if at is not None:
        await PointEntry.update({PointEntry.created_at: at}).where(PointEntry.source_key == key)


async def board(
    client: Client, kind: str, community: Organisation, user: User | None = None, **query: Any
) -> httpx.Response:
    headers = factories.token_for(user) if user else {}
    return await client.get(
        f"/api/v1/leaderboards/{kind}", params={"community_id": str(community.id), **query}, headers=headers
    )


def rows(response: httpx.Response) -> list[tuple[int, str, float]]:
    assert response.status_code == 200, response.text
    return [(row["rank"], row["display_name"], row["value"]) for row in response.json()["rows"]]


async def test_only_residents_who_opted_in_appear_and_rank(client: Client, tree: dict[str, Organisation]) -> None:
    community = tree["community_a"]
    li, wang = await person("小李"), await person("小王")
    shy, no_profile = await person("害羞", opt_in=False), await person("无档案", opt_in=None)
    gone = await person("已注销")
    await earn(li, 50, community)
    await earn(wang, 80, community)
    await earn(shy, 200, community)
    await earn(no_profile, 300, community)
    await earn(gone, 500, community)
    await User.update({User.deleted_at: clock.now()}).where(User.id == gone.id)
    # Neither spending, staff corrections nor another community's points count.
    await earn(li, -30, community, reason=PointReason.redemption)
    await earn(li, 100, community, reason=PointReason.adjustment)
    await earn(li, 100, community, reason=PointReason.redemption_refund)
    await earn(li, 400, tree["community_b"])

    response = await board(client, "points", community, li)
    assert rows(response) == [(1, "小王", 80), (2, "小李", 50)]
    assert response.json()["me"] == {"rank": 2, "value": 50}
    assert response.json()["month"] == clock.city_today().strftime("%Y-%m")
    assert (await board(client, "points", community, shy)).json()["me"] is None
    assert (await board(client, "points", community)).json()["me"] is None
    assert rows(await board(client, "points", tree["community_b"])) == [(1, "小李", 400)]


async def test_equal_values_share_a_rank_and_the_limit_cuts_the_list(
    client: Client, tree: dict[str, Organisation]
) -> None:
    community = tree["community_a"]
    people = [await person(name) for name in ("甲", "乙", "丙", "丁")]
    for user, points in zip(people, (50, 50, 30, 10), strict=True):
        await earn(user, points, community)
    assert rows(await board(client, "points", community)) == [
        (1, "乙", 50),
        (1, "甲", 50),
        (3, "丙", 30),
        (4, "丁", 10),
    ]
    assert rows(await board(client, "points", community, limit=2)) == [(1, "乙", 50), (1, "甲", 50)]
    lowest = await board(client, "points", community, people[3], limit=1)
    assert lowest.json()["me"] == {"rank": 4, "value": 10}  # the caller's place, even below the cut


async def test_months_are_counted_in_city_time(client: Client, tree: dict[str, Organisation]) -> None:
    community = tree["community_a"]
    late, early = await person("夜猫子"), await person("早起")
    await earn(late, 40, community, at=datetime(2025, 10, 31, 15, 59, tzinfo=UTC))  # 23:59 on 31 October in Suzhou
    await earn(early, 60, community, at=datetime(2025, 10, 31, 16, 30, tzinfo=UTC))  # 00:30 on 1 November in Suzhou
    assert rows(await board(client, "points", community, month="2025-10")) == [(1, "夜猫子", 40)]
    november = await board(client, "points", community, early, month="2025-11")
    assert rows(november) == [(1, "早起", 60)]
    assert (november.json()["month"], november.json()["me"]) == ("2025-11", {"rank": 1, "value": 60})
    assert rows(await board(client, "points", community)) == []
    for bad in ("2026-13", "2026-1", "November"):
        assert (await board(client, "points", community, month=bad)).status_code == 422


async def test_hours_count_verified_entries_of_the_communitys_teams(
    client: Client, tree: dict[str, Organisation]
) -> None:
    community = tree["community_a"]
    team = Team(
        community=community.id, kind=TeamKind.patrol.value, name={"zh-Hans": "南园巡逻队"}, created_at=clock.now()
    )
    elsewhere = Team(
        community=tree["community_b"].id,
        kind=TeamKind.patrol.value,
        name={"zh-Hans": "莲花巡逻队"},
        created_at=clock.now(),
    )
    await team.save()
    await elsewhere.save()
    busy, steady, shy = await person("老张"), await person("小陈"), await person("不公开", opt_in=False)

    async def hours(
        user: User, minutes: int, status: HoursStatus, day: date = date(2026, 11, 12), team_: Team = team
    ) -> None:
        await HoursEntry(
            user=user.id,
            team=team_.id,
            kind="manual",
            minutes=minutes,
            service_date=day,
            source_key=f"test:{uuid.uuid4()}",
            status=status.value,
            created_at=clock.now(),
        ).save()

    await hours(busy, 120, HoursStatus.verified)
    await hours(busy, 30, HoursStatus.verified)
    await hours(busy, 600, HoursStatus.pending)
    await hours(busy, 600, HoursStatus.rejected)
    await hours(busy, 600, HoursStatus.verified, team_=elsewhere)
    await hours(busy, 600, HoursStatus.verified, day=date(2026, 12, 1))
    await hours(steady, 100, HoursStatus.verified, day=date(2026, 11, 30))
    await hours(shy, 6000, HoursStatus.verified)

    response = await board(client, "volunteer-hours", community, steady, month="2026-11")
    assert rows(response) == [(1, "老张", 2.5), (2, "小陈", 1.7)]
    assert response.json()["me"] == {"rank": 2, "value": 1.7}
    assert rows(await board(client, "volunteer-hours", community, month="2026-12")) == [(1, "老张", 10.0)]
    # Hours by the one rule (values.hours_of): 15 minutes are 0.3 h, as on every record and notice.
    await hours(await person("小李"), 15, HoursStatus.verified, day=date(2026, 12, 2))
    assert rows(await board(client, "volunteer-hours", community, month="2026-12"))[1] == (2, "小李", 0.3)


async def test_an_opted_in_caller_with_nothing_yet_sees_an_empty_place(
    client: Client, tree: dict[str, Organisation]
) -> None:
    newcomer = await person("新来的")
    response = await board(client, "points", tree["community_a"], newcomer)
    assert (rows(response), response.json()["me"]) == ([], {"rank": None, "value": 0})


async def test_bad_requests_are_refused(client: Client, tree: dict[str, Organisation]) -> None:
    assert (await client.get("/api/v1/leaderboards/points")).status_code == 422  # community_id is required
    unknown = await board(client, "karma", tree["community_a"])
    assert unknown.status_code == 422, unknown.text
    assert (await board(client, "points", tree["community_a"], limit=51)).status_code == 422
    missing = await client.get("/api/v1/leaderboards/points", params={"community_id": str(uuid.uuid4())})
    assert (missing.status_code, missing.json()["code"]) == (404, "organisation_not_found")
