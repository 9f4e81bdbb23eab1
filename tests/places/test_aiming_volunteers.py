"""Teams and shifts aimed at places over HTTP (issue 19): a community coordinator aims a team at
the alliance's estates and a shift at a grid; joining and signing up check where one lives and
say why not; an aim out of the community's reach is refused."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from backend.accounts.tables import Role
from backend.places import alliances, grids, residences
from backend.places.schemas import GridAreaIn, MemberIn, ResidencePut
from tests import factories
from tests.volunteers import builders

Client = httpx.AsyncClient
V1 = "/api/v1"


@pytest.fixture
async def nanyuan(client: Client) -> dict[str, Any]:
    tree = await factories.city_tree()
    community = tree["community_a"]
    jinxiu = await factories.estate(community, name={"zh-Hans": "南园·锦绣苑", "en": "Jinxiu Garden"})
    anzhi = await factories.estate(
        community, name={"zh-Hans": "南园·安置小区", "en": "Nanyuan Resettlement Estate"}, kind="resettlement"
    )
    old = await factories.estate(community, name={"zh-Hans": "南园·老新村", "en": "Old New Village"})
    alliance = await alliances.create_alliance(
        user_id=None,
        community_id=community.id,
        name={"zh-Hans": "南园小区联盟", "en": "Nanyuan Estate Alliance"},
        members=[MemberIn(estate_id=jinxiu, role="flagship"), MemberIn(estate_id=anzhi, role="partner")],
    )
    grid = await grids.create_grid(
        user_id=None,
        community_id=community.id,
        name={"zh-Hans": "南园第三网格", "en": "Nanyuan Grid 3"},
        areas=[GridAreaIn(estate_id=old)],
    )
    coordinator = await factories.staff(Role.coordinator, community)
    return {
        "tree": tree,
        "community": community,
        "estates": {"jinxiu": jinxiu, "anzhi": anzhi, "old": old},
        "alliance": alliance,
        "grid": grid,
        "auth": factories.token_for(coordinator),
    }


async def volunteer(estate: Any | None) -> Any:
    person = await factories.resident()
    await builders.profile(person)
    if estate is not None:
        await residences.set_residence(user_id=person.id, data=ResidencePut(estate_id=estate, consent=True))
    return person


async def join(client: Client, team_id: str, person: Any) -> httpx.Response:
    return await client.post(
        f"{V1}/teams/{team_id}/members", params={"lang": "en"}, headers=factories.token_for(person)
    )


async def test_a_team_for_the_alliances_estates(client: Client, nanyuan: dict[str, Any]) -> None:
    made = await client.post(
        f"{V1}/teams",
        params={"lang": "en"},
        json={
            "community_id": str(nanyuan["community"].id),
            "kind": "neighbourhood_watch",
            "name": {"zh-Hans": "联盟邻里守望队"},
            "audience": {"kind": "alliance", "alliance_id": str(nanyuan["alliance"])},
        },
        headers=nanyuan["auth"],
    )
    assert made.status_code == 201, made.text
    team = made.json()
    assert team["audience"]["label"] == "For residents of the estates of Nanyuan Estate Alliance"
    assert (await join(client, team["id"], await volunteer(nanyuan["estates"]["anzhi"]))).status_code == 201
    page = (await client.get(f"{V1}/alliances/{nanyuan['alliance']}")).json()
    assert [t["id"] for t in (await client.get(page["teams_url"])).json()] == [team["id"]]
    refused = await join(client, team["id"], await volunteer(nanyuan["estates"]["old"]))
    assert refused.status_code == 403 and refused.json()["code"] == "not_for_your_estate"
    assert refused.json()["detail"] == "This team is for residents of Nanyuan Estate Alliance."
    refused = await join(client, team["id"], await volunteer(None))
    assert refused.status_code == 403 and refused.json()["code"] == "residence_required"
    assert refused.json()["detail"].endswith("set where you live in your profile.")

    # Opened to everyone by its coordinator, anyone may join.
    opened = await client.patch(
        f"{V1}/teams/{team['id']}", json={"audience": {"kind": "everyone"}}, headers=nanyuan["auth"]
    )
    assert opened.status_code == 200 and opened.json()["audience"]["kind"] == "everyone"
    assert (await join(client, team["id"], await volunteer(None))).status_code == 201


async def test_a_team_aimed_outside_its_community_is_refused(client: Client, nanyuan: dict[str, Any]) -> None:
    elsewhere = await factories.estate(nanyuan["tree"]["community_b"])
    made = await client.post(
        f"{V1}/teams",
        json={
            "community_id": str(nanyuan["community"].id),
            "kind": "patrol",
            "name": {"zh-Hans": "巡逻队"},
            "audience": {"kind": "estates", "estate_ids": [str(elsewhere)]},
        },
        headers=nanyuan["auth"],
    )
    assert made.status_code == 422 and made.json()["code"] == "aim_out_of_reach"


async def test_a_shift_for_one_grid(client: Client, nanyuan: dict[str, Any]) -> None:
    team = await builders.team(nanyuan["community"])
    start = builders.now() + timedelta(days=2)
    made = await client.post(
        f"{V1}/teams/{team.id}/shifts",
        params={"lang": "en"},
        json={
            "title": {"zh-Hans": "老新村夜巡"},
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=2)).isoformat(),
            "capacity": 4,
            "audience": {"kind": "grid", "grid_id": str(nanyuan["grid"])},
        },
        headers=nanyuan["auth"],
    )
    assert made.status_code == 201, made.text
    shift = made.json()
    assert shift["audience"]["grid"]["name"] == "Nanyuan Grid 3"
    inside, outside = await volunteer(nanyuan["estates"]["old"]), await volunteer(nanyuan["estates"]["jinxiu"])
    for person in (inside, outside):
        await builders.member(team, person)

    async def sign_up(person: Any) -> httpx.Response:
        return await client.post(
            f"{V1}/shifts/{shift['id']}/signups", params={"lang": "en"}, headers=factories.token_for(person)
        )

    assert (await sign_up(inside)).status_code == 201
    refused = await sign_up(outside)
    assert refused.status_code == 403 and refused.json()["detail"] == "This shift is for residents of Nanyuan Grid 3."
