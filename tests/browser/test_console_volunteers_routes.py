"""The rest of the coordinators' room in a real browser: a coordinator draws a route (more rows
through htmx, reordered by number), sees it on the map drawn from a tile server on loopback (the
browser itself never leaves the app), renames it and takes all its plates as a PDF; copies a week
of shifts after its preview; opens a volunteer's ledger and corrects an entry. Then in Japanese:
a team started, the route's page with its map, the ledger. A long-serving volunteer's ledger a
page at a time, older and back, in Chinese and English. Each read back through the API."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Page, expect

from backend.accounts.tables import Role, User
from backend.settings import Settings
from backend.volunteers.hours.queries import LEDGER_PAGE
from backend.volunteers.hours.tables import HoursEntry, HoursKind
from backend.volunteers.shifts.tables import Shift
from tests import factories
from tests.conftest import make_settings
from tests.fakes.tiles import TileServer, serve_tiles
from tests.fakes.wechat import FakeWechat
from tests.volunteers import builders
from tests.volunteers.test_copy_week import at, monday
from tests.volunteers.test_volunteer_ledger_pages import add_entries, hours_row
from tests.web.console import PASSWORD
from tests.web.test_console_volunteers_ledger import entry

LONG_TEAM = "姑苏区平江街道南园社区夜间安全巡逻志愿服务队"


@pytest.fixture(scope="module")
def tiles() -> Iterator[TileServer]:
    with serve_tiles() as server:
        yield server


@pytest.fixture
def settings(
    database_url: str, fake_wechat: FakeWechat, wechat_base_url: str, workdir: Path, tiles: TileServer
) -> Settings:
    return make_settings(
        database_url, fake_wechat, wechat_base_url, workdir, map_tiles=tiles.template, map_attribution="© 测试底图"
    )


async def _world() -> dict[str, Any]:
    tree = await factories.city_tree()
    team = await builders.team(tree["community_a"], name=LONG_TEAM)
    route, stops = await builders.route(team, stops=4)
    boss = await factories.staff(Role.coordinator, tree["community_a"])
    await User.update({User.display_name: "林协调员"}).where(User.id == boss.id)
    walker = await factories.resident("欧阳建国（南园二期）")
    await builders.member(team, walker)
    verified = await entry(team, walker, 100 * 60 + 30, "verified", boss, "重阳节社区敬老活动引导")
    await entry(team, walker, 90, "pending", boss, "周末夜巡")
    first = monday(1)
    for day, hour, title in ((1, 19, "周二夜间巡逻"), (5, 9, "周六河道巡查")):
        made = await builders.shift(team, starts_at=at(first + timedelta(days=day), hour))
        await Shift.update({Shift.title: {"zh-Hans": title, "ja": f"{title}（日）"}}).where(Shift.id == made.id)
    return {
        "tree": tree,
        "team": team,
        "route": route,
        "stops": stops,
        "boss": boss,
        "walker": walker,
        "verified": verified,
        "first": first,
    }


async def _sign_in(page: Page, served: str, user: User, where: str) -> None:
    await page.goto(f"{served}{where}")
    await page.get_by_label("用户名").fill(user.username)
    await page.get_by_label("密码").fill(PASSWORD)
    await page.locator("form button[type=submit]").first.click()


async def _map_drawn(page: Page) -> None:
    picture = page.locator(".route-map img")
    await expect(picture).to_be_visible()
    await page.wait_for_function("() => document.querySelector('.route-map img').complete")
    width = await picture.evaluate("img => img.naturalWidth")
    assert width == 960


@pytest.mark.parametrize("backend", ["sqlite"])  # the rules are tested on both databases in tests/web
async def test_a_coordinator_draws_a_route_and_prints_its_plates(
    page: Page, served: str, client: httpx.AsyncClient, outside: list[str], screenshot: Any, tiles: TileServer
) -> None:
    world = await _world()
    await _sign_in(page, served, world["boss"], f"/console/volunteers/teams/{world['team'].id}")
    await page.get_by_role("link", name="新建路线").click()
    await page.get_by_role("group", name="路线名称").get_by_label("简体中文").fill("平江河畔晨巡线")
    rows = [
        ("南门岗亭", "31.3101", "120.6301", "2"),
        ("河边凉亭", "31.3112", "120.6322", "3"),
        ("东门", "31.3090", "120.6290", "1"),
    ]
    for index, (name, lat, lng, order) in enumerate(rows):
        row = page.get_by_role("group", name=f"巡更点 {index + 1}", exact=True)
        await row.get_by_label("顺序").fill(order)
        await row.get_by_label("巡更点名称 · 简体中文").fill(name)
        await row.get_by_label("纬度").fill(lat)
        await row.get_by_label("经度").fill(lng)
    await page.get_by_role("button", name="再加几行").click()
    await expect(page.get_by_role("group", name="巡更点 8", exact=True)).to_be_visible()  # htmx added three
    await screenshot("console-volunteers-route-new-zh-Hans")
    await page.get_by_role("button", name="创建路线").click()
    await expect(page.get_by_text("路线已创建")).to_be_visible()
    await expect(page.locator(".route-stops .team-stop-name")).to_have_text(["东门", "南门岗亭", "河边凉亭"])
    await _map_drawn(page)
    assert tiles.asked  # the server fetched the tiles; the browser did not
    await screenshot("console-volunteers-route-zh-Hans")
    route_id = page.url.split("/routes/")[1].split("?")[0]
    read = await client.get(f"/api/v1/routes/{route_id}", headers=factories.token_for(world["boss"]))
    assert [c["name"] for c in read.json()["checkpoints"]] == ["东门", "南门岗亭", "河边凉亭"]
    pdf = page.get_by_role("link", name="全部巡更牌（A4 PDF）")
    answer = await page.request.get(f"{served}{await pdf.get_attribute('href')}")
    assert answer.status == 200 and answer.headers["content-type"] == "application/pdf"
    await page.get_by_role("link", name="编辑路线").click()
    await page.get_by_role("group", name="路线名称").get_by_label("简体中文").fill("平江河畔早巡线")
    await screenshot("console-volunteers-route-edit-zh-Hans")
    await page.get_by_role("button", name="保存名称").click()
    await expect(page.get_by_role("heading", name="平江河畔早巡线")).to_be_visible()
    assert outside == []


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_a_week_is_copied_and_an_entry_corrected(
    page: Page, served: str, client: httpx.AsyncClient, outside: list[str], screenshot: Any
) -> None:
    world = await _world()
    first = world["first"]
    await _sign_in(page, served, world["boss"], f"/console/volunteers/shifts?week={first}&team={world['team'].id}")
    await page.get_by_role("link", name="复制本周…").click()
    await page.get_by_role("button", name="预览").click()
    await expect(page.get_by_role("heading", name="将安排 2 个班次")).to_be_visible()
    await screenshot("console-volunteers-copy-week-zh-Hans")
    await page.get_by_role("button", name="安排 2 个班次").click()
    await expect(page.get_by_text("班次已复制到本周")).to_be_visible()
    await expect(page.get_by_role("link", name="周二夜间巡逻")).to_be_visible()
    await screenshot("console-volunteers-copied-week-zh-Hans")
    listed = await client.get(
        "/api/v1/shifts",
        params={"team_id": str(world["team"].id), "from": at(first + timedelta(weeks=1), 0).isoformat()},
    )
    assert {"周二夜间巡逻", "周六河道巡查"} <= {item["title"] for item in listed.json()}
    # From the hours queue to the volunteer's ledger, and a correction there.
    await page.get_by_role("link", name="待审核时长").click()
    await page.get_by_role("link", name="时长记录与更正 欧阳建国（南园二期）").click()
    await expect(page.get_by_text("一星志愿者")).to_be_visible()
    await page.locator("details.ledger-correct summary").click()
    await page.get_by_label("增加的分钟数（负数为扣减）").fill("-30")
    await page.get_by_label("原因").fill("多记了半小时")
    await screenshot("console-volunteers-ledger-correct-zh-Hans")
    await page.get_by_role("button", name="保存更正").click()
    await expect(page.get_by_text("更正已记录，立即生效。")).to_be_visible()
    await expect(page.get_by_text("更正后计 100 小时")).to_be_visible()
    await screenshot("console-volunteers-ledger-zh-Hans")
    ledger = await client.get(
        f"/api/v1/teams/{world['team'].id}/members/{world['walker'].id}/hours",
        headers=factories.token_for(world["boss"]),
    )
    assert ledger.json()["team_totals"]["verified_minutes"] == 6000
    assert outside == []


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_the_same_in_japanese(
    page: Page, served: str, client: httpx.AsyncClient, outside: list[str], screenshot: Any
) -> None:
    world = await _world()
    await page.set_viewport_size({"width": 1024, "height": 768})  # a tablet held sideways
    await _sign_in(page, served, world["boss"], "/console/volunteers/teams")
    await page.get_by_role("button", name="日本語").click()
    await page.get_by_role("link", name="チームを作る").click()
    await page.get_by_label("コミュニティ").select_option(label="南园社区")
    await page.get_by_role("group", name="チーム名").get_by_label("简体中文").fill("南园日语志愿者队")
    await page.get_by_role("group", name="チーム名").get_by_label("日本語").fill("南園日本語ボランティア隊")
    await screenshot("console-volunteers-team-new-ja")
    await page.get_by_role("button", name="チームを作成").click()
    await expect(page.get_by_role("heading", name="南園日本語ボランティア隊")).to_be_visible()
    team_id = page.url.split("/teams/")[1].split("?")[0]
    assert uuid.UUID(team_id)
    read = await client.get(f"/api/v1/teams/{team_id}", headers={"Accept-Language": "ja"})
    assert read.json()["name"] == "南園日本語ボランティア隊"
    await page.goto(f"{served}/console/volunteers/teams/routes/{world['route'].id}")
    await expect(page.get_by_role("heading", name="巡回順のチェックポイント")).to_be_visible()
    await _map_drawn(page)
    await screenshot("console-volunteers-route-ja")
    await page.goto(f"{served}/console/volunteers/teams/{world['team'].id}/members/{world['walker'].id}")
    await expect(page.get_by_text("一つ星ボランティア")).to_be_visible()
    await screenshot("console-volunteers-ledger-ja")
    assert outside == []


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_a_long_ledger_a_page_at_a_time(
    page: Page, served: str, client: httpx.AsyncClient, outside: list[str], screenshot: Any
) -> None:
    """Sixty-three entries: the newest 50 with the sums, "older entries" for the rest (where the
    oldest shows its balance after a correction made on the first page), and back."""
    world = await _world()
    rows = await add_entries(world["walker"], world["team"], 60)
    await HoursEntry.insert(
        hours_row(
            world["walker"],
            world["team"],
            0,
            kind=HoursKind.correction.value,
            minutes=-30,
            content="",
            reason="签退时间登记有误",
            status="verified",
            corrects=rows[0].id,
            created_at=builders.now() + timedelta(minutes=5),
            created_by=world["boss"].id,
        )
    )
    url = f"/console/volunteers/teams/{world['team'].id}/members/{world['walker'].id}"
    api = await client.get(
        f"/api/v1{url.removeprefix('/console/volunteers')}/hours", headers=factories.token_for(world["boss"])
    )
    sums = api.json()["team_totals"]
    await page.set_viewport_size({"width": 1280, "height": 900})
    await _sign_in(page, served, world["boss"], url)
    await expect(page.get_by_role("heading", name="记录", exact=True)).to_be_visible()
    entries = page.locator("table.ledger tbody tr")
    await expect(entries).to_have_count(LEDGER_PAGE)
    await expect(page.get_by_text("更正 2026-09-01 的记录")).to_be_visible()
    totals = await page.locator(".ledger-totals").inner_text()
    await expect(page.get_by_role("link", name="最新记录")).to_have_count(0)
    await screenshot("console-volunteers-ledger-page-zh-Hans")

    await page.get_by_role("link", name="更早的记录").click()
    await expect(page.get_by_role("heading", name="更早的记录")).to_be_visible()
    await expect(entries).to_have_count(63 - LEDGER_PAGE)
    assert page.url.endswith(f"?before={api.json()['next_before']}")
    await expect(page.locator(f"#entry-{rows[0].id}")).to_contain_text("更正后计 0.5 小时")
    assert await page.locator(".ledger-totals").inner_text() == totals  # the sums are whole on every page
    await expect(page.get_by_role("link", name="更早的记录")).to_have_count(0)
    await screenshot("console-volunteers-ledger-older-zh-Hans")

    await page.get_by_role("link", name="最新记录").click()
    await expect(entries).to_have_count(LEDGER_PAGE)
    assert page.url.endswith(url)

    await page.get_by_role("button", name="English").click()
    await expect(page.get_by_role("link", name="Older entries")).to_be_visible()
    await page.get_by_role("link", name="Older entries").click()
    await expect(page.get_by_role("heading", name="Older entries")).to_be_visible()
    await expect(page.locator(f"#entry-{rows[0].id}")).to_contain_text("0.5")
    await screenshot("console-volunteers-ledger-older-en")
    await page.get_by_role("link", name="Newest entries").click()
    await expect(entries).to_have_count(LEDGER_PAGE)
    await screenshot("console-volunteers-ledger-page-en")
    again = await client.get(
        f"/api/v1{url.removeprefix('/console/volunteers')}/hours", headers=factories.token_for(world["boss"])
    )
    assert again.json()["team_totals"] == sums
    assert outside == []
