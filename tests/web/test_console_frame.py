"""The console's frame: signing in and out with a session cookie, CSRF on every change, one's
own password and language, and refusals that read like the API's (both databases)."""

from __future__ import annotations

import httpx

from backend.accounts.tables import Role, Session, User
from tests import factories
from tests.web.console import PASSWORD, csrf_of, send, sign_in


async def test_a_stranger_is_sent_to_the_login_page_and_back_after_it(client: httpx.AsyncClient) -> None:
    tree = await factories.city_tree()
    organiser = await factories.staff(Role.organiser, tree["community_a"])

    asked = await client.get("/console/password")
    assert asked.status_code == 303
    assert asked.headers["location"] == "/console/login?next=/console/password"

    login = await client.get(asked.headers["location"])
    assert login.status_code == 200
    assert '<html lang="zh-Hans">' in login.text and "员工登录" in login.text
    assert login.headers["cache-control"] == "private, no-store"
    assert "default-src 'self'" in login.headers["content-security-policy"]
    assert "linli_csrf" in login.cookies

    answer = await client.post(
        "/console/login",
        data={
            "username": organiser.username,
            "password": PASSWORD,
            "_csrf": csrf_of(login.text),
            "next": "/console/password",
        },
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/console/password"
    cookie = answer.headers["set-cookie"]
    assert "linli_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    assert "Path=/console" in cookie
    assert await Session.count().where(Session.user == organiser.id) == 2  # the factory's and this one

    home = await client.get("/console")
    assert home.status_code == 200
    assert "活动" in home.text  # an organiser's room: events
    assert "/console/organisations" not in home.text  # not an administrator's


async def test_wrong_password_reads_like_the_api_and_opens_no_session(client: httpx.AsyncClient) -> None:
    organiser = await factories.staff()
    login = await client.get("/console/login?lang=en")
    answer = await client.post(
        "/console/login?lang=en",
        data={"username": organiser.username, "password": "not it", "_csrf": csrf_of(login.text)},
        headers={"HX-Request": "true"},
    )
    api = await client.post("/api/v1/auth/login?lang=en", json={"username": organiser.username, "password": "not it"})
    assert answer.status_code == api.status_code == 401
    assert answer.headers["hx-retarget"] == "#problems"
    assert api.json()["detail"] in answer.text
    assert "linli_session" not in answer.headers.get("set-cookie", "")
    assert await Session.count().where(Session.user == organiser.id) == 1  # only the factory's


async def test_a_form_without_its_token_or_from_another_site_is_refused(client: httpx.AsyncClient) -> None:
    organiser = await factories.staff()
    await client.get("/console/login")
    no_token = await client.post("/console/login", data={"username": organiser.username, "password": PASSWORD})
    assert no_token.status_code == 403 and "另一个网站" in no_token.text

    csrf = await sign_in(client, organiser)
    for headers in ({}, {"X-CSRF-Token": "0" * 64}):
        refused = await client.post("/console/language", data={"locale": "ja"}, headers=headers)
        assert refused.status_code == 403
    elsewhere = await client.post(
        "/console/language", data={"locale": "ja", "_csrf": csrf}, headers={"Origin": "https://evil.example"}
    )
    assert elsewhere.status_code == 403
    assert (await User.select(User.locale).where(User.id == organiser.id).first())["locale"] is None


async def test_the_cookie_works_in_the_console_only(client: httpx.AsyncClient) -> None:
    organiser = await factories.staff()
    await sign_in(client, organiser)
    assert (await client.get("/console")).status_code == 200
    # The browser would not send it there (Path=/console); sent all the same, it is not a login.
    api = await client.get("/api/v1/me", headers={"Cookie": f"linli_session={client.cookies['linli_session']}"})
    assert api.status_code == 401


async def test_logout_ends_the_session_and_its_cookie(client: httpx.AsyncClient) -> None:
    organiser = await factories.staff()
    csrf = await sign_in(client, organiser)
    token = client.cookies["linli_session"]
    out = await send(client, "/console/logout", csrf)
    assert out.status_code == 303 and out.headers["location"] == "/console/login?said=logged_out&lang=zh-Hans"
    assert "linli_session" not in client.cookies
    # The old cookie, kept by someone: the session has ended, so it is no login.
    client.cookies.set("linli_session", token, domain="testserver.local", path="/console")
    again = await client.get("/console", headers={"Cookie": f"linli_session={token}"})
    assert again.status_code == 303 and "said=session_ended" in again.headers["location"]


async def test_changing_ones_password_ends_the_other_sessions(client: httpx.AsyncClient) -> None:
    organiser = await factories.staff()
    csrf = await sign_in(client, organiser)
    api_token = factories.token_for(organiser)

    mismatch = await send(
        client,
        "/console/password",
        csrf,
        htmx=True,
        current_password=PASSWORD,
        new_password="a new long password",
        repeat_password="another one",
    )
    assert mismatch.status_code == 422 and "两次输入的新密码不一致" in mismatch.text
    wrong = await send(
        client,
        "/console/password",
        csrf,
        htmx=True,
        current_password="not it",
        new_password="a new long password",
        repeat_password="a new long password",
    )
    assert wrong.status_code == 403 and "当前密码不正确" in wrong.text

    changed = await send(
        client,
        "/console/password",
        csrf,
        htmx=True,
        current_password=PASSWORD,
        new_password="a new long password",
        repeat_password="a new long password",
    )
    assert changed.status_code == 200 and changed.headers["hx-redirect"] == "/console?said=password_changed"
    assert (await client.get("/console")).status_code == 200  # this session stays
    assert (await client.get("/api/v1/me", headers=api_token)).status_code == 401  # the others end


async def test_the_chosen_language_is_remembered_on_the_account(client: httpx.AsyncClient) -> None:
    organiser = await factories.staff(Role.organiser, (await factories.city_tree())["community_a"])
    csrf = await sign_in(client, organiser)
    switched = await send(client, "/console/language", csrf, locale="ja", next="/console")
    assert switched.status_code == 303 and switched.headers["location"] == "/console?said=language_changed"
    home = await client.get(switched.headers["location"])
    assert '<html lang="ja">' in home.text and home.headers["content-language"] == "ja"
    assert "イベント" in home.text
    assert (await User.select(User.locale).where(User.id == organiser.id).first())["locale"] == "ja"

    unknown = await send(client, "/console/language", csrf, locale="xx")
    assert unknown.status_code == 422


async def test_a_resident_session_is_no_way_into_the_console(client: httpx.AsyncClient) -> None:
    resident = await factories.resident()
    token = factories.token_for(resident)["Authorization"].removeprefix("Bearer ")
    answer = await client.get("/console", headers={"Cookie": f"linli_session={token}"})
    assert answer.status_code == 303 and answer.headers["location"].startswith("/console/login")


async def test_a_page_that_does_not_exist_is_a_page_not_json(client: httpx.AsyncClient) -> None:
    organiser = await factories.staff()
    await sign_in(client, organiser)
    missing = await client.get("/console/password/nothing-here")
    assert missing.status_code == 404
