"""The points counter in a real browser: a resident redeems a reward through the API (points
given by the inclusion ledger); the community's counter clerk types the pickup code (in small
letters, as one might), sees the reward and the masked name, hands it over; today's list shows
it, and the API says it was picked up. A second code is refused as the API refuses it. Then,
shorter, in Korean and Japanese."""

from __future__ import annotations

import io
import uuid
from typing import Any

import httpx
import pytest
from PIL import Image
from playwright.async_api import Page, expect

from backend.accounts.tables import Role, User
from backend.inclusion.points import ledger
from backend.inclusion.points.tables import PointReason
from tests import factories
from tests.web.console import PASSWORD

REWARD = {
    "zh-Hans": "社区定制帆布环保购物袋（大号，可折叠收纳）",
    "en": "Community canvas shopping bag (large, folding)",
    "ja": "コミュニティ特製キャンバス製エコバッグ（大きめ・折りたたみ式）",
    "ko": "마을 특제 캔버스 장바구니 (대형, 접이식)",
}


async def _world(client: httpx.AsyncClient, *, picture: bool = False) -> dict[str, Any]:
    tree = await factories.city_tree()
    clerk = await factories.staff(Role.admin, tree["community_a"])
    await User.update({User.display_name: "周兑换"}).where(User.id == clerk.id)
    body = {
        "community_id": str(tree["community_a"].id),
        "name": REWARD,
        "points_cost": 120,
        "stock": 20,
        "per_resident_limit": 2,
    }
    reward = await client.post("/api/v1/rewards", json=body, headers=factories.token_for(clerk))
    assert reward.status_code == 201, reward.text
    if picture:
        image = io.BytesIO()
        Image.new("RGB", (800, 800), (40, 120, 90)).save(image, "JPEG")
        sent = await client.post(
            f"/api/v1/rewards/{reward.json()['id']}/image",
            files={"file": ("bag.jpg", image.getvalue(), "image/jpeg")},
            headers=factories.token_for(clerk),
        )
        assert sent.status_code == 200, sent.text
    resident = await factories.resident("欧阳春花")
    await ledger.append(
        user_id=resident.id, points=500, reason=PointReason.adjustment, source_key=f"test:{uuid.uuid4()}"
    )
    codes = []
    for _ in range(2):
        made = await client.post(
            f"/api/v1/rewards/{reward.json()['id']}/redemptions", headers=factories.token_for(resident)
        )
        assert made.status_code == 201, made.text
        codes.append(made.json()["pickup_code"])
    return {"clerk": clerk, "resident": resident, "codes": codes}


async def _sign_in(page: Page, served: str, user: User) -> None:
    await page.goto(f"{served}/console/counter")
    await page.locator("#field-username").fill(user.username)
    await page.locator("#field-password").fill(PASSWORD)
    await page.locator("form button[type=submit]").click()


async def _statuses(client: httpx.AsyncClient, user: User) -> dict[str, str]:
    answer = await client.get("/api/v1/me/redemptions", headers=factories.token_for(user))
    assert answer.status_code == 200, answer.text
    return {item["pickup_code"]: item["status"] for item in answer.json()}


@pytest.mark.parametrize("backend", ["sqlite"])  # the rules are tested on both databases in tests/web
async def test_the_clerk_hands_a_reward_over(
    page: Page, served: str, client: httpx.AsyncClient, outside: list[str], screenshot: Any
) -> None:
    world = await _world(client, picture=True)
    first, second = world["codes"]
    await _sign_in(page, served, world["clerk"])
    await expect(page.get_by_role("heading", name="积分兑换台")).to_be_visible()
    await expect(page.get_by_text("今天还没有发放奖品。")).to_be_visible()
    await expect(page.get_by_label("取货码")).to_be_focused()
    await screenshot("console-counter-empty-zh-Hans")

    await page.get_by_label("取货码").fill(first.lower())
    await page.get_by_role("button", name="查询").click()
    await expect(page.get_by_role("heading", name=REWARD["zh-Hans"])).to_be_visible()
    await expect(page.get_by_text("欧**花", exact=True)).to_be_visible()  # masked as the API masks it
    await expect(page.get_by_text("待领取")).to_be_visible()
    await screenshot("console-counter-found-zh-Hans")

    await page.get_by_role("button", name="确认发放").click()
    await expect(page.get_by_role("status")).to_have_text("已发放，请把奖品交给居民。")
    await expect(page.locator("table.counter-list tbody tr")).to_have_count(1)
    await expect(page.locator("table.counter-list")).to_contain_text(REWARD["zh-Hans"])
    await expect(page.get_by_label("取货码")).to_be_focused()  # ready for the next resident
    await screenshot("console-counter-handed-over-zh-Hans")
    assert (await _statuses(client, world["resident"]))[first] == "fulfilled"

    await page.get_by_label("取货码").fill(first)  # the same code again: picked up, nothing to press
    await page.get_by_role("button", name="查询").click()
    await expect(page.locator(".status-mark.fulfilled")).to_contain_text("已于")
    await expect(page.get_by_role("button", name="确认发放")).to_have_count(0)
    await page.wait_for_load_state("networkidle")  # the look-up's swap has settled: type anew after it
    await page.get_by_label("取货码").fill("ZZZZ2222")
    await expect(page.get_by_label("取货码")).to_have_value("ZZZZ2222")
    await page.get_by_role("button", name="查询").click()
    await expect(page.get_by_role("alert")).to_contain_text("该兑换记录不存在。")
    await expect(page.locator(".counter-found")).to_be_hidden()  # the earlier code's card goes
    await screenshot("console-counter-unknown-zh-Hans")

    await page.set_viewport_size({"width": 820, "height": 1180})  # a tablet
    await page.get_by_label("取货码").fill(second)
    await page.get_by_role("button", name="查询").click()
    await expect(page.get_by_role("button", name="确认发放")).to_be_visible()
    await screenshot("console-counter-found-tablet-zh-Hans")
    assert (await _statuses(client, world["resident"]))[second] == "reserved"
    assert outside == []


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize("lang", ["ko", "ja"])
async def test_the_same_shorter_in_another_language(
    page: Page, served: str, client: httpx.AsyncClient, outside: list[str], screenshot: Any, lang: str
) -> None:
    world = await _world(client)
    first = world["codes"][0]
    await _sign_in(page, served, world["clerk"])
    await page.get_by_role("button", name={"ko": "한국어", "ja": "日本語"}[lang]).click()
    words = {
        "ko": ("수령 코드", "조회", "전달하기", "전달 처리했습니다. 주민에게 물품을 건네주세요."),
        "ja": ("引換コード", "照会", "引き渡す", "引き渡し済みにしました。住民に品物をお渡しください。"),
    }[lang]
    await page.get_by_label(words[0]).fill(first)
    await page.get_by_role("button", name=words[1]).click()
    await expect(page.get_by_role("heading", name=REWARD[lang])).to_be_visible()
    await page.get_by_role("button", name=words[2]).click()
    await expect(page.locator("#desk [role=status]")).to_have_text(words[3])
    await expect(page.locator("table.counter-list tbody tr")).to_have_count(1)
    await screenshot(f"console-counter-handed-over-{lang}")
    assert (await _statuses(client, world["resident"]))[first] == "fulfilled"
    assert outside == []
