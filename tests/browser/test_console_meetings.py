"""The convenors' room in a real browser: a community organiser convenes a consultation with a
long Chinese title through the form (a second agenda item added in the page), announces it after
the confirmation, moderates two residents' opinions in place (a decline without a reason refused
beside the row), and publishes the minutes with a follow-up action for the property company,
whose staff then post a dated update. Each result read back through the API; screenshots of the
list, the meeting page and the actions page in Simplified Chinese and English."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import httpx
import pytest
from playwright.async_api import Page, expect

from backend.accounts.tables import User
from backend.core.i18n import CITY_TZ
from tests.governance.meetings_world import V1, auth, begin, meeting_body, world
from tests.web.console import PASSWORD

__all__ = ["world"]

TITLE = "南园新村群租整治民情恳谈会：出租房屋管理与消防安全居民协商"


async def _sign_in(page: Page, served: str, user: User, where: str = "/console/meetings") -> None:
    await page.context.clear_cookies()
    await page.goto(f"{served}{where}")
    await page.locator("#field-username").fill(user.username)
    await page.locator("#field-password").fill(PASSWORD)
    await page.locator("form button[type=submit]").click()


def _local(moment: datetime) -> str:
    return moment.astimezone(CITY_TZ).strftime("%Y-%m-%dT%H:%M")


@pytest.mark.parametrize("backend", ["sqlite"])  # the rules are tested on both databases in tests/web
async def test_convene_announce_moderate_and_act_through_the_pages(
    page: Page, served: str, client: httpx.AsyncClient, world: dict[str, Any], outside: list[str], screenshot: Any
) -> None:
    await User.update({User.display_name: "陈主任"}).where(User.id == world["convenor"].id)
    # An earlier draft, so that the list shows more than one state.
    earlier = meeting_body(world, starts_in=timedelta(days=10), kind="hearing")
    earlier["title"] = {"zh-Hans": "加装电梯民意听证会", "en": "Lifts in old blocks: a public hearing"}
    made = await client.post(f"{V1}/meetings", json=earlier, headers=auth(world["convenor"]))
    assert made.status_code == 201, made.text

    await _sign_in(page, served, world["convenor"])
    await expect(page.get_by_role("heading", name="议事会议")).to_be_visible()
    await page.get_by_role("link", name="召集会议").click()
    await page.locator("#field-title-zh-Hans").fill(TITLE)
    await page.locator("#field-title-en").fill("Group renting in Nanyuan: a consultation")
    await page.locator("#field-question-zh-Hans").fill("南园部分小区出现群租，楼道堆物、消防隐患突出，如何整治？")
    await page.locator(".agenda-row input[lang=zh-Hans]").first.fill("群租现状与居民反映")
    await page.get_by_role("button", name="添加议题").click()
    await expect(page.locator(".agenda-row")).to_have_count(2)
    await page.locator(".agenda-row input[lang=zh-Hans]").nth(1).fill("整治措施与分工")
    await page.get_by_label("南园物业").check()
    await page.get_by_label("双塔派出所").check()
    await page.locator("#field-venue_id").select_option(index=1)
    start = datetime.now(CITY_TZ).replace(second=0, microsecond=0) + timedelta(days=3)
    await page.locator("#field-starts_at").fill(_local(start))
    await page.locator("#field-ends_at").fill(_local(start + timedelta(hours=2)))
    await screenshot("console-meetings-convene-zh-Hans")
    await page.get_by_role("button", name="保存为草稿").click()
    await expect(page.get_by_role("status")).to_contain_text("会议已保存为草稿")
    meeting_id = page.url.split("/")[-1].split("?")[0]

    await page.get_by_role("link", name="发布会议公告").click()
    await expect(page.get_by_text("公告后议程不能再修改")).to_be_visible()
    await page.get_by_role("button", name="确认发布公告").click()
    await expect(page.get_by_role("status")).to_contain_text("会议已公告")
    meeting = (await client.get(f"{V1}/meetings/{meeting_id}")).json()
    assert meeting["status"] == "open" and sorted(p["name"] for p in meeting["parties"]) == ["南园物业", "双塔派出所"]

    for who, text in ((0, "建议物业加强门禁登记，外来人员一律登记"), (3, "楼下新开了一家饭店，欢迎光临")):
        body = {"item_id": meeting["agenda"][0]["id"], "text": text}
        sent = await client.post(
            f"{V1}/meetings/{meeting_id}/submissions", json=body, headers=auth(world["residents"][who])
        )
        assert sent.status_code == 201, sent.text
    await page.reload()
    rows = page.locator("table.submissions tbody tr")
    await expect(rows).to_have_count(2)
    await screenshot("console-meetings-moderate-zh-Hans")
    await rows.nth(0).get_by_role("button", name="采纳", exact=True).click()
    await expect(rows.nth(0).get_by_text("已采纳")).to_be_visible()
    await rows.nth(1).get_by_role("button", name="不予采纳").click()
    await expect(rows.nth(1).get_by_role("alert")).to_have_text("请说明不予采纳的理由。")
    await rows.nth(1).get_by_label("不予采纳的理由").fill("与本次议题无关")
    await rows.nth(1).get_by_role("button", name="不予采纳").click()
    await expect(rows.nth(1).get_by_text("理由：与本次议题无关")).to_be_visible()
    queue = await client.get(f"{V1}/meetings/{meeting_id}/submissions", headers=auth(world["convenor"]))
    assert sorted(s["status"] for s in queue.json()) == ["accepted", "declined"]

    await begin(meeting)
    await page.reload()
    await page.locator("#field-minutes-zh-Hans").fill("与会居民和物业、派出所就群租整治达成共识，分工落实。")
    await page.locator(".decision-row textarea[lang=zh-Hans]").fill("联合开展群租房排查，落实门禁登记")
    await page.locator(".decision-row select").first.select_option(index=1)
    await page.locator(".action-row input[lang=zh-Hans]").fill("门禁登记与外来人员管理")
    await page.locator(".action-row select").select_option(label="南园物业")
    await page.locator(".action-row input[type=date]").fill((date.today() + timedelta(days=30)).isoformat())
    await screenshot("console-meetings-minutes-zh-Hans")
    await page.get_by_role("button", name="发布会议纪要").click()
    await expect(page.get_by_role("status")).to_contain_text("会议纪要已在社区居务公开栏发布")
    await expect(page.get_by_text("门禁登记与外来人员管理")).to_be_visible()
    await screenshot("console-meetings-meeting-zh-Hans")
    await page.get_by_role("link", name="返回会议列表").click()
    await expect(page.get_by_role("link", name=TITLE)).to_be_visible()
    await screenshot("console-meetings-list-zh-Hans")

    await _sign_in(page, served, world["company_staff"], "/console/meetings/actions")
    await expect(page.get_by_role("heading", name="待办事项")).to_be_visible()
    row = page.locator("table.meeting-actions tbody tr").first
    await row.get_by_label("新状态").select_option("in_progress")
    await row.get_by_label("已做了什么").fill("已完成3栋门禁登记，共登记外来人员12人")
    await row.get_by_role("button", name="保存进展").click()
    await expect(page.get_by_text("已完成3栋门禁登记，共登记外来人员12人")).to_be_visible()
    await screenshot("console-meetings-actions-zh-Hans")
    read = (await client.get(f"{V1}/meetings/{meeting_id}")).json()
    [action] = read["decisions"][0]["actions"]
    assert action["status"] == "in_progress" and action["updates"][0]["note"] == "已完成3栋门禁登记，共登记外来人员12人"

    await page.get_by_role("button", name="English").click()
    await expect(page.get_by_role("heading", name="Actions to act on")).to_be_visible()
    await screenshot("console-meetings-actions-en")
    await _sign_in(page, served, world["convenor"])
    await page.get_by_role("button", name="English").click()
    await expect(page.get_by_role("heading", name="Meetings", exact=True)).to_be_visible()
    await screenshot("console-meetings-list-en")
    await page.get_by_role("link", name="Group renting in Nanyuan: a consultation").click()
    await expect(page.get_by_role("heading", name="Meeting minutes")).to_be_visible()
    await screenshot("console-meetings-meeting-en")
    assert outside == []
