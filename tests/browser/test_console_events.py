"""The organisers' room in a real browser: an organiser creates a two-language event with a
poster and a venue added on the spot, publishes it; residents sign up through the API; the
organiser sees them masked and checks them in at the door, one by typing the code, one through
the camera (Chromium's fake camera shows the ticket's QR code). Then, shorter, in Japanese."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from PIL import Image, ImageDraw
from playwright.async_api import Page, expect

from backend.accounts.tables import Role, User
from backend.core.i18n import CITY_TZ
from tests import factories
from tests.web.console import PASSWORD


def poster_png() -> bytes:
    picture = Image.new("RGB", (600, 840), (176, 32, 38))
    draw = ImageDraw.Draw(picture)
    draw.rectangle((40, 40, 560, 800), outline=(250, 214, 120), width=12)
    draw.ellipse((180, 240, 420, 480), fill=(250, 214, 120))
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


def soon(minutes: int) -> str:
    """A datetime-local value, Suzhou time: the door opens an hour before the start."""
    return (datetime.now(CITY_TZ) + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M")


async def log_in(page: Page, served: str, user: User) -> None:
    await page.goto(f"{served}/console/login?next=/console/events")
    await page.locator("#field-username").fill(user.username)
    await page.locator("#field-password").fill(PASSWORD)
    await page.locator("form button[type=submit]").click()
    await expect(page.locator("h1")).to_be_visible()


async def sign_up(served: str, event_id: str, name: str, party: int) -> str:
    """A resident signs up through the API of the served app; the code their ticket's QR holds."""
    resident = await factories.resident(name)
    await User.update({User.phone: "13900001234"}).where(User.id == resident.id)
    async with httpx.AsyncClient(base_url=served, headers=factories.token_for(resident)) as api:
        place = await api.post(f"/api/v1/events/{event_id}/registrations", json={"party_size": party})
        assert place.status_code == 201, place.text
        ticket = await api.get(f"/api/v1/registrations/{place.json()['id']}/ticket")
        return str(ticket.json()["ticket"])


async def fill_event(page: Page, title: str, *, start_in: int = 30) -> None:
    await page.locator("#field-title-zh-Hans").fill(title)
    await page.locator("#field-category").select_option("performance")
    await page.locator("#field-starts_at").fill(soon(start_in))
    await page.locator("#field-ends_at").fill(soon(start_in + 120))
    await page.locator("#field-capacity").fill("40")
    await page.locator("#field-max_party_size").fill("4")


