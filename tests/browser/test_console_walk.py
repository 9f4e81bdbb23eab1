"""The console walked through by four people in one community, in Simplified Chinese and in
Korean (issue 18): a coordinator verifies a volunteer's hours; a property-company member resolves
a group-renting report (群租) forwarded to the company; a counter clerk hands a reward over by its
pickup code; then the city's administrator opens the audit log and finds each of those three
entries by filtering on its action, by the name of the one who did it; and the statistics page
renders, a small month hatched and marked "<5". Residents act through the API, as the mini
program would."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from playwright.async_api import Page, expect

from backend.accounts.tables import OrganisationKind, Role, User
from backend.core import clock
from backend.inclusion.points import ledger
from backend.inclusion.points.tables import PointReason
from tests import factories
from tests.inclusion.test_statistics import attend, months_ago, past_event, person, text
from tests.volunteers import builders
from tests.web.console import PASSWORD

REPORT = "5号楼302室疑似群租，每天很多人进出，楼道堆满行李箱和电动车，存在消防隐患。"
WORDS = {
    "zh-Hans": {
        "hours": "待审核时长",
        "verify": "核实勾选项",
        "verified": "已核实 1 条记录。",
        "note": "处理说明",
        "resolve": "办结",
        "resolved": "已办结。",
        "code": "取货码",
        "look_up": "查询",
        "hand_over": "确认发放",
        "handed": "已发放，请把奖品交给居民。",
        "audit": "操作日志",
        "action": "操作",
        "filter": "筛选",
        "statistics": "数据统计",
    },
    "ko": {
        "hours": "확인할 시간",
        "verify": "선택 항목 확인",
        "verified": "1건을 확인했습니다.",
        "note": "메모",
        "resolve": "처리 완료",
        "resolved": "처리 완료했습니다.",
        "code": "수령 코드",
        "look_up": "조회",
        "hand_over": "전달하기",
        "handed": "전달 처리했습니다. 주민에게 물품을 건네주세요.",
        "audit": "감사 로그",
        "action": "작업",
        "filter": "필터",
        "statistics": "통계",
    },
}


async def _world(client: httpx.AsyncClient) -> dict[str, Any]:
    tree = await factories.city_tree()
    a = tree["community_a"]
    company = await factories.organisation(OrganisationKind.property_company, a, "南园物业")
    people: dict[str, User] = {
        "coordinator": await factories.staff(Role.coordinator, a),
        "member": await factories.staff(Role.organiser, company),
        "clerk": await factories.staff(Role.admin, a),
        "admin": await factories.staff(Role.admin, tree["city"]),
    }
    names = {"coordinator": "林协调", "member": "赵物业", "clerk": "周兑换", "admin": "王主任"}
    for key, name in names.items():
        await User.update({User.display_name: name}).where(User.id == people[key].id)

    # A volunteer claims hours the coordinator has to verify.
    team = await builders.team(a)
    volunteer = await factories.resident("欧阳建国")
    await builders.member(team, volunteer)
    claim = await client.post(
        f"/api/v1/teams/{team.id}/hours",
        json={
            "minutes": 90,
            "service_date": str(clock.city_today() - timedelta(days=1)),
            "reason": "重阳节敬老活动引导",
        },
        headers=factories.token_for(volunteer),
    )
    assert claim.status_code == 201, claim.text

    # A resident reports group renting; the coordinator forwards it to the property company.
    reporter = await factories.resident("欧阳小明")
    body = {"community_id": str(a.id), "kind": "group_renting", "text": REPORT, "latitude": 31.29, "longitude": 120.63}
    report = await client.post("/api/v1/incidents", json=body, headers=factories.token_for(reporter))
    assert report.status_code == 201, report.text
    for move in (
        {"status": "acknowledged"},
        {"status": "forwarded", "party": "property_company", "party_organisation_id": str(company.id)},
    ):
        moved = await client.patch(
            f"/api/v1/incidents/{report.json()['id']}", json=move, headers=factories.token_for(people["coordinator"])
        )
        assert moved.status_code == 200, moved.text

    # A resident redeems a reward; the clerk will hand it over.
    reward = await client.post(
        "/api/v1/rewards",
        json={
            "community_id": str(a.id),
            "name": {"zh-Hans": "环保购物袋", "ko": "장바구니"},
            "points_cost": 100,
            "stock": 5,
        },
        headers=factories.token_for(people["clerk"]),
    )
    assert reward.status_code == 201, reward.text
    redeemer = await factories.resident("李小梅")
    await ledger.append(
        user_id=redeemer.id, points=300, reason=PointReason.adjustment, source_key=f"test:{uuid.uuid4()}"
    )
    redeemed = await client.post(
        f"/api/v1/rewards/{reward.json()['id']}/redemptions", headers=factories.token_for(redeemer)
    )
    assert redeemed.status_code == 201, redeemed.text

    # Two past months of events: seven residents in the first, three in the second.
    m1, m2 = months_ago(2), months_ago(1)
    venue = await factories.venue(a, a)
    e1, e2 = await past_event(tree["street_a"], venue, m1), await past_event(tree["street_a"], venue, m2)
    residents = [await person(m1[0] - 30, "new_resident") for _ in range(7)]
    for someone in residents:
        await attend(e1, someone)
    for someone in residents[:3]:
        await attend(e2, someone)
    return {
        **people,
        "a": a,
        "code": redeemed.json()["pickup_code"],
        "report": report.json()["id"],
        "hours": claim.json()["id"],
        "volunteer": volunteer,
        "months": (text(m1), text(m2)),
    }


async def _sign_in(page: Page, served: str, user: User, path: str, lang: str) -> None:
    await page.context.clear_cookies()
    await page.goto(f"{served}{path}")
    await page.locator("#field-username").fill(user.username)
    await page.locator("#field-password").fill(PASSWORD)
    await page.locator("form button[type=submit]").click()
    if lang != "zh-Hans":
        await page.get_by_role("button", name="한국어").click()
    await expect(page.locator("html")).to_have_attribute("lang", lang)


@pytest.mark.parametrize("backend", ["sqlite"])  # each room's rules are tested on both databases in tests/web
@pytest.mark.parametrize("lang", ["zh-Hans", "ko"])
async def test_four_people_act_and_the_administrator_reads_it_all(
    page: Page, served: str, client: httpx.AsyncClient, outside: list[str], screenshot: Any, lang: str
) -> None:
    world = await _world(client)
    words = WORDS[lang]

    # The coordinator verifies the volunteer's hours.
    await _sign_in(page, served, world["coordinator"], "/console/volunteers", lang)
    await page.get_by_role("link", name=words["hours"]).click()
    await page.locator("input[name=entry_ids]").first.check()
    await page.get_by_role("button", name=words["verify"]).click()
    await expect(page.get_by_text(words["verified"])).to_be_visible()
    mine = await client.get("/api/v1/me/hours", headers=factories.token_for(world["volunteer"]))
    assert next(i for i in mine.json()["items"] if i["id"] == world["hours"])["status"] == "verified"

    # The property company's member resolves the group-renting report.
    await _sign_in(page, served, world["member"], f"/console/reports/{world['report']}", lang)
    await page.get_by_label(words["note"]).fill("已约谈房东，302室已整改为一户居住")
    await page.get_by_role("button", name=words["resolve"]).click()
    await expect(page.get_by_role("status")).to_have_text(words["resolved"])

    # The clerk hands the reward over by its pickup code.
    await _sign_in(page, served, world["clerk"], "/console/counter", lang)
    await page.get_by_label(words["code"]).fill(world["code"])
    await page.get_by_role("button", name=words["look_up"]).click()
    await page.get_by_role("button", name=words["hand_over"]).click()
    await expect(page.locator("#desk [role=status]")).to_have_text(words["handed"])

    # The administrator finds each of the three in the audit log, by the one who did it.
    await _sign_in(page, served, world["admin"], "/console", lang)
    await page.get_by_role("link", name=words["audit"]).first.click()
    for action, who in (
        ("volunteers.hours_verified", "林协调"),
        ("volunteers.incident_resolved", "赵物业"),
        ("inclusion.redemption_handed_over", "周兑换"),
    ):
        await page.get_by_label(words["action"], exact=True).fill(action)
        await page.get_by_role("button", name=words["filter"]).click()
        rows = page.locator("table.audit tbody tr")
        await expect(rows).to_have_count(1)
        await expect(rows.first).to_contain_text(action)
        await expect(rows.first.get_by_role("link", name=who)).to_be_visible()
        await screenshot(f"console-walk-audit-{action.split('.')[1]}-{lang}")

    # And the statistics of the community: the small month hatched, marked "<5".
    await page.goto(
        f"{served}/console/statistics?community={world['a'].id}&from={world['months'][0]}&to={world['months'][1]}"
    )
    await expect(page.get_by_role("heading", name=words["statistics"], exact=True)).to_be_visible(timeout=30_000)
    chart = page.locator("#chart-participants svg.chart")
    await expect(chart.locator("text", has_text="<5")).to_have_count(1)
    await screenshot(f"console-walk-statistics-{lang}")
    assert outside == []
