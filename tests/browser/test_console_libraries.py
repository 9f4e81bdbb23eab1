"""The library room in a real browser: a librarian signs in, opens their branch, adds a closure on
a date (seen on the calendar's preview first, then saved), changes a day's hours, and reports free
e-reading seats with one tap; every result read back through the API. Then the same, shorter, in
Japanese."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from playwright.async_api import Page, expect

from backend.accounts.tables import OrganisationKind, Role, User
from backend.core import clock
from tests import factories
from tests.web.console import PASSWORD

LONG_NAME = "苏州图书馆双塔街道分馆（定慧寺巷公共电子阅览室）"


async def _librarian_and_branch(client: httpx.AsyncClient) -> tuple[User, dict[str, Any]]:
    tree = await factories.city_tree()
    other = await factories.organisation(OrganisationKind.library, tree["street_b"], "莲花分馆")
    librarian = await factories.staff(Role.library_staff, tree["library_a"])
    await User.update({User.display_name: "林馆员"}).where(User.id == librarian.id)
    venue = await factories.venue(tree["library_a"], name=LONG_NAME)
    body = {
        "organisation_id": str(tree["library_a"].id),
        "venue_id": str(venue.id),
        "name": {
            "zh-Hans": LONG_NAME,
            "en": "Suzhou Library, Shuangta Branch",
            "ja": "蘇州図書館 双塔街道分館（定慧寺巷電子閲覧室）",
        },
        "address": {"zh-Hans": "姑苏区定慧寺巷1号", "ja": "姑蘇区定慧寺巷1号"},
        "services": ["lending", "e_reading", "children"],
        "e_reading_seats": 24,
        "weekly_hours": {str(d): [{"opens": "09:00", "closes": "17:00"}] for d in range(7)},
    }
    made = await client.post("/api/v1/library-branches", json=body, headers=factories.token_for(librarian))
    assert made.status_code == 201, made.text
    stranger = await factories.staff(Role.library_staff, other)
    theirs = dict(body, organisation_id=str(other.id), venue_id=str((await factories.venue(other, name="莲花分馆")).id))
    theirs["name"] = {"zh-Hans": "莲花分馆"}
    assert (
        await client.post("/api/v1/library-branches", json=theirs, headers=factories.token_for(stranger))
    ).status_code == 201
    return librarian, made.json()


async def _sign_in(page: Page, served: str, librarian: User) -> None:
    await page.goto(f"{served}/console/libraries")
    await page.get_by_label("用户名").fill(librarian.username)
    await page.get_by_label("密码").fill(PASSWORD)
    await page.get_by_role("button", name="登录").click()


async def _api(client: httpx.AsyncClient, branch: dict[str, Any], lang: str = "zh-Hans") -> dict[str, Any]:
    answer = await client.get(f"/api/v1/library-branches/{branch['id']}", params={"lang": lang})
    assert answer.status_code == 200
    return answer.json()


@pytest.mark.parametrize("backend", ["sqlite"])  # the rules are tested on both databases in tests/web
async def test_a_librarian_keeps_a_branch(
    page: Page, served: str, client: httpx.AsyncClient, outside: list[str], screenshot: Any
) -> None:
    librarian, branch = await _librarian_and_branch(client)
    await _sign_in(page, served, librarian)
    await expect(page.get_by_role("heading", name="图书馆分馆")).to_be_visible()
    await expect(page.get_by_role("link", name=LONG_NAME)).to_be_visible()
    await expect(page.get_by_role("link", name="莲花分馆")).to_have_count(0)  # another library's
    await screenshot("console-libraries-list-zh-Hans")

    await page.get_by_role("link", name=LONG_NAME).click()
    await expect(page.get_by_role("heading", name=LONG_NAME)).to_be_visible()
    await expect(page.get_by_label("简体中文").first).to_have_value(LONG_NAME)
    await screenshot("console-libraries-details-zh-Hans")

    await page.get_by_role("link", name="房间").click()
    await expect(page.get_by_text("本馆还没有房间")).to_be_visible()
    await page.locator("#field-name-zh-Hans").fill("少儿阅读角（绘本馆）")
    await page.get_by_label("座位数").fill("16")
    await page.get_by_role("button", name="添加房间").click()
    await expect(page.get_by_role("status").first).to_contain_text("房间已添加")
    await expect(page.get_by_role("cell", name="少儿阅读角（绘本馆）")).to_be_visible()
    await screenshot("console-libraries-rooms-zh-Hans")
    assert [(r["name"], r["seats"]) for r in (await _api(client, branch))["rooms"]] == [("少儿阅读角（绘本馆）", 16)]

    # A closure on a date: seen on the calendar's preview, then saved.
    day = clock.city_today() + timedelta(days=3)
    await page.get_by_role("link", name="特殊日期").click()
    await page.get_by_label("日期").fill(day.isoformat())
    await page.get_by_label("全天闭馆").check()
    await page.locator("#field-note-zh-Hans").fill("馆内设备检修")
    await page.get_by_role("button", name="在日历上预览").click()
    preview = page.locator("#calendar")
    await expect(preview.get_by_role("status")).to_contain_text("预览：尚未保存")
    await expect(preview.locator(f'td:has(time[datetime="{day.isoformat()}"])')).to_contain_text("馆内设备检修")
    await screenshot("console-libraries-exception-preview-zh-Hans")
    assert not [d for d in (await _api(client, branch))["week"] if d["note"]]  # nothing saved yet
    await page.get_by_role("button", name="保存特殊日期").click()
    await expect(page.get_by_role("status").first).to_contain_text("特殊日期已保存")
    await expect(page.locator(".lib-exceptions")).to_contain_text("馆内设备检修")
    await screenshot("console-libraries-exception-saved-zh-Hans")
    saved = next(d for d in (await _api(client, branch))["week"] if d["date"] == day.isoformat())
    assert saved["intervals"] == [] and saved["note"] == "馆内设备检修"

    # A day's hours: Tuesday with a lunch break, past midnight on Friday.
    await page.get_by_role("link", name="每周开放时间").click()
    await page.locator("#field-weekly_hours-1\\[0\\]-closes").fill("12:00")
    await page.locator("#field-weekly_hours-1\\[1\\]-opens").fill("13:30")
    await page.locator("#field-weekly_hours-1\\[1\\]-closes").fill("20:00")
    await page.locator("#field-weekly_hours-4\\[0\\]-closes").fill("01:00")
    await page.get_by_role("button", name="在日历上预览").click()
    await expect(page.locator("#calendar").get_by_role("status")).to_be_visible()
    await expect(page.locator("#calendar td.changed").first).to_be_visible()
    await screenshot("console-libraries-hours-preview-zh-Hans")
    await page.get_by_role("button", name="保存开放时间").click()
    await expect(page.get_by_role("status").first).to_contain_text("开放时间已保存")
    await screenshot("console-libraries-hours-saved-zh-Hans")
    # The calendar pages (htmx) to a month with public holidays and a make-up working day.
    await page.goto(f"{served}/console/libraries/{branch['id']}/hours?month=2026-11")
    await expect(page.locator("#calendar-title")).to_have_text("2026年11月")
    await page.get_by_role("link", name="上个月").click()
    await expect(page.locator("#calendar-title")).to_have_text("2026年10月")
    await expect(page.locator('#calendar td:has(time[datetime="2026-10-01"])')).to_contain_text("国庆节")
    await expect(page.locator('#calendar td:has(time[datetime="2026-10-10"])')).to_contain_text("调休")
    await screenshot("console-libraries-calendar-october-zh-Hans")
    week = {d["weekday"]: d for d in (await _api(client, branch, "en"))["week"]}
    tuesday = next(d for d in week.values() if d["weekday"].startswith("Tue"))
    if tuesday["kind"] == "workday" and tuesday["date"] != day.isoformat():
        assert tuesday["intervals"] == [{"opens": "09:00", "closes": "12:00"}, {"opens": "13:30", "closes": "20:00"}]

    # Free seats, one tap on a tablet at the desk.
    await page.set_viewport_size({"width": 1024, "height": 768})
    await page.get_by_role("link", name="实时座位").click()
    await page.get_by_role("button", name="12", exact=True).click()
    await expect(page.get_by_role("status").first).to_contain_text("已报告空余座位")
    await expect(page.locator(".lib-seats-now")).to_contain_text("12")
    await screenshot("console-libraries-seats-tablet-zh-Hans")
    occupancy = (await _api(client, branch))["occupancy"]
    assert occupancy["known"] and occupancy["free_seats"] == 12
    assert outside == []


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_the_same_in_japanese(
    page: Page, served: str, client: httpx.AsyncClient, outside: list[str], screenshot: Any
) -> None:
    librarian, branch = await _librarian_and_branch(client)
    await _sign_in(page, served, librarian)
    await page.get_by_role("button", name="日本語").click()
    await expect(page.get_by_role("heading", name="図書館の分館")).to_be_visible()
    await screenshot("console-libraries-list-ja")
    await page.get_by_role("link", name="蘇州図書館 双塔街道分館（定慧寺巷電子閲覧室）").click()

    day = clock.city_today() + timedelta(days=2)
    await page.get_by_role("link", name="特別日程").click()
    await page.get_by_label("日付").fill(day.isoformat())
    await page.locator("#field-intervals\\[0\\]-opens").fill("10:00")
    await page.locator("#field-intervals\\[0\\]-closes").fill("15:00")
    await page.locator("#field-note-ja").fill("館内整理のため短縮開館")
    await page.get_by_role("button", name="カレンダーでプレビュー").click()
    await expect(page.locator(f'#calendar td:has(time[datetime="{day.isoformat()}"])')).to_contain_text("10:00–15:00")
    await screenshot("console-libraries-exception-preview-ja")
    await page.get_by_role("button", name="特別日程を保存").click()
    await expect(page.get_by_role("status").first).to_contain_text("特別日程を保存しました")
    await screenshot("console-libraries-exception-saved-ja")
    saved = next(d for d in (await _api(client, branch, "ja"))["week"] if d["date"] == day.isoformat())
    assert saved["intervals"] == [{"opens": "10:00", "closes": "15:00"}] and saved["note"] == "館内整理のため短縮開館"

    await page.get_by_role("link", name="リアルタイム座席").click()
    await page.get_by_role("button", name="5", exact=True).click()
    await expect(page.get_by_role("status").first).to_contain_text("空席数を報告しました")
    await screenshot("console-libraries-seats-ja")
    assert (await _api(client, branch))["occupancy"]["free_seats"] == 5
    assert outside == []
