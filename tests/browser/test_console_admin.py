"""The administrators' rooms in a real browser: a city administrator creates a community under a
street, names it in more languages, makes an organiser account with a temporary password (the
organiser logs in, must choose a password, then finds the Events room), invites a librarian (who
opens the link, chooses a password and lands in the console) and reads both in the audit log;
the same, shorter, with the console in Japanese."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import Page, expect

from backend.accounts.tables import Role, User
from tests import factories
from tests.web.console import PASSWORD

ZH = {"username": "用户名", "password": "密码", "log_in": "登录", "log_out": "退出登录"}
JA = {"username": "ユーザー名", "password": "パスワード", "log_in": "ログイン", "log_out": "ログアウト"}


async def log_in(page: Page, served: str, username: str, password: str, words: dict[str, str], lang: str) -> None:
    await page.goto(f"{served}/console/login?lang={lang}")
    await page.get_by_label(words["username"]).fill(username)
    await page.get_by_label(words["password"]).fill(password)
    await page.get_by_role("button", name=words["log_in"]).click()
    await expect(page.get_by_role("button", name=words["log_out"])).to_be_visible()


async def log_out(page: Page, words: dict[str, str]) -> None:
    await page.get_by_role("button", name=words["log_out"]).click()
    await page.wait_for_url("**/console/login?said=logged_out*")


async def city_admin(name: str, locale: str | None = None) -> tuple[dict[str, Any], User]:
    tree = await factories.city_tree()
    admin = await factories.staff(Role.admin, tree["city"])
    await User.update({User.display_name: name, User.locale: locale}).where(User.id == admin.id)
    return tree, admin


@pytest.mark.parametrize("backend", ["sqlite"])  # the rules are tested on both databases in tests/web
async def test_an_administrators_day_in_zh_hans(page: Page, served: str, outside: list[str], screenshot: Any) -> None:
    tree, admin = await city_admin("王主任")
    await log_in(page, served, admin.username, PASSWORD, ZH, "zh-Hans")
    await page.get_by_role("link", name="服务组织").first.click()
    await expect(page.get_by_role("heading", name="服务组织")).to_be_visible()
    await screenshot("admin-organisations-zh-Hans")

    # A community under a street: only the kinds a street takes are offered.
    await page.get_by_role("link", name="双塔街道").click()
    await page.get_by_role("link", name="添加下级组织").click()
    await expect(page.locator("#field-kind")).to_contain_text("社区")
    await page.locator("#field-kind").select_option("community")
    await page.locator("#field-name-zh-Hans").fill("定慧寺巷历史文化街区社区")
    await screenshot("admin-organisation-new-zh-Hans")
    await page.get_by_role("button", name="创建").click()
    await expect(page.get_by_role("status")).to_contain_text("组织已创建")
    community_id = page.url.split("/console/organisations/")[1].split("?")[0]

    # Named in two more languages, Traditional Chinese converted on the server.
    await page.locator("#field-name-ja").fill("定慧寺巷歴史文化街区コミュニティ")
    await page.locator("#field-name-en").fill("Dinghuisi Lane Historic Quarter Community")
    await page.get_by_role("button", name="保存名称").click()
    await expect(page.get_by_role("status")).to_contain_text("名称已保存")
    await screenshot("admin-organisation-zh-Hans")

    # An organiser account for it, with a temporary password shown once.
    await page.get_by_role("link", name="工作人员").first.click()
    await page.get_by_role("link", name="新建工作人员账号").click()
    await page.locator("#field-display_name").fill("周老师")
    await page.locator("#field-username").fill("zhou.laoshi")
    await page.locator("#field-organisation_id").select_option(community_id)
    await page.locator("#field-role").select_option("organiser")
    await screenshot("admin-staff-new-zh-Hans")
    await page.get_by_role("button", name="创建账号").click()
    password = await page.locator("#way-in-password").input_value()
    assert len(password) >= 8
    await screenshot("admin-staff-password-zh-Hans")
    await page.get_by_role("link", name="返回工作人员列表").click()
    await expect(page.get_by_role("cell", name="周老师")).to_be_visible()
    await screenshot("admin-staff-zh-Hans")
    await log_out(page, ZH)

    # The organiser: made to choose a password, then the Events room is theirs.
    await log_in(page, served, "zhou.laoshi", password, ZH, "zh-Hans")
    await expect(page.get_by_label("当前密码")).to_be_visible()
    await page.get_by_label("当前密码").fill(password)
    await page.get_by_label("新密码", exact=True).fill("zhou's own password")
    await page.get_by_label("再次输入新密码").fill("zhou's own password")
    await page.get_by_role("button", name="修改密码").click()
    await expect(page.get_by_role("heading", name="周老师，您好")).to_be_visible()
    await expect(page.get_by_role("link", name="活动").first).to_be_visible()
    await expect(page.get_by_role("link", name="服务组织")).to_have_count(0)
    await screenshot("admin-organiser-overview-zh-Hans")
    await log_out(page, ZH)

    # A librarian invited by link.
    await log_in(page, served, admin.username, PASSWORD, ZH, "zh-Hans")
    await page.goto(f"{served}/console/staff/new?organisation={tree['library_a'].id}")
    await page.locator("#field-display_name").fill("林馆员")
    await page.locator("#field-username").fill("lin.guanyuan")
    await page.locator("#field-role").select_option("library_staff")
    await page.get_by_label("邀请链接（只显示一次）", exact=False).check()
    await page.get_by_role("button", name="创建账号").click()
    link = await page.locator("#way-in-link").input_value()
    await screenshot("admin-staff-invite-zh-Hans")
    await log_out(page, ZH)

    await page.goto(link)
    await expect(page.get_by_role("heading", name="林馆员，欢迎您")).to_be_visible()
    await expect(page.get_by_text("王主任为您开通了邻里工作人员账号。")).to_be_visible()
    await screenshot("admin-invite-zh-Hans")
    await page.get_by_label("设置密码").fill("books and tea")
    await page.get_by_label("再次输入密码").fill("books and tea")
    await page.get_by_role("button", name="保存并登录").click()
    await expect(page.get_by_role("heading", name="林馆员，您好")).to_be_visible()
    await log_out(page, ZH)

    # The administrator reads both in the audit log.
    await log_in(page, served, admin.username, PASSWORD, ZH, "zh-Hans")
    await page.get_by_role("link", name="操作日志").first.click()
    await expect(page.get_by_role("cell", name="accounts.invite_accepted")).to_be_visible()
    # the organiser, the librarian, and the administrator the test itself made
    await expect(page.get_by_role("cell", name="accounts.staff_created")).to_have_count(3)
    await screenshot("admin-audit-zh-Hans")
    await page.get_by_role("link", name="accounts.staff_created").first.click()
    await expect(page.get_by_role("cell", name="accounts.invite_accepted")).to_have_count(0)
    assert outside == []


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_the_same_in_japanese(page: Page, served: str, outside: list[str], screenshot: Any) -> None:
    tree, admin = await city_admin("佐藤", "ja")
    await log_in(page, served, admin.username, PASSWORD, JA, "ja")
    await page.goto(f"{served}/console/organisations/new?parent={tree['street_b'].id}")
    await page.locator("#field-kind").select_option("community")
    await page.locator("#field-name-zh-Hans").fill("金鸡湖畔国际社区")
    await page.locator("#field-name-ja").fill("金鶏湖畔インターナショナルコミュニティ")
    await page.get_by_role("button", name="作成").click()
    await expect(page.get_by_role("status")).to_contain_text("組織を作成しました")
    await screenshot("admin-organisation-ja")
    await page.get_by_role("link", name="活動団体").first.click()
    await expect(page.get_by_role("link", name="金鶏湖畔インターナショナルコミュニティ")).to_be_visible()
    await screenshot("admin-organisations-ja")

    await page.goto(f"{served}/console/staff/new?organisation={tree['library_a'].id}")
    await page.locator("#field-display_name").fill("山田")
    await page.locator("#field-username").fill("yamada")
    await page.locator("#field-role").select_option("library_staff")
    await page.get_by_label("招待リンク（一度だけ表示）", exact=False).check()
    await page.get_by_role("button", name="アカウントを作成").click()
    link = await page.locator("#way-in-link").input_value()
    await screenshot("admin-staff-invite-ja")
    await log_out(page, JA)

    await page.goto(link + "?lang=ja")
    await expect(page.get_by_role("heading", name="山田 さん、ようこそ")).to_be_visible()
    await screenshot("admin-invite-ja")
    await page.get_by_label("パスワードを決める").fill("books and tea")
    await page.get_by_label("パスワード（確認）").fill("books and tea")
    await page.get_by_role("button", name="保存してログイン").click()
    await expect(page.get_by_role("heading", name="山田 さん、こんにちは")).to_be_visible()
    await log_out(page, JA)

    await page.goto(link + "?lang=ja")  # spent
    await expect(page.get_by_role("heading")).to_contain_text("招待リンク")
    await screenshot("admin-invite-used-ja")

    await log_in(page, served, admin.username, PASSWORD, JA, "ja")
    await page.get_by_role("link", name="操作ログ").first.click()
    await expect(page.get_by_role("cell", name="accounts.invite_accepted")).to_be_visible()
    await screenshot("admin-audit-ja")
    assert outside == []
