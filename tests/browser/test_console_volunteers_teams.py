"""Teams in the coordinators' room in a real browser: a coordinator opens the Teams tab, a team
with a long name, approves one request to join and turns down another (read back through the
API), and sees the routes' checkpoints in order with their plates. Then, shorter, in Korean."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.async_api import Page, expect

from backend.accounts.tables import Role, User
from backend.volunteers.teams.tables import MemberStatus
from tests import factories
from tests.volunteers import builders
from tests.web.console import PASSWORD

LONG_TEAM = "姑苏区平江街道南园社区夜间安全巡逻志愿服务队"
LONG_NAME = "欧阳建国（南园二期）"


async def _world() -> dict[str, Any]:
    tree = await factories.city_tree()
    team = await builders.team(tree["community_a"], join_mode="approval", name=LONG_TEAM)
    route, stops = await builders.route(team, stops=4)
    boss = await factories.staff(Role.coordinator, tree["community_a"])
    await User.update({User.display_name: "林协调员"}).where(User.id == boss.id)
    member = await factories.resident("王阿姨")
    await User.update({User.phone: "13912345678"}).where(User.id == member.id)
    await builders.member(team, member)
    asking = await factories.resident(LONG_NAME)
    await builders.member(team, asking, status=MemberStatus.pending)
    second = await factories.resident("陈师傅")
    await builders.member(team, second, status=MemberStatus.pending)
    return {"team": team, "route": route, "stops": stops, "boss": boss, "asking": asking, "second": second}


async def _sign_in(page: Page, served: str, user: User) -> None:
    await page.goto(f"{served}/console/volunteers/teams")
    await page.get_by_label("用户名").fill(user.username)
    await page.get_by_label("密码").fill(PASSWORD)
    await page.locator("form button[type=submit]").first.click()


async def _statuses(client: httpx.AsyncClient, world: dict[str, Any]) -> dict[str, str]:
    answer = await client.get(f"/api/v1/teams/{world['team'].id}/members", headers=factories.token_for(world["boss"]))
    return {item["user_id"]: item["status"] for item in answer.json()}


@pytest.mark.parametrize("backend", ["sqlite"])  # the rules are tested on both databases in tests/web
async def test_a_coordinator_decides_requests_and_reads_routes(
    page: Page, served: str, client: httpx.AsyncClient, outside: list[str], screenshot: Any
) -> None:
    world = await _world()
    await page.set_viewport_size({"width": 1280, "height": 800})
    await _sign_in(page, served, world["boss"])
    await expect(page.get_by_role("link", name=LONG_TEAM)).to_be_visible()
    await screenshot("console-volunteers-teams-zh-Hans")
    await page.get_by_role("link", name=LONG_TEAM).click()
    await expect(page.get_by_role("heading", name="入队申请")).to_be_visible()
    await expect(page.get_by_text("139****5678")).to_be_visible()
    await screenshot("console-volunteers-team-zh-Hans")
    await page.get_by_role("button", name=f"批准{LONG_NAME}").click()
    await expect(page.get_by_text("已批准，该志愿者现在是队员了。")).to_be_visible()
    await page.get_by_role("button", name="拒绝陈师傅").click()
    await expect(page.get_by_text("已拒绝该申请。")).to_be_visible()
    await expect(page.get_by_text("暂无入队申请。")).to_be_visible()
    await screenshot("console-volunteers-team-decided-zh-Hans")
    statuses = await _statuses(client, world)
    assert (statuses[str(world["asking"].id)], statuses[str(world["second"].id)]) == ("active", "rejected")
    stops = page.locator(".team-stops li .team-stop-name")
    await expect(stops).to_have_text([f"巡更点{n}" for n in range(1, 5)])
    plate = page.get_by_role("link", name="巡更牌（PNG） 巡更点1")
    href = await plate.get_attribute("href")
    assert href and href.endswith(f"/checkpoints/{world['stops'][0].id}/plate.png")
    answer = await page.request.get(f"{served}{href}")
    assert answer.status == 200 and answer.headers["content-type"] == "image/png"
    assert outside == []


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_the_same_in_korean(
    page: Page, served: str, client: httpx.AsyncClient, outside: list[str], screenshot: Any
) -> None:
    world = await _world()
    await page.set_viewport_size({"width": 1024, "height": 768})  # a tablet held sideways
    await _sign_in(page, served, world["boss"])
    await page.get_by_role("button", name="한국어").click()
    await expect(page.get_by_role("heading", name="자원봉사")).to_be_visible()
    await page.get_by_role("link", name="팀", exact=True).click()
    await expect(page.locator("a.team-name")).to_have_text("Nanyuan Patrol")  # no Korean name: the English
    await screenshot("console-volunteers-teams-ko")
    await page.locator("a.team-name").click()
    await page.get_by_role("button", name=f"{LONG_NAME} 님 승인").click()
    await expect(page.get_by_text("승인했습니다. 이제 이 봉사자는 팀 대원입니다.")).to_be_visible()
    await screenshot("console-volunteers-team-ko")
    assert (await _statuses(client, world))[str(world["asking"].id)] == "active"
    assert outside == []
