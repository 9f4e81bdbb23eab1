"""The console's frame in a real browser: an organiser signs in (a wrong password first), lands
on the overview, switches the console to Japanese, changes their password and logs out."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import Page, expect

from backend.accounts.tables import Role, User
from tests import factories
from tests.web.console import PASSWORD


@pytest.mark.parametrize("backend", ["sqlite"])  # the flow's rules are tested on both in tests/web
async def test_signing_in_switching_language_and_out(
    page: Page, served: str, outside: list[str], screenshot: Any
) -> None:
    tree = await factories.city_tree()
    organiser = await factories.staff(Role.organiser, tree["community_a"])
    await User.update({User.display_name: "周老师"}).where(User.id == organiser.id)

    await page.goto(f"{served}/console")
    await expect(page.get_by_role("heading", name="员工登录")).to_be_visible()
    await screenshot("console-login-zh-Hans")
    await page.get_by_label("用户名").fill(organiser.username)
    await page.get_by_label("密码").fill("not the password")
    await page.get_by_role("button", name="登录").click()
    await expect(page.get_by_role("alert")).to_contain_text("用户名或密码错误")
    await expect(page.get_by_label("用户名")).to_have_value(organiser.username)  # what was typed stays
    await screenshot("console-login-refused-zh-Hans")

    await page.get_by_label("密码").fill(PASSWORD)
    await page.get_by_role("button", name="登录").click()
    await expect(page.get_by_role("heading", name="周老师，您好")).to_be_visible()
    await expect(page.get_by_role("link", name="活动").first).to_be_visible()
    await screenshot("console-overview-zh-Hans")

    await page.get_by_role("button", name="日本語").click()
    await expect(page.get_by_role("heading", name="周老师 さん、こんにちは")).to_be_visible()
    assert await page.get_attribute("html", "lang") == "ja"
    await screenshot("console-overview-ja")

    await page.get_by_role("link", name="パスワード").click()
    await page.get_by_label("現在のパスワード").fill(PASSWORD)
    await page.get_by_label("新しいパスワード", exact=True).fill("a brand new password")
    await page.get_by_label("新しいパスワード（確認）").fill("a brand new password!")
    await page.get_by_role("button", name="パスワードを変更").click()
    await expect(page.get_by_role("alert")).to_contain_text("新しいパスワードが一致しません")
    await screenshot("console-password-refused-ja")
    await page.get_by_label("新しいパスワード（確認）").fill("a brand new password")
    await page.get_by_role("button", name="パスワードを変更").click()
    await expect(page.get_by_role("status")).to_contain_text("パスワードを変更しました")

    await page.get_by_role("button", name="ログアウト").click()
    await expect(page.get_by_role("status")).to_contain_text("ログアウトしました")
    assert outside == []
