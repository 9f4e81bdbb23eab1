"""The console's home in a real browser: an administrator of a community signs in and sees
today's work as cards (each a number and a link into its room), follows one; then in Korean."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.async_api import Page, expect

from backend.accounts.tables import User
from tests.web.console import PASSWORD
from tests.web.test_console_home import build_world


async def _sign_in(page: Page, served: str, user: User) -> None:
    await page.goto(f"{served}/console")
    await page.locator("#field-username").fill(user.username)
    await page.locator("#field-password").fill(PASSWORD)
    await page.locator("form button[type=submit]").click()


@pytest.mark.parametrize("backend", ["sqlite"])  # the counts are tested on both databases in tests/web
async def test_the_home_shows_todays_work_and_leads_into_a_room(
    page: Page, served: str, client: httpx.AsyncClient, outside: list[str], screenshot: Any
) -> None:
    world = await build_world(client)
    await User.update({User.display_name: "欧阳晓晴"}).where(User.id == world["admin"].id)
    await _sign_in(page, served, world["admin"])
    await expect(page.get_by_role("heading", level=1)).to_contain_text("欧阳晓晴")
    await expect(page.locator(".home-card")).to_have_count(5)
    await expect(page.locator('[data-card="events"]')).to_contain_text("已到 6 人，已订 16 座")
    await expect(page.locator('[data-card="pickups"] .home-number')).to_have_text("3")
    await screenshot("console-home-zh-Hans")
    await page.locator('[data-card="hours"] a').click()
    await expect(page).to_have_url(f"{served}/console/volunteers")
    assert outside == []


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_the_home_in_korean(
    page: Page, served: str, client: httpx.AsyncClient, outside: list[str], screenshot: Any
) -> None:
    world = await build_world(client)
    await _sign_in(page, served, world["admin"])
    await page.get_by_role("button", name="한국어").click()
    await expect(page.locator('[data-card="events"]')).to_contain_text("예약 16석 중 6명 도착")
    await screenshot("console-home-ko")
    assert outside == []
