"""The counter room's supermarket in a real browser: the community's clerk adds a reward with its
name in several languages, uploads its picture, sees it in the list with its thumbnail; then sets
the community's points for attending an event in the rules table, saved in place; the API reads
both back. Then, shorter, in Japanese."""

from __future__ import annotations

import io
from typing import Any

import httpx
import pytest
from PIL import Image
from playwright.async_api import Page, expect

from backend.accounts.tables import Role, User
from tests import factories
from tests.web.console import PASSWORD

NAME = {
    "zh-Hans": "社区定制帆布环保购物袋（大号，可折叠收纳）",
    "en": "Community canvas shopping bag (large, folding)",
    "ja": "コミュニティ特製キャンバス製エコバッグ（大きめ・折りたたみ式）",
    "ko": "마을 특제 캔버스 장바구니 (대형, 접이식)",
}


async def _sign_in(page: Page, served: str, user: User, path: str) -> None:
    await page.goto(f"{served}{path}")
    await page.locator("#field-username").fill(user.username)
    await page.locator("#field-password").fill(PASSWORD)
    await page.locator("form button[type=submit]").click()


def _picture() -> bytes:
    image = io.BytesIO()
    Image.new("RGB", (900, 900), (40, 120, 90)).save(image, "JPEG")
    return image.getvalue()


@pytest.mark.parametrize("backend", ["sqlite"])  # the rules are tested on both databases in tests/web
async def test_the_clerk_stocks_the_supermarket_and_sets_the_rules(
    page: Page, served: str, client: httpx.AsyncClient, outside: list[str], screenshot: Any
) -> None:
    tree = await factories.city_tree()
    clerk = await factories.staff(Role.admin, tree["community_a"])
    community = tree["community_a"].id
    await _sign_in(page, served, clerk, "/console/counter/rewards")
    await expect(page.get_by_role("heading", name="奖品", exact=True)).to_be_visible()
    await expect(page.get_by_text("这个社区的积分超市还没有奖品。")).to_be_visible()
    await page.get_by_role("link", name="新增奖品").click()

    await page.locator("#field-name-zh-Hans").fill(NAME["zh-Hans"])
    await page.locator("#field-name-en").fill(NAME["en"])
    await page.locator("#field-name-ko").fill(NAME["ko"])
    await page.locator("#field-name-ja").fill(NAME["ja"])
    await page.locator("#languages-name").get_by_role("button", name="从简体转换").click()  # converted on the server
    await expect(page.locator("#field-name-zh-Hant")).to_have_value("社區定製帆布環保購物袋（大號，可摺疊收納）")
    await page.get_by_label("所需积分").fill("120")
    await page.get_by_label("库存").fill("30")
    await page.get_by_label("每人限兑").fill("2")
    await screenshot("console-reward-new-zh-Hans")
    await page.get_by_role("button", name="上架奖品").click()
    await expect(page.get_by_role("status")).to_have_text("奖品已上架。请在下方添加图片。")

    await page.get_by_label("选择图片").set_input_files(
        {"name": "bag.jpg", "mimeType": "image/jpeg", "buffer": _picture()}
    )
    await page.get_by_role("button", name="上传图片").click()
    await expect(page.get_by_role("status")).to_have_text("图片已保存。")
    await expect(page.locator("img.reward-preview")).to_be_visible()
    await screenshot("console-reward-edit-zh-Hans")

    await page.get_by_label("库存增减").fill("-45")  # more than there is: the API's refusal, the field marked
    await page.get_by_role("button", name="保存").click()
    await expect(page.get_by_role("alert")).to_contain_text("库存增减")
    await page.get_by_label("库存增减").fill("5")
    await page.get_by_role("button", name="保存").click()
    await expect(page.get_by_role("status")).to_have_text("修改已保存。")

    await page.get_by_role("link", name="返回奖品列表").click()
    row = page.locator("table.rewards-list tbody tr")
    await expect(row).to_have_count(1)
    await expect(row.locator("img.reward-thumb")).to_be_visible()
    await expect(row).to_contain_text("35")
    await screenshot("console-rewards-zh-Hans")
    made = (await client.get("/api/v1/rewards", params={"community_id": str(community)})).json()
    assert [(r["name"], r["stock"], r["per_resident_limit"]) for r in made] == [(NAME["zh-Hans"], 35, 2)]
    assert made[0]["image_urls"]

    await page.get_by_role("link", name="积分规则").click()
    attendance = page.locator("#row-attendance")
    await attendance.locator("#field-attendance-points").fill("12")
    await attendance.get_by_role("button", name="保存").click()
    await expect(page.locator("#row-attendance")).to_contain_text("本社区")
    await expect(page.locator("#row-attendance .status.good")).to_be_visible()
    await page.locator("#field-youth_bonus-points").fill("-3")  # the browser itself refuses it (min 0)
    await page.locator("#row-youth_bonus").get_by_role("button", name="保存").click()
    assert await page.locator("#field-youth_bonus-points").evaluate("input => !input.validity.valid")
    await screenshot("console-point-rules-zh-Hans")
    rules = {r["kind"]: r for r in (await client.get(f"/api/v1/communities/{community}/point-rules")).json()}
    assert (rules["attendance"]["points"], rules["attendance"]["source"]) == (12, "community")
    assert rules["youth_bonus"]["source"] == "default"
    assert outside == []


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_the_rewards_in_japanese(
    page: Page, served: str, client: httpx.AsyncClient, outside: list[str], screenshot: Any
) -> None:
    tree = await factories.city_tree()
    clerk = await factories.staff(Role.admin, tree["community_a"])
    body = {"community_id": str(tree["community_a"].id), "name": NAME, "points_cost": 120, "stock": 0}
    made = await client.post("/api/v1/rewards", json=body, headers=factories.token_for(clerk))
    assert made.status_code == 201, made.text
    await _sign_in(page, served, clerk, "/console/counter/rewards")
    await page.get_by_role("button", name="日本語").click()
    await expect(page.get_by_role("heading", name="特典", exact=True)).to_be_visible()
    await expect(page.locator("table.rewards-list")).to_contain_text(NAME["ja"])
    await expect(page.locator("table.rewards-list")).to_contain_text("在庫切れ")
    await screenshot("console-rewards-ja")
    await page.get_by_role("link", name="ポイントのルール").click()
    await expect(page.locator("#row-attendance")).to_contain_text("標準")
    await screenshot("console-point-rules-ja")
    assert outside == []
