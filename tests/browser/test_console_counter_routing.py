"""The routing table in a real browser: a coordinator opens it from the reports queue, routes
group renting to the property company in place, and a forced choice the service refuses is
drawn beside its row. Read back through the API. Screenshots in zh-Hans and ja."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.async_api import Page, expect

from backend.accounts.tables import OrganisationKind, Role, User
from tests import factories
from tests.web.console import PASSWORD

PROPERTY = "苏州南园物业管理有限公司第二服务中心"


async def _world() -> dict[str, Any]:
    tree = await factories.city_tree()
    a = tree["community_a"]
    property_a = await factories.organisation(OrganisationKind.property_company, a, PROPERTY)
    await factories.organisation(OrganisationKind.police_station, tree["street_a"], "双塔派出所")
    coordinator = await factories.staff(Role.coordinator, a)
    await User.update({User.display_name: "陈协调"}).where(User.id == coordinator.id)
    return {"a": a, "property_a": property_a, "coordinator": coordinator}


async def _sign_in(page: Page, served: str, user: User) -> None:
    await page.goto(f"{served}/console/reports")
    await page.locator("#field-username").fill(user.username)
    await page.locator("#field-password").fill(PASSWORD)
    await page.locator("form button[type=submit]").click()


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize("lang", ["zh-Hans", "ja"])
async def test_a_coordinator_routes_group_renting_in_place(
    page: Page, served: str, client: httpx.AsyncClient, outside: list[str], screenshot: Any, lang: str
) -> None:
    world = await _world()
    await _sign_in(page, served, world["coordinator"])
    if lang == "ja":
        await page.get_by_role("button", name="日本語").click()
    await page.locator(".routing-links a").first.click()
    row = page.locator("#route-group_renting")
    await expect(row).to_be_visible()
    await screenshot(f"console-routing-table-{lang}")

    await row.locator("select").select_option(f"property_company:{world['property_a'].id}")
    await row.get_by_role("button").click()
    await expect(page.locator("#route-group_renting td.party")).to_contain_text(PROPERTY)
    await expect(page.locator("#route-group_renting [role=status]")).to_be_visible()
    answer = await client.get(
        f"/api/v1/communities/{world['a'].id}/incident-routing", headers=factories.token_for(world["coordinator"])
    )
    rule = next(r for r in answer.json() if r["kind"] == "group_renting")
    assert (rule["party"], rule["organisation"]["id"]) == ("property_company", str(world["property_a"].id))

    # A choice the page never offers (police, but the property company), forced as a crafted form would.
    noise = page.locator("#route-noise")
    await noise.locator("select").evaluate(
        "(s, v) => { const o = document.createElement('option'); o.value = v; o.textContent = 'x'; s.append(o); s.value = v; }",
        f"police:{world['property_a'].id}",
    )
    await noise.get_by_role("button").click()
    await expect(page.locator("#route-noise [role=alert]")).to_contain_text(PROPERTY)
    await screenshot(f"console-routing-refused-{lang}")
    assert outside == []
