"""The public pages in a real browser, on a phone and a desktop, in Chinese and Japanese: each
drawn with nothing fetched from another host, kept as a screenshot for people to look at, and
checked by axe-core (tests/browser/vendor/) for serious or critical accessibility faults."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Page

from backend.accounts.tables import Role
from tests import factories
from tests.browser.conftest import DESKTOP, PHONE
from tests.web.test_public_pages import a_record, public_world

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core-4.14.1.min.js"
SIZES = {"phone": PHONE, "desktop": DESKTOP}
LANGS = ("zh-Hans", "ja")
# What axe reports of a violation: the rule, how bad, and where (a few nodes).
_RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))
  }));
}"""


async def serious_faults(page: Page) -> list[dict[str, Any]]:
    """axe-core's violations of impact serious or critical on the page as it stands.

    Our pages' policy allows only our own scripts (``script-src 'self'``), so a ``<script>`` tag
    added by ``page.add_script_tag`` is refused; the checker is evaluated through the DevTools
    protocol instead, which the policy does not govern, leaving the page's policy as it is served."""
    if not await page.evaluate("typeof axe !== 'undefined'"):
        await page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    found: list[dict[str, Any]] = await page.evaluate(_RUN_AXE)
    return [fault for fault in found if fault["impact"] in ("serious", "critical")]


async def look_at(page: Page, served: str, path: str, name: str, screenshot: Any, *, status: int = 200) -> None:
    """``path`` in both languages and both sizes: drawn, photographed, and found accessible."""
    for lang in LANGS:
        for size, viewport in SIZES.items():
            await page.set_viewport_size(viewport)
            joiner = "&" if "?" in path else "?"
            answer = await page.goto(f"{served}{path}{joiner}lang={lang}")
            assert answer is not None and answer.status == status, path
            assert await page.get_attribute("html", "lang") == lang
            # Nothing overflows sideways on a phone: long titles wrap.
            width = await page.evaluate("document.documentElement.scrollWidth")
            assert width <= viewport["width"], f"{path} is {width}px wide at {size}"
            await screenshot(f"public-{name}-{lang}-{size}")
            assert await serious_faults(page) == [], f"{path} in {lang} at {size}"


@pytest.fixture
async def world(client: httpx.AsyncClient) -> dict[str, Any]:
    return await public_world(client)


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_the_event_pages(
    page: Page, served: str, client: httpx.AsyncClient, world: dict[str, Any], outside: list[str], screenshot: Any
) -> None:
    await look_at(page, served, f"/events/{world['event'].id}", "event", screenshot)
    await look_at(page, served, f"/events/{world['plain'].id}", "event-no-poster", screenshot)
    organiser = factories.token_for(world["organiser"])
    assert (await client.post(f"/api/v1/events/{world['plain'].id}/cancel", headers=organiser)).is_success
    # A new address: the browser may keep the page it saw a minute (Cache-Control), as a visitor's would.
    await look_at(page, served, f"/events/{world['plain'].id}?seen=cancelled", "event-cancelled", screenshot)
    await look_at(page, served, f"/events/{uuid.uuid4()}", "not-found", screenshot, status=404)
    assert outside == []


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_open_in_the_mini_program_and_the_share_link(
    page: Page, served: str, world: dict[str, Any], outside: list[str], screenshot: Any, fake_wechat: Any
) -> None:
    from backend.events.sharing.services import share_link_code

    code = await share_link_code(event_id=world["event"].id, sharer_id=(await factories.resident()).id)
    await look_at(page, served, f"/s/{code}", "share", screenshot)
    await page.set_viewport_size(PHONE)
    await page.goto(f"{served}/s/{code}?lang=zh-Hans")
    await page.get_by_role("button", name="在小程序中打开").click()
    link = page.get_by_role("link", name="在微信中打开")
    await link.wait_for()  # htmx swapped in this visitor's own link
    assert (await link.get_attribute("href") or "").startswith("https://wxaurl.cn/")
    await screenshot("public-open-link-zh-Hans-phone")
    assert await serious_faults(page) == []
    # WeChat's day is spent: the visitor gets the share card with the mini-program code to scan.
    fake_wechat.urllink_daily_limit = 0
    await page.goto(f"{served}/events/{world['event'].id}?lang=ja")
    await page.get_by_role("button", name="ミニプログラムで開く").click()
    card = page.locator(".public-code")
    await card.wait_for()
    assert await card.evaluate("image => image.decode().then(() => image.naturalWidth)") == 750
    assert "WeChatでスキャン" in await page.locator(".public-open").inner_text()  # the page's language
    await screenshot("public-open-code-ja-phone")
    assert await serious_faults(page) == []
    assert outside == []


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_the_branch_page(
    page: Page, served: str, client: httpx.AsyncClient, world: dict[str, Any], outside: list[str], screenshot: Any
) -> None:
    await look_at(page, served, f"/library-branches/{world['branch']}", "branch", screenshot)
    # A branch nobody has counted seats at, with no events coming up.
    tree = world["tree"]
    staff = factories.token_for(await factories.staff(Role.library_staff, tree["library_a"]))
    venue = await factories.venue(tree["library_a"], tree["community_b"], name="莲花社区阅览室")
    body = {
        "organisation_id": str(tree["library_a"].id),
        "venue_id": str(venue.id),
        "name": {"zh-Hans": "莲花社区图书馆服务点"},
        "services": ["lending", "e_reading", "children"],
        "e_reading_seats": 8,
        "weekly_hours": {str(d): [{"opens": "08:30", "closes": "20:00"}] for d in range(7)},
    }
    created = await client.post("/api/v1/library-branches", json=body, headers=staff)
    assert created.status_code == 201, created.text
    await look_at(page, served, f"/library-branches/{created.json()['id']}", "branch-empty", screenshot)
    assert outside == []


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_the_verification_page(
    page: Page, served: str, client: httpx.AsyncClient, outside: list[str], screenshot: Any
) -> None:
    record = await a_record(client)
    await look_at(page, served, f"/verify/{record.code}", "verify", screenshot)
    await look_at(page, served, "/verify/NOSUCHCODE23", "verify-unknown", screenshot, status=404)
    assert outside == []


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_the_home_page(
    page: Page, served: str, client: httpx.AsyncClient, outside: list[str], screenshot: Any
) -> None:
    await look_at(page, served, "/", "home-empty", screenshot)
    await public_world(client)
    await look_at(page, served, "/?seen=listed", "home", screenshot)  # not the page the browser kept
    assert outside == []
