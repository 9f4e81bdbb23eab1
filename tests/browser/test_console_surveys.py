"""The surveys room in a real browser: a community organiser starts a survey through the form (a
second question, a score from 1 to 5, added in the page), residents answer through the API, and
once it has closed the organiser reads its published results (a cell of fewer than five said in
words, not drawn as 0); the property company's staff write their response beside the published
scores of their evaluation. Read back through the API; screenshots of the list, a survey's results
and an evaluation in Simplified Chinese and English."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from playwright.async_api import Page, expect

from backend.accounts.tables import User
from backend.core import clock
from backend.core.i18n import CITY_TZ
from backend.governance.surveys.tables import Survey
from tests import factories
from tests.governance.survey_world import living, world
from tests.web.console import PASSWORD

V1 = "/api/v1"
TITLE = "南园新村1幢加装电梯意愿调查"


@pytest.fixture
async def w(client: httpx.AsyncClient) -> dict[str, Any]:
    return await world()


async def _sign_in(page: Page, served: str, user: User, where: str = "/console/surveys") -> None:
    await page.context.clear_cookies()
    await page.goto(f"{served}{where}")
    await page.locator("#field-username").fill(user.username)
    await page.locator("#field-password").fill(PASSWORD)
    await page.locator("form button[type=submit]").click()


def _local(moment: datetime) -> str:
    return moment.astimezone(CITY_TZ).strftime("%Y-%m-%dT%H:%M")


async def _closed(survey_id: str) -> None:
    """Time passes: the survey opened yesterday and closed a minute ago (the server's clock is real)."""
    now = clock.now()
    await Survey.update({Survey.opens_at: now - timedelta(days=1), Survey.closes_at: now - timedelta(minutes=1)}).where(
        Survey.id == uuid.UUID(survey_id)
    )


async def _answer(client: httpx.AsyncClient, survey_id: str, person: User, answers: list[dict[str, Any]]) -> None:
    done = await client.post(
        f"{V1}/surveys/{survey_id}/answers", json={"answers": answers}, headers=factories.token_for(person)
    )
    assert done.status_code == 204, done.text


@pytest.mark.parametrize("backend", ["sqlite"])  # the rules are tested on both databases in tests/web
async def test_start_a_survey_read_its_results_and_respond_to_an_evaluation(
    page: Page, served: str, client: httpx.AsyncClient, w: dict[str, Any], outside: list[str], screenshot: Any
) -> None:
    staff_auth = factories.token_for(w["staff"])
    # The year's evaluation of the property company, answered by six households.
    opens, closes = clock.iso(clock.now() - timedelta(hours=1)), clock.iso(clock.now() + timedelta(days=7))
    body = {"estate_id": str(w["estate"]), "subject": "property_company", "year": clock.now().year}
    made = await client.post(
        f"{V1}/evaluations", json={**body, "opens_at": opens, "closes_at": closes}, headers=staff_auth
    )
    assert made.status_code == 201, made.text
    evaluation_id = made.json()["id"]
    for unit, given in enumerate(
        [(5, 4, 4, 3, 4), (4, 4, 5, 3, 3), (5, 5, 4, 2, 4), (4, 3, 4, 3, 4), (5, 4, 5, 3, 5), (4, 4, 4, 2, 3)]
    ):
        await _answer(
            client, evaluation_id, await living(w, unit), [{"question": i, "rating": r} for i, r in enumerate(given)]
        )
    await _closed(evaluation_id)

    await _sign_in(page, served, w["staff"])
    await expect(page.get_by_role("heading", name="问卷表决")).to_be_visible()
    await page.get_by_role("link", name="发起问卷").click()
    await page.locator("#field-title-zh-Hans").fill(TITLE)
    await page.locator("#field-title-en").fill("A lift for block 1 of Nanyuan?")
    await page.locator("#field-audience").select_option(f"{w['tree']['community_a'].id}:estate:{w['estate']}")
    first = page.locator(".question-row").first
    await first.locator("input[lang=zh-Hans]").fill("您是否同意1幢加装电梯？")
    await first.locator("input[lang=en]").fill("Should block 1 get a lift?")
    await first.locator("textarea[lang=zh-Hans]").fill("同意\n反对\n无所谓")
    await first.locator("textarea[lang=en]").fill("Yes\nNo\nDon't mind")
    await page.get_by_role("button", name="添加题目").click()
    await expect(page.locator(".question-row")).to_have_count(2)
    second = page.locator(".question-row").nth(1)
    await second.locator("input[lang=zh-Hans]").fill("您对目前上下楼的便利程度打几分？")
    await second.locator("input[lang=en]").fill("How easy is it to get up and down now?")
    await second.locator("select").select_option("rating")
    await page.locator("#field-closes_at").fill(_local(clock.now() - timedelta(hours=1)))
    await page.get_by_role("button", name="发布问卷").click()
    await expect(page.locator("#problems")).to_contain_text("截止时间必须晚于开始时间。")
    await page.locator("#field-closes_at").fill(_local(clock.now() + timedelta(days=14)))
    await screenshot("console-surveys-new-zh-Hans")
    await page.get_by_role("button", name="发布问卷").click()
    await expect(page.get_by_role("status")).to_contain_text("问卷已发布")
    survey_id = page.url.split("/")[-1].split("?")[0]
    read = (await client.get(f"{V1}/surveys/{survey_id}")).json()
    assert [q["kind"] for q in read["questions"]] == ["single", "rating"]
    assert read["questions"][0]["options"] == ["同意", "反对", "无所谓"]

    # Twelve residents answer: seven yes, four no, one does not mind (fewer than five).
    for index, choice in enumerate([0] * 7 + [1] * 4 + [2]):
        score = 1 + index % 3
        await _answer(
            client,
            survey_id,
            await living(w, None),
            [{"question": 0, "choices": [choice]}, {"question": 1, "rating": score}],
        )
    await page.reload()
    await expect(page.locator("dd strong").filter(has_text="12")).to_be_visible()  # answers so far: staff only
    await _closed(survey_id)
    await page.goto(f"{served}/console/surveys/{survey_id}")
    await expect(page.get_by_role("heading", name="结果")).to_be_visible()
    await expect(page.locator(".suppressed").first).to_have_text("少于 5")
    await expect(page.locator("table.bars .bar:not(.hidden-bar)").first).to_be_visible()
    await screenshot("console-surveys-results-zh-Hans")
    await page.get_by_role("link", name="返回问卷列表").click()
    await expect(page.get_by_role("link", name=TITLE)).to_be_visible()
    await screenshot("console-surveys-list-zh-Hans")

    # An owners' poll of the estate: seven of its nine households take part, six for.
    poll = {"estate_id": str(w["estate"]), "title": {"zh-Hans": "是否使用专项维修资金更换1幢电梯"}, "major": False}
    made = await client.post(
        f"{V1}/owner-polls", json={**poll, "opens_at": opens, "closes_at": closes}, headers=staff_auth
    )
    assert made.status_code == 201, made.text
    poll_id = made.json()["id"]
    for unit in range(6, 9):
        await _answer(client, poll_id, await living(w, unit), [{"question": 0, "choices": [0]}])
    for unit in range(4):
        await _answer(client, poll_id, await living(w, unit), [{"question": 0, "choices": [0 if unit < 3 else 1]}])
    await _closed(poll_id)
    await page.goto(f"{served}/console/surveys/{poll_id}")
    await expect(page.locator(".poll-result .verdict")).to_contain_text("（仅供参考）")
    await screenshot("console-surveys-poll-zh-Hans")

    await _sign_in(page, served, w["company_staff"], f"/console/surveys/{evaluation_id}")
    await expect(page.get_by_role("heading", name="评分")).to_be_visible()
    await page.locator("#field-text-zh-Hans").fill("感谢业主监督。我们将增加夜间巡逻，并每季度公开维修资金使用情况。")
    await page.get_by_role("button", name="保存回应").click()
    await expect(page.get_by_role("status")).to_contain_text("书面回应已保存")
    await page.goto(f"{served}/console/surveys/{evaluation_id}#response")
    await screenshot("console-surveys-evaluation-zh-Hans")
    results = (await client.get(f"{V1}/surveys/{evaluation_id}/results")).json()
    assert results["evaluation"]["response"]["text"].startswith("感谢业主监督。")
    await page.get_by_role("button", name="English").click()
    await expect(page.get_by_role("heading", name="Scores")).to_be_visible()
    await screenshot("console-surveys-evaluation-en")

    await _sign_in(page, served, w["staff"])
    await page.get_by_role("button", name="English").click()
    await expect(page.get_by_role("heading", name="Surveys", exact=True)).to_be_visible()
    await screenshot("console-surveys-list-en")
    await page.get_by_role("link", name="A lift for block 1 of Nanyuan?").click()
    await expect(page.get_by_role("heading", name="Results")).to_be_visible()
    await expect(page.locator(".suppressed").first).to_have_text("fewer than 5")
    await screenshot("console-surveys-results-en")
    assert outside == []
