"""The reports room in a real browser: a resident reports group renting through the API with a
photo; the community's coordinator acknowledges it and forwards it to the property company (the
API lets only coordinators acknowledge, and a party sees a report once it is forwarded); a
property-company member resolves it with a note. Each result read back through the API. Then the
queue and a report, shorter, in Korean and Japanese."""

from __future__ import annotations

import io
from typing import Any

import httpx
import pytest
from PIL import Image
from playwright.async_api import Page, expect

from backend.accounts.tables import OrganisationKind, Role, User
from tests import factories
from tests.web.console import PASSWORD

TEXT = "5号楼302室疑似群租，每天很多人进出，楼道堆满行李箱和电动车，存在消防隐患。"
PROPERTY = "苏州南园物业管理有限公司第二服务中心"


async def _world(client: httpx.AsyncClient) -> dict[str, Any]:
    tree = await factories.city_tree()
    a = tree["community_a"]
    property_a = await factories.organisation(OrganisationKind.property_company, a, PROPERTY)
    await factories.organisation(OrganisationKind.police_station, tree["street_a"], "双塔派出所")
    coordinator = await factories.staff(Role.coordinator, a)
    member = await factories.staff(Role.organiser, property_a)
    reporter = await factories.resident("欧阳小明")
    await User.update({User.display_name: "陈协调"}).where(User.id == coordinator.id)
    routes = [{"kind": "group_renting", "party": "property_company", "organisation_id": str(property_a.id)}]
    routed = await client.put(
        f"/api/v1/communities/{a.id}/incident-routing",
        json={"routes": routes},
        headers=factories.token_for(coordinator),
    )
    assert routed.status_code == 200, routed.text
    body = {"community_id": str(a.id), "kind": "group_renting", "text": TEXT, "latitude": 31.29, "longitude": 120.63}
    made = await client.post("/api/v1/incidents", json=body, headers=factories.token_for(reporter))
    assert made.status_code == 201, made.text
    picture = io.BytesIO()
    Image.new("RGB", (960, 640), (70, 110, 160)).save(picture, "JPEG")
    photo = await client.post(
        f"/api/v1/incidents/{made.json()['id']}/photo",
        files={"file": ("p.jpg", picture.getvalue(), "image/jpeg")},
        headers=factories.token_for(reporter),
    )
    assert photo.status_code == 200, photo.text
    return {"coordinator": coordinator, "member": member, "reporter": reporter, "id": made.json()["id"]}


async def _sign_in(page: Page, served: str, user: User) -> None:
    await page.goto(f"{served}/console/reports")
    await page.locator("#field-username").fill(user.username)
    await page.locator("#field-password").fill(PASSWORD)
    await page.locator("form button[type=submit]").click()


async def _api(client: httpx.AsyncClient, user: User, incident_id: str) -> dict[str, Any]:
    answer = await client.get(f"/api/v1/incidents/{incident_id}", headers=factories.token_for(user))
    assert answer.status_code == 200, answer.text
    return answer.json()


@pytest.mark.parametrize("backend", ["sqlite"])  # the rules are tested on both databases in tests/web
async def test_a_group_renting_report_from_queue_to_resolved(
    page: Page, served: str, client: httpx.AsyncClient, outside: list[str], screenshot: Any
) -> None:
    world = await _world(client)
    await _sign_in(page, served, world["coordinator"])
    await expect(page.get_by_role("heading", name="事件上报")).to_be_visible()
    await expect(page.get_by_role("link", name="群租")).to_be_visible()
    await screenshot("console-reports-queue-zh-Hans")

    await page.get_by_role("link", name="群租").click()
    await expect(page.get_by_text(TEXT)).to_be_visible()
    await expect(page.get_by_text("欧**明", exact=True)).to_be_visible()  # masked as the API masks it
    photo = page.get_by_role("img", name="随事件上报的照片")
    await expect(photo).to_be_visible()
    # Loaded, not only laid out: a busy machine may still be fetching it when it becomes visible.
    await page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=await photo.element_handle())
    await screenshot("console-reports-report-zh-Hans")
    await page.get_by_label("处理说明").fill("已收到，今天下午上门核查")
    await page.get_by_role("button", name="受理").click()
    await expect(page.get_by_role("status")).to_have_text("已受理。")
    assert (await _api(client, world["coordinator"], world["id"]))["status"] == "acknowledged"

    target = page.get_by_label("转交给")
    await expect(target.locator("option")).to_have_count(
        3
    )  # as routed, the residents' committee, the street's police station
    await page.get_by_label("处理说明").fill("请物业核实302室居住人数")
    await page.get_by_role("button", name="转交").click()
    await expect(page.get_by_role("status")).to_have_text("已转交。")
    await screenshot("console-reports-forwarded-zh-Hans")
    forwarded = await _api(client, world["coordinator"], world["id"])
    assert forwarded["status"] == "forwarded" and forwarded["party_organisation"]["name"] == PROPERTY

    await page.context.clear_cookies()
    await _sign_in(page, served, world["member"])
    await page.get_by_role("link", name="群租").click()
    await expect(page.get_by_text("欧**明")).to_have_count(0)  # the party never learns who reported
    await page.get_by_label("处理说明").fill("已约谈房东，302室已整改为一户居住")
    await page.get_by_role("button", name="办结").click()
    await expect(page.get_by_role("status")).to_have_text("已办结。")
    await expect(page.get_by_text("已约谈房东，302室已整改为一户居住")).to_be_visible()
    await screenshot("console-reports-resolved-zh-Hans")
    done = await _api(client, world["reporter"], world["id"])
    assert done["status"] == "resolved"
    assert [c["status"] for c in done["history"]] == ["reported", "acknowledged", "forwarded", "resolved"]

    await page.set_viewport_size({"width": 820, "height": 1180})  # a tablet
    await page.goto(f"{served}/console/reports?scope=assigned")
    await screenshot("console-reports-queue-tablet-zh-Hans")
    assert outside == []


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize("lang", ["ko", "ja"])
async def test_the_same_shorter_in_another_language(
    page: Page, served: str, client: httpx.AsyncClient, outside: list[str], screenshot: Any, lang: str
) -> None:
    world = await _world(client)
    await _sign_in(page, served, world["coordinator"])
    await page.get_by_role("button", name={"ko": "한국어", "ja": "日本語"}[lang]).click()
    words = {"ko": ("신고", "접수", "접수했습니다."), "ja": ("通報", "受理する", "受理しました。")}[lang]
    await expect(page.get_by_role("heading", name=words[0], exact=True)).to_be_visible()
    await screenshot(f"console-reports-queue-{lang}")
    await page.locator("td.kind a").first.click()
    await page.get_by_role("button", name=words[1]).click()
    await expect(page.get_by_role("status")).to_have_text(words[2])
    await screenshot(f"console-reports-report-{lang}")
    assert (await _api(client, world["coordinator"], world["id"]))["status"] == "acknowledged"
    assert outside == []
