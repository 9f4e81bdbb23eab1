"""Teams in the coordinators' room over HTTP (both databases): the teams one coordinates, a team's
members masked as the API shows them, requests to join approved or turned down through the API's
service (read back through the API), routes with checkpoints in order and their plates; another
team's page refused as the API refuses it, CSRF required."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from backend.accounts.tables import OrganisationKind, Role, User
from backend.volunteers.teams.tables import MemberStatus
from tests import factories
from tests.volunteers import builders
from tests.web.console import send, sign_in

Client = httpx.AsyncClient
ROOT = "/console/volunteers/teams"


@pytest.fixture
async def world(client: Client) -> dict[str, Any]:
    tree = await factories.city_tree()
    team = await builders.team(tree["community_a"], join_mode="approval", name="南园巡逻队")
    route, stops = await builders.route(team)
    other_community = await factories.organisation(OrganisationKind.community, tree["street_b"], "莲花社区")
    other = await builders.team(other_community, name="莲花志愿队")
    boss = await factories.staff(Role.coordinator, tree["community_a"])
    stranger = await factories.staff(Role.coordinator, other_community)
    member = await factories.resident("小林")
    await User.update({User.phone: "13912345678"}).where(User.id == member.id)
    await builders.member(team, member)
    asking = await factories.resident("王阿姨")
    await builders.member(team, asking, status=MemberStatus.pending)
    second = await factories.resident("陈师傅")
    await builders.member(team, second, status=MemberStatus.pending)
    return {
        "tree": tree,
        "team": team,
        "route": route,
        "stops": stops,
        "other": other,
        "boss": boss,
        "stranger": stranger,
        "member": member,
        "asking": asking,
        "second": second,
    }


async def api_members(client: Client, world: dict[str, Any]) -> dict[str, str]:
    answer = await client.get(f"/api/v1/teams/{world['team'].id}/members", headers=factories.token_for(world["boss"]))
    assert answer.status_code == 200, answer.text
    return {item["user_id"]: item["status"] for item in answer.json()}


async def test_the_teams_list_names_ones_own_teams_with_requests_waiting(client: Client, world: dict[str, Any]) -> None:
    await sign_in(client, world["boss"])
    room = await client.get("/console/volunteers")
    assert f'href="{ROOT}"' in room.text  # the room's navigation links the teams
    shown = await client.get(ROOT)
    assert shown.status_code == 200, shown.text
    assert "南园巡逻队" in shown.text and "莲花志愿队" not in shown.text
    assert f'href="{ROOT}/{world["team"].id}"' in shown.text
    assert '<span class="status warn">2</span>' in shown.text
    assert "莲花" not in (await client.get(ROOT, params={"q": "南园"})).text
    missing = await client.get(ROOT, params={"q": "没有这个队"})
    assert missing.status_code == 200 and "南园巡逻队" not in missing.text
    for sort in ("name", "-members", "waiting", "nonsense"):
        assert (await client.get(ROOT, params={"sort": sort, "page": "x"})).status_code == 200


async def test_a_team_page_shows_members_masked_requests_and_routes(client: Client, world: dict[str, Any]) -> None:
    await sign_in(client, world["boss"])
    shown = await client.get(f"{ROOT}/{world['team'].id}")
    assert shown.status_code == 200, shown.text
    text = shown.text
    assert "小林" in text and "王阿姨" in text and "陈师傅" in text
    assert "13912345678" not in text and "139****5678" in text
    assert f"/members/{world['asking'].id}/approve" in text
    # Checkpoints in walking order, with coordinates and a link to each plate.
    positions = [text.index(f"巡更点{n}") for n in (1, 2, 3)]
    assert positions == sorted(positions)
    assert f"{world['stops'][0].latitude:.5f}" in text
    for stop in world["stops"]:
        plate = f"{ROOT}/routes/{world['route'].id}/checkpoints/{stop.id}/plate.png"
        assert plate in text
    answer = await client.get(plate)
    assert answer.status_code == 200 and answer.headers["content-type"] == "image/png"
    assert answer.content.startswith(b"\x89PNG")


async def test_approve_and_reject_read_back_through_the_api(client: Client, world: dict[str, Any]) -> None:
    csrf = await sign_in(client, world["boss"])
    team_id, asking, second = world["team"].id, world["asking"].id, world["second"].id
    approved = await send(client, f"{ROOT}/{team_id}/members/{asking}/approve", csrf)
    assert approved.status_code == 303 and approved.headers["location"] == f"{ROOT}/{team_id}?done=approved"
    rejected = await send(client, f"{ROOT}/{team_id}/members/{second}/reject", csrf, htmx=True)
    assert rejected.status_code == 200 and rejected.headers["hx-redirect"] == f"{ROOT}/{team_id}?done=rejected"
    assert await api_members(client, world) == {
        str(world["member"].id): "active",
        str(asking): "active",
        str(second): "rejected",
    }
    page = await client.get(f"{ROOT}/{team_id}?done=approved")
    assert page.status_code == 200 and "已批准，该志愿者现在是队员了。" in page.text
    # Deciding again the other way is the API's 409, in the page's words; never a 500.
    again = await send(client, f"{ROOT}/{team_id}/members/{second}/approve", csrf, htmx=True)
    assert again.status_code == 409 and "该入队申请已处理。" in again.text
    nobody = await send(client, f"{ROOT}/{team_id}/members/{uuid.uuid4()}/approve", csrf)
    assert nobody.status_code == 404


async def test_another_teams_page_is_refused_as_in_the_api(client: Client, world: dict[str, Any]) -> None:
    csrf = await sign_in(client, world["stranger"])
    team_id = world["team"].id
    assert (await client.get(f"{ROOT}/{team_id}")).status_code == 403
    assert (await client.get(f"{ROOT}/{uuid.uuid4()}")).status_code == 404
    refused = await send(client, f"{ROOT}/{team_id}/members/{world['asking'].id}/approve", csrf)
    assert refused.status_code == 403
    stop = world["stops"][0]
    assert (await client.get(f"{ROOT}/routes/{world['route'].id}/checkpoints/{stop.id}/plate.png")).status_code == 404
    assert "南园巡逻队" not in (await client.get(ROOT)).text
    assert (await api_members(client, world))[str(world["asking"].id)] == "pending"


async def test_the_teams_need_the_coordinators_permission_and_csrf(client: Client, world: dict[str, Any]) -> None:
    organiser = await factories.staff(Role.organiser, world["tree"]["community_a"])
    await sign_in(client, organiser)
    assert (await client.get(ROOT)).status_code == 403
    assert (await client.get(f"{ROOT}/{world['team'].id}")).status_code == 403
    client.cookies.clear()
    await sign_in(client, world["boss"])
    where = f"{ROOT}/{world['team'].id}/members/{world['asking'].id}/approve"
    assert (await client.post(where, data={})).status_code == 403
    assert (await api_members(client, world))[str(world["asking"].id)] == "pending"


async def test_without_a_tile_source_a_route_is_its_list_with_coordinates(
    client: Client, world: dict[str, Any]
) -> None:
    await sign_in(client, world["boss"])
    route = world["route"]
    shown = await client.get(f"{ROOT}/routes/{route.id}")
    assert shown.status_code == 200, shown.text
    assert "map.png" not in shown.text and f"{world['stops'][0].latitude:.5f}" in shown.text
    assert (await client.get(f"{ROOT}/routes/{route.id}/map.png")).status_code == 404
