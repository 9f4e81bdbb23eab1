"""The statistics room in a real browser, in zh-Hans, Korean and Japanese: an organiser opens the
charts of a community; a month with fewer than five participants is drawn hatched and marked
"<5", the key says why; the numbers open beneath a chart; a month typed wrong is refused beside
its field."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.async_api import Page, expect

from backend.accounts.tables import Role, User
from tests import factories
from tests.inclusion.test_statistics import attend, months_ago, past_event, person, text
from tests.web.console import PASSWORD

WORDS = {
    "zh-Hans": ("数据统计", "参与人数", "按居民群体的参与人数", "斜线条纹，标注“<5”", "查看数字", "从"),
    "ko": ("통계", "참여자 수", "주민 유형별 참여자", "빗금 막대 (<5 표시)", "수치 보기", "시작"),
    "ja": ("統計", "参加者数", "住民グループ別の参加者", "斜線の棒（「<5」）", "数値を見る", "開始"),
}
LANGUAGE_BUTTON = {"ko": "한국어", "ja": "日本語"}


async def story() -> dict[str, Any]:
    """Community A: eight residents in month 1 (new residents and locals), three in month 2."""
    tree = await factories.city_tree()
    a = tree["community_a"]
    m1, m2, m3 = months_ago(3), months_ago(2), months_ago(1)
    venue = await factories.venue(a, a)
    e1, e2, e3 = [await past_event(tree["street_a"], venue, m) for m in (m1, m2, m3)]
    newcomers = [await person(m1[0] - 28, "new_resident") for _ in range(6)]
    locals_ = [await person(m1[0] - 66, "long_term_local") for _ in range(5)]
    migrants = [await person(m1[0] - 33, "migrant_worker") for _ in range(2)]
    for someone in (*newcomers, *locals_, *migrants):
        await attend(e1, someone)
    for someone in newcomers[:3]:
        await attend(e2, someone)
    for someone in (*newcomers, *locals_):
        await attend(e3, someone)
    organiser = await factories.staff(Role.organiser, tree["street_a"])
    return {"tree": tree, "from": text(m1), "to": text(m3), "organiser": organiser}


async def _sign_in(page: Page, served: str, user: User, path: str) -> None:
    await page.goto(f"{served}{path}")
    await page.locator("#field-username").fill(user.username)
    await page.locator("#field-password").fill(PASSWORD)
    await page.locator("form button[type=submit]").click()


@pytest.mark.parametrize("backend", ["sqlite"])  # the rules are tested on both databases in tests/web
@pytest.mark.parametrize("lang", ["zh-Hans", "ko", "ja"])
async def test_the_charts_with_a_suppressed_month(
    page: Page, served: str, client: httpx.AsyncClient, outside: list[str], screenshot: Any, lang: str
) -> None:
    world = await story()
    words = WORDS[lang]
    path = f"/console/statistics?from={world['from']}&to={world['to']}"
    await _sign_in(page, served, world["organiser"], path)
    if lang in LANGUAGE_BUTTON:
        await page.get_by_role("button", name=LANGUAGE_BUTTON[lang]).click()
        await expect(page.locator("html")).to_have_attribute("lang", lang)
        await page.goto(f"{served}{path}")
    # The first chart of the session loads matplotlib (seconds): the first look waits longer.
    await expect(page.get_by_role("heading", name=words[0], exact=True)).to_be_visible(timeout=30_000)
    await expect(page.locator("svg.chart")).to_have_count(5)
    participants = page.locator("#chart-participants")
    await expect(participants.get_by_role("heading", name=words[1], exact=True)).to_be_visible()
    # Month 2 had three participants: hatched, marked "<5", never a number.
    await expect(participants.locator("svg.chart text", has_text="<5")).to_have_count(1)
    assert await participants.locator("svg.chart pattern").count() >= 1
    await expect(page.locator(".stats-key")).to_contain_text(words[3])
    await expect(page.locator("#chart-groups").get_by_role("heading", name=words[2])).to_be_visible()
    await participants.get_by_text(words[4]).click()
    await expect(participants.locator("td.hidden-cell")).to_have_text("<5")
    await expect(participants.locator("tbody tr").first.locator("td")).to_have_text("13")
    await expect(page.get_by_role("link", name="CSV").first).to_be_visible()
    await screenshot(f"console-statistics-{lang}")

    if lang == "zh-Hans":
        await page.set_viewport_size({"width": 820, "height": 1180})  # a tablet
        await screenshot("console-statistics-tablet-zh-Hans")
        await page.goto(f"{served}/console/statistics?from=2026-13")
        await expect(page.get_by_role("alert")).to_contain_text("请按 YYYY-MM 格式填写月份。")
        await expect(page.locator("#field-from")).to_have_attribute("aria-invalid", "true")
    assert outside == []
