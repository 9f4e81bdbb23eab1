"""Reports by place in a real browser: the coordinator's routing table offers the estate's
property company, owners' committee and the grid's workers and saves one in place; a report made
at 南园新村's gate shows its estate, its grid and why it went to that property company; the grid's
worker finds their grid's report in the reports room."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.async_api import Page, expect

from backend.accounts.tables import OrganisationKind, Role, User
from tests import factories
from tests.web.console import PASSWORD

PROPERTY = "苏州苏房物业服务有限公司南园项目部"


async def _world(client: httpx.AsyncClient) -> dict[str, Any]:
    tree = await factories.city_tree()
    a = tree["community_a"]
    admin = await factories.staff(Role.admin, a)
    company = await factories.organisation(OrganisationKind.property_company, a, PROPERTY)
    body = factories.estate_body(
        a,
        name={"zh-Hans": "南园新村"},
        latitude=31.2950,
        longitude=120.6288,
        property_company_id=str(company.id),
    )
    estate = await client.post("/api/v1/estates", json=body, headers=factories.token_for(admin))
    assert estate.status_code == 201, estate.text
    grid = await client.post(
        "/api/v1/grids",
        json={
            "community_id": str(a.id),
            "name": {"zh-Hans": "南园第一网格"},
            "areas": [{"estate_id": estate.json()["id"]}],
        },
        headers=factories.token_for(admin),
    )
    assert grid.status_code == 201, grid.text
    worker = await factories.staff()
    await User.update({User.display_name: "网格员王芳"}).where(User.id == worker.id)
    appointed = await client.put(
        f"/api/v1/grids/{grid.json()['id']}/workers/{worker.id}", headers=factories.token_for(admin)
    )
    assert appointed.status_code == 200, appointed.text
    coordinator = await factories.staff(Role.coordinator, a)
    routes = [
        {"kind": "group_renting", "party": "property_company", "receiver": "estate_property_company"},
        {"kind": "safety_hazard", "party": "residents_committee", "receiver": "grid_worker"},
    ]
    routed = await client.put(
        f"/api/v1/communities/{a.id}/incident-routing",
        json={"routes": routes},
        headers=factories.token_for(coordinator),
    )
    assert routed.status_code == 200, routed.text
    reporter = await factories.resident("欧阳小明")
    made = {}
    for kind, text in (
        ("group_renting", "5幢302夜间进出人员多，疑似群租"),
        ("safety_hazard", "3幢楼道堆放电动车电池，正在充电"),
    ):
        body = {"community_id": str(a.id), "kind": kind, "text": text, "latitude": 31.2951, "longitude": 120.6289}
        answer = await client.post("/api/v1/incidents", json=body, headers=factories.token_for(reporter))
        assert answer.status_code == 201, answer.text
        made[kind] = answer.json()["id"]
    return {"a": a, "coordinator": coordinator, "worker": worker, "made": made}


async def _sign_in(page: Page, served: str, user: User, then: str) -> None:
    await page.goto(f"{served}{then}")
    await page.locator("#field-username").fill(user.username)
    await page.locator("#field-password").fill(PASSWORD)
    await page.locator("form button[type=submit]").click()


@pytest.mark.parametrize("backend", ["sqlite"])  # the rules are tested on both databases in tests/places
async def test_routing_by_place_from_the_table_to_the_grid_worker(
    page: Page, served: str, client: httpx.AsyncClient, outside: list[str], screenshot: Any
) -> None:
    world = await _world(client)
    await _sign_in(page, served, world["coordinator"], f"/console/reports/routing/{world['a'].id}")
    row = page.locator("#route-noise")
    await expect(page.locator("#route-group_renting")).to_contain_text("所在小区的物业公司")
    await row.locator("select").select_option("place:estate_owners_committee")
    await row.get_by_role("button").click()
    await expect(page.locator("#route-noise")).to_contain_text("所在小区的业委会")
    await expect(page.locator("#route-noise")).to_contain_text("已保存")
    await screenshot("console-routing-by-place-zh-Hans")

    # The group-renting report's page says where it went and why, and its estate and grid.
    await page.goto(f"{served}/console/reports/{world['made']['group_renting']}")
    await expect(page.get_by_text("按事发小区“南园新村”交给其物业公司。")).to_be_visible()
    await expect(page.get_by_text("南园第一网格")).to_be_visible()
    await screenshot("console-report-routed-by-place-zh-Hans")

    # The hazard goes to the grid's worker once forwarded; they find it in the room.
    url = f"/api/v1/incidents/{world['made']['safety_hazard']}"
    for status in ("acknowledged", "forwarded"):
        moved = await client.patch(url, json={"status": status}, headers=factories.token_for(world["coordinator"]))
        assert moved.status_code == 200, moved.text
    await page.context.clear_cookies()
    await _sign_in(page, served, world["worker"], "/console/reports")
    await expect(page.get_by_role("link", name="安全隐患")).to_be_visible()
    await page.get_by_role("link", name="安全隐患").click()
    await expect(page.get_by_text("交给负责“南园新村”的南园第一网格网格员。")).to_be_visible()
    await screenshot("console-report-grid-worker-zh-Hans")
    assert outside == []
