"""The coordinators' room in a real browser: a coordinator plans a patrol shift on the form, a
volunteer (driven through the API) signs up, checks in and scans checkpoints and shows on the live
attendance sheet, checks out; the coordinator verifies that entry and another volunteer's claim
in one go; every result read back through the API. Then, shorter, in Korean (issue 18 asks for
zh-Hans and ko)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from playwright.async_api import Page, expect

from backend.accounts.tables import OrganisationKind, Role, User
from backend.core import clock
from backend.core.i18n import CITY_TZ
from tests import factories
from tests.volunteers import builders
from tests.web.console import PASSWORD

LONG_TEAM = "姑苏区平江街道南园社区夜间安全巡逻志愿服务队"
LONG_NAME = "欧阳建国（南园二期）"


async def _world(client: httpx.AsyncClient) -> dict[str, Any]:
    tree = await factories.city_tree()
    team = await builders.team(tree["community_a"], name=LONG_TEAM)
    route, stops = await builders.route(team)
    other = await builders.team(
        await factories.organisation(OrganisationKind.community, tree["street_b"], "莲花社区"), name="莲花志愿队"
    )
    boss = await factories.staff(Role.coordinator, tree["community_a"])
    await User.update({User.display_name: "林协调员"}).where(User.id == boss.id)
    walker = await factories.resident(LONG_NAME)
    helper = await factories.resident("王阿姨")
    for person in (walker, helper):
        await builders.member(team, person)
    return {
        "team": team,
        "route": route,
        "stops": stops,
        "other": other,
        "boss": boss,
        "walker": walker,
        "helper": helper,
    }


async def _sign_in(page: Page, served: str, user: User, *, username: str = "用户名", password: str = "密码") -> None:
    await page.goto(f"{served}/console/volunteers")
    await page.get_by_label(username).fill(user.username)
    await page.get_by_label(password).fill(PASSWORD)
    await page.locator("form button[type=submit]").first.click()


async def _claim(client: httpx.AsyncClient, world: dict[str, Any], person: User, reason: str) -> str:
    answer = await client.post(
        f"/api/v1/teams/{world['team'].id}/hours",
        json={"minutes": 90, "service_date": str(clock.city_today() - timedelta(days=1)), "reason": reason},
        headers=factories.token_for(person),
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


async def _status(client: httpx.AsyncClient, person: User, entry_id: str) -> str:
    mine = await client.get("/api/v1/me/hours", headers=factories.token_for(person))
    return str(next(i for i in mine.json()["items"] if i["id"] == entry_id)["status"])


def _local(moment: Any) -> str:
    return moment.astimezone(CITY_TZ).strftime("%Y-%m-%dT%H:%M")


@pytest.mark.parametrize("backend", ["sqlite"])  # the rules are tested on both databases in tests/web
async def test_a_coordinator_plans_watches_and_verifies(
    page: Page, served: str, client: httpx.AsyncClient, outside: list[str], screenshot: Any
) -> None:
    world = await _world(client)
    await page.set_viewport_size({"width": 1280, "height": 860})
    await _sign_in(page, served, world["boss"])
    await expect(page.get_by_role("link", name="待审核时长")).to_be_visible()
    await expect(page.get_by_text("没有待审核的时长")).to_be_visible()
    await screenshot("console-volunteers-queue-empty-zh-Hans")

    # Plan a patrol that starts in ten minutes (check-in opens half an hour before).
    await page.get_by_role("link", name="班次安排", exact=True).click()
    await page.get_by_role("link", name="安排班次").click()
    start = (clock.now() + timedelta(minutes=10)).replace(second=0, microsecond=0)
    await page.get_by_label("团队", exact=True).select_option(str(world["team"].id))
    await page.locator("#field-title-zh-Hans").fill("南园周末夜间巡逻（二期东门集合）")
    await page.get_by_label("巡逻路线").select_option(str(world["route"].id))
    await page.get_by_label("开始时间").fill(_local(start))
    await page.get_by_label("结束时间").fill(_local(start + timedelta(minutes=40)))
    await page.get_by_label("名额").fill("3")
    await screenshot("console-volunteers-shift-form-zh-Hans")
    await page.get_by_role("button", name="安排此班次").click()
    await expect(page.get_by_text("班次已安排")).to_be_visible()
    await expect(page.get_by_text("已报名 0/3 人")).to_be_visible()
    await screenshot("console-volunteers-week-zh-Hans")
    listed = await client.get("/api/v1/shifts", params={"team_id": str(world["team"].id)})
    shift = next(s for s in listed.json() if s["title"] == "南园周末夜间巡逻（二期东门集合）")
    assert shift["route"]["id"] == str(world["route"].id) and shift["capacity"] == 3

    # The volunteer, through the API: sign up, check in, scan the first and the last plate.
    token = factories.token_for(world["walker"])
    base = f"/api/v1/shifts/{shift['id']}"
    assert (await client.post(f"{base}/signups", headers=token)).status_code == 201
    assert (await client.post(f"{base}/check-in", headers=token)).status_code == 200
    for stop in (world["stops"][0], world["stops"][2]):
        assert (await client.post(f"{base}/checkpoints/{stop.code}/scan", headers=token)).status_code == 200
    await page.get_by_role("link", name="南园周末夜间巡逻（二期东门集合）").click()
    await expect(page.get_by_role("heading", name="考勤表")).to_be_visible()
    row = page.locator("table.vol-sheet tbody tr").filter(has_text=LONG_NAME)
    await expect(row).to_be_visible()
    await expect(row.get_by_text("未扫描巡更点 2。")).to_be_visible()
    await expect(row.locator("li.done")).to_have_count(2)
    await screenshot("console-volunteers-sheet-live-zh-Hans")

    # Checked out at the end: a pending entry with its flags; another volunteer's claim waits too.
    with clock.frozen(start + timedelta(minutes=40)):  # within the hour the test's sessions last
        out = await client.post(f"{base}/check-out", headers=token)
    assert out.status_code == 200, out.text
    shift_entry = str(out.json()["hours_entry"]["id"])
    claimed = await _claim(client, world, world["helper"], "重阳节敬老活动引导，忘记签到")
    await page.reload()
    await expect(row.locator("li.missed")).to_have_count(1)
    await screenshot("console-volunteers-sheet-closed-zh-Hans")

    await page.get_by_role("link", name="待审核时长").click()
    await expect(page.get_by_text("2 条待审核")).to_be_visible()
    await expect(page.get_by_text("未扫描巡更点 2。")).to_be_visible()
    await screenshot("console-volunteers-queue-zh-Hans")
    for box in await page.locator("input[name=entry_ids]").all():
        await box.check()
    await page.get_by_role("button", name="核实勾选项").click()
    await expect(page.get_by_text("已核实 2 条记录。")).to_be_visible()
    await expect(page.get_by_text("没有待审核的时长")).to_be_visible()
    await screenshot("console-volunteers-verified-zh-Hans")
    assert await _status(client, world["walker"], shift_entry) == "verified"
    assert await _status(client, world["helper"], claimed) == "verified"
    assert outside == []


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_the_same_in_korean(
    page: Page, served: str, client: httpx.AsyncClient, outside: list[str], screenshot: Any
) -> None:
    world = await _world(client)
    shift = await builders.shift(
        world["team"], starts_at=builders.now() - timedelta(minutes=20), route_=world["route"], capacity=4
    )
    await builders.signup(shift, world["walker"])
    token = factories.token_for(world["walker"])
    assert (await client.post(f"/api/v1/shifts/{shift.id}/check-in", headers=token)).status_code == 200
    assert (
        await client.post(f"/api/v1/shifts/{shift.id}/checkpoints/{world['stops'][1].code}/scan", headers=token)
    ).status_code == 200
    claimed = await _claim(client, world, world["helper"], "경로당 행사 안내, 체크인을 잊음")
    await page.set_viewport_size({"width": 1024, "height": 768})  # a tablet held sideways
    await _sign_in(page, served, world["boss"])
    await page.get_by_role("button", name="한국어").click()
    await expect(page.get_by_role("link", name="확인할 시간")).to_be_visible()
    await screenshot("console-volunteers-queue-ko")
    await page.get_by_role("link", name="근무 일정", exact=True).click()
    await expect(page.get_by_text("4명 중 1명 신청")).to_be_visible()
    await screenshot("console-volunteers-week-ko")
    await page.locator("a.vol-shift-title").first.click()
    await expect(page.get_by_role("heading", name="출석부")).to_be_visible()
    await expect(page.get_by_text("순찰 지점 1을(를) 스캔하지 않았습니다.")).to_be_visible()
    await screenshot("console-volunteers-sheet-ko")
    await page.get_by_role("link", name="확인할 시간").click()
    await page.locator("input[name=entry_ids]").first.check()
    await page.get_by_label("봉사자에게 남길 메모(반려 시 필수)").fill("그날 근무 기록이 없습니다")
    await page.get_by_role("button", name="선택 항목 반려").click()
    await expect(page.get_by_text("1건을 반려했습니다.")).to_be_visible()
    await screenshot("console-volunteers-rejected-ko")
    assert await _status(client, world["helper"], claimed) == "rejected"
    assert outside == []