@pytest.mark.parametrize("backend", ["sqlite"])  # the rules are tested on both in tests/web
async def test_an_organiser_runs_an_event_from_draft_to_the_door(
    page: Page, served: str, outside: list[str], screenshot: Any, camera: Any
) -> None:
    tree = await factories.city_tree()
    await factories.venue(tree["community_a"], tree["community_a"])
    organiser = await factories.staff(Role.organiser, tree["community_a"])
    await User.update({User.display_name: "周老师"}).where(User.id == organiser.id)
    await log_in(page, served, organiser)
    await expect(page.get_by_role("heading", name="活动")).to_be_visible()
    await screenshot("console-events-empty-zh-Hans")

    await page.get_by_role("link", name="新建活动").first.click()
    await fill_event(page, "苏州评弹与昆曲新春联合演出暨社区邻里音乐会")
    await page.locator('button[hx-target="#field-title-zh-Hant"]').click()
    await expect(page.locator("#field-title-zh-Hant")).to_have_value("蘇州評彈與崑曲新春聯合演出暨社區鄰里音樂會")
    await page.locator("#field-title-ja").fill("蘇州評弾と崑曲の新春合同公演・地域ふれあい音楽会")
    await page.locator("#field-summary-zh-Hans").fill("评弹名家与社区票友同台，适合全家一起来。")
    await page.get_by_label("长者").check()
    await page.get_by_role("button", name="新增场地").click()
    await page.locator("#field-new_venue_name").fill("双塔街道文化站多功能厅")
    await page.locator("#field-new_venue_latitude").fill("北纬31度")
    await page.get_by_role("button", name="添加此场地").click()
    await expect(page.get_by_role("alert")).to_contain_text("纬度")
    await page.locator("#field-new_venue_latitude").fill("31.2990")
    await page.locator("#field-new_venue_longitude").fill("120.6300")
    await page.get_by_role("button", name="添加此场地").click()
    await expect(page.locator("#field-venue_id option:checked")).to_have_text("双塔街道文化站多功能厅")
    await screenshot("console-event-form-zh-Hans")

    await page.locator("#field-ends_at").fill(soon(20))  # before the start
    await page.get_by_role("button", name="保存为草稿").click()
    await expect(page.get_by_role("alert")).to_contain_text("结束时间")
    await screenshot("console-event-form-refused-zh-Hans")
    await page.locator("#field-ends_at").fill(soon(150))
    await page.get_by_role("button", name="保存为草稿").click()
    await expect(page.get_by_role("status")).to_contain_text("草稿")
    event_id = page.url.split("/console/events/")[1].split("?")[0]

    await page.locator("#field-file").set_input_files(
        {"name": "poster.png", "mimeType": "image/png", "buffer": poster_png()}
    )
    await page.get_by_role("button", name="上传海报").click()
    await expect(page.locator("img.poster-preview")).to_be_visible()
    await page.get_by_role("button", name="发布").click()
    await expect(page.get_by_role("status")).to_contain_text("已发布")
    await screenshot("console-event-published-zh-Hans")

    typed = await sign_up(served, event_id, "李晓梅", 2)
    scanned = await sign_up(served, event_id, "陈美玲", 1)
    await page.get_by_role("link", name="报名名单").click()
    await expect(page.get_by_role("cell", name="李*梅")).to_be_visible()
    await expect(page.get_by_text("李晓梅")).to_have_count(0)
    await screenshot("console-event-signups-zh-Hans")

    await page.get_by_role("link", name="活动", exact=True).click()
    await expect(page.get_by_role("cell", name="3 / 40")).to_be_visible()
    await screenshot("console-events-list-zh-Hans")

    await page.set_viewport_size({"width": 820, "height": 1180})  # a tablet at the door
    await page.goto(f"{served}/console/events/{event_id}/door")
    await screenshot("console-door-zh-Hans")
    await page.locator("#field-ticket").fill(typed)
    await page.get_by_role("button", name="签到", exact=True).click()
    await expect(page.locator(".result.good")).to_contain_text("欢迎！2 人已签到。")
    await expect(page.locator("#door-count")).to_contain_text("2 / 3")
    await screenshot("console-door-welcome-zh-Hans")
    await page.locator("#field-ticket").fill(typed)
    await page.get_by_role("button", name="签到", exact=True).click()
    await expect(page.locator(".result.warn")).to_be_visible()
    await screenshot("console-door-again-zh-Hans")

    camera.show(scanned)
    await page.get_by_role("button", name="用摄像头扫码").click()
    await expect(page.locator(".result.good")).to_contain_text("陈*玲")
    await expect(page.locator("#door-count")).to_contain_text("3 / 3")
    await screenshot("console-door-camera-zh-Hans")
    assert outside == []


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_the_same_room_in_japanese(page: Page, served: str, outside: list[str], screenshot: Any) -> None:
    tree = await factories.city_tree()
    await factories.venue(tree["community_a"], tree["community_a"], name="南园社区活动中心")
    organiser = await factories.staff(Role.organiser, tree["community_a"])
    await User.update({User.display_name: "佐藤"}).where(User.id == organiser.id)
    await log_in(page, served, organiser)
    await page.get_by_role("button", name="日本語").click()
    await expect(page.get_by_role("status")).to_be_visible()
    assert await page.get_attribute("html", "lang") == "ja"

    await page.get_by_role("link", name="新しいイベント").first.click()
    await fill_event(page, "日本茶の入れ方教室")
    await page.locator("#field-title-ja").fill("日本茶のおいしい入れ方教室　〜煎茶・玉露・ほうじ茶を味わう〜")
    await page.locator("#field-venue_id").select_option(index=1)
    await page.locator("#field-ends_at").fill(soon(10))
    await page.get_by_role("button", name="下書きを作成").click()
    await expect(page.get_by_role("alert")).to_contain_text("終了")
    await screenshot("console-event-form-refused-ja")
    await page.locator("#field-ends_at").fill(soon(150))
    await page.get_by_role("button", name="下書きを作成").click()
    await expect(page.get_by_role("status")).to_contain_text("下書き")
    await page.get_by_role("button", name="公開する").click()
    await expect(page.get_by_role("status")).to_contain_text("公開しました")
    await screenshot("console-event-published-ja")
    event_id = page.url.split("/console/events/")[1].split("?")[0]

    ticket = await sign_up(served, event_id, "山田花子", 1)
    await page.goto(f"{served}/console/events/{event_id}/door")
    await page.locator("#field-ticket").fill(ticket)
    await page.get_by_role("button", name="受付", exact=True).click()
    await expect(page.locator(".result.good")).to_contain_text("ようこそ")
    await screenshot("console-door-welcome-ja")
    await page.locator("#field-ticket").fill("L1.not.a-ticket")
    await page.get_by_role("button", name="受付", exact=True).click()
    await expect(page.locator(".result.bad")).to_be_visible()
    await screenshot("console-door-refused-ja")
    assert outside == []
