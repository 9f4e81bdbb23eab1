"""Accounts over HTTP: WeChat login against the fake server, staff login, /me, on both backends."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar
from redis.asyncio import Redis

from backend.accounts import staff
from backend.accounts.tables import User
from backend.core import i18n
from backend.core.auth import issue_token
from backend.settings import Settings
from tests.conftest import SECRET, build_app, serve_in_process
from tests.fakes.wechat import FakeWechat

Client = httpx.AsyncClient


async def wechat_login(client: Client, fake: FakeWechat, openid: str = "o-resident-1", **kwargs: Any) -> dict[str, Any]:
    code = fake.issue_code(openid, **kwargs)
    response = await client.post("/api/v1/auth/wechat", json={"code": code})
    assert response.status_code == 200, response.text
    return response.json()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def staff_token(client: Client, username: str = "staff-1", password: str = "correct horse 1") -> str:
    await staff.create_staff(username=username, password=password)
    response = await client.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


# --- WeChat login ------------------------------------------------------------------------------


async def test_first_wechat_login_creates_the_resident_and_me_works(client: Client, fake_wechat: FakeWechat) -> None:
    first = await wechat_login(client, fake_wechat, unionid="u-1")
    assert first["created"] is True
    assert first["token_type"] == "bearer"
    me = await client.get("/api/v1/me", headers=bearer(first["access_token"]))
    assert me.status_code == 200
    assert me.json()["id"] == first["user"]["id"]
    assert me.json()["has_wechat"] is True
    assert me.json()["is_staff"] is False

    again = await wechat_login(client, fake_wechat, unionid="u-1")
    assert again["created"] is False
    assert again["user"]["id"] == first["user"]["id"]
    assert await User.count() == 1


async def test_session_key_stays_on_the_server(client: Client, fake_wechat: FakeWechat) -> None:
    body = await wechat_login(client, fake_wechat, "o-secret")
    stored = await User.select(User.wechat_session_key, User.unionid).where(User.openid == "o-secret").first()
    assert stored["wechat_session_key"]
    me = await client.get("/api/v1/me/export", headers=bearer(body["access_token"]))
    for text in (str(body), me.text):
        assert stored["wechat_session_key"] not in text
        assert "session_key" not in text


async def test_a_reused_code_is_refused(client: Client, fake_wechat: FakeWechat) -> None:
    code = fake_wechat.issue_code("o-twice")
    assert (await client.post("/api/v1/auth/wechat", json={"code": code})).status_code == 200
    again = await client.post("/api/v1/auth/wechat", json={"code": code}, headers={"Accept-Language": "en"})
    assert again.status_code == 400
    assert again.json()["code"] == "wechat_code_used"
    assert again.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    ("setup", "status", "code"),
    [
        (lambda fake: "no-such-code", 400, "wechat_code_invalid"),
        (lambda fake: (fake.block("o-bad"), fake.issue_code("o-bad"))[1], 403, "wechat_user_blocked"),
        (lambda fake: (fake.busy(10), fake.issue_code("o-busy"))[1], 503, "wechat_unavailable"),
    ],
    ids=["invalid", "blocked", "busy"],
)
async def test_wechat_errors_become_clear_answers(
    client: Client, fake_wechat: FakeWechat, setup: Any, status: int, code: str
) -> None:
    response = await client.post("/api/v1/auth/wechat", json={"code": setup(fake_wechat)})
    assert response.status_code == status, response.text
    assert response.json()["code"] == code
    assert await User.count() == 0


async def test_an_expired_code_is_invalid(client: Client, fake_wechat: FakeWechat) -> None:
    code = fake_wechat.issue_code("o-late")
    fake_wechat.advance(301)
    response = await client.post("/api/v1/auth/wechat", json={"code": code})
    assert response.json()["code"] == "wechat_code_invalid"


async def test_wechat_rate_limit_is_a_429(client: Client, fake_wechat: FakeWechat) -> None:
    fake_wechat.login_rate_limit = 1
    await wechat_login(client, fake_wechat, "o-eager")
    response = await client.post("/api/v1/auth/wechat", json={"code": fake_wechat.issue_code("o-eager")})
    assert response.status_code == 429
    assert response.json()["code"] == "wechat_rate_limited"
    assert "Retry-After" in response.headers


async def test_wechat_slow_retries_then_succeeds(client: Client, fake_wechat: FakeWechat) -> None:
    fake_wechat.busy(2)
    body = await wechat_login(client, fake_wechat, "o-patient")
    assert body["created"] is True


async def test_wechat_unreachable_is_503(settings: Settings, shared_redis: Redis | None) -> None:
    from tests.servers import free_port

    app = build_app(settings, shared_redis, wechat_api_base=f"http://127.0.0.1:{free_port()}")
    async with serve_in_process(app) as client:
        response = await client.post("/api/v1/auth/wechat", json={"code": "whatever"})
    assert response.status_code == 503
    assert response.json()["code"] == "wechat_unavailable"
    assert "Retry-After" in response.headers


async def test_wechat_not_configured_is_503(settings: Settings, shared_redis: Redis | None) -> None:
    app = build_app(settings, shared_redis, wechat_appid="", wechat_secret="")
    async with serve_in_process(app) as client:
        response = await client.post("/api/v1/auth/wechat", json={"code": "whatever"})
    assert response.status_code == 503
    assert response.json()["code"] == "wechat_not_configured"


async def test_concurrent_first_logins_make_one_account(client: Client, fake_wechat: FakeWechat) -> None:
    codes = [fake_wechat.issue_code("o-racer") for _ in range(5)]
    responses = await asyncio.gather(*(client.post("/api/v1/auth/wechat", json={"code": c}) for c in codes))
    assert {r.status_code for r in responses} == {200}
    assert len({r.json()["user"]["id"] for r in responses}) == 1
    assert sum(r.json()["created"] for r in responses) == 1
    assert await User.count() == 1


# --- staff login ---------------------------------------------------------------------------------


async def test_staff_login_with_password(client: Client) -> None:
    token = await staff_token(client)
    me = await client.get("/api/v1/me", headers=bearer(token))
    assert me.json()["is_staff"] is True
    stored = await User.select(User.password_hash).where(User.username == "staff-1").first()
    assert stored["password_hash"].startswith("$argon2")


async def test_wrong_password_and_unknown_user_look_the_same(client: Client) -> None:
    await staff.create_staff(username="staff-2", password="right password")
    wrong = await client.post("/api/v1/auth/login", json={"username": "staff-2", "password": "nope"})
    unknown = await client.post("/api/v1/auth/login", json={"username": "nobody", "password": "nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["code"] == unknown.json()["code"] == "invalid_credentials"
    assert wrong.json()["detail"] == unknown.json()["detail"]


async def test_login_is_rate_limited_per_address(client: Client) -> None:
    limit = Settings.from_env({}).login_rate_limit
    # A new name each time: the per-name lockout (five failures) is another rule.
    answers = [
        (await client.post("/api/v1/auth/login", json={"username": f"x{i}", "password": "y"})).status_code
        for i in range(limit + 1)
    ]
    assert answers[:limit] == [401] * limit
    assert answers[-1] == 429
    blocked = await client.post("/api/v1/auth/login", json={"username": "x", "password": "y"})
    assert blocked.json()["code"] == "rate_limited"
    assert int(blocked.headers["Retry-After"]) >= 1


async def test_login_rate_limit_is_shared_by_instances(
    postgres_url: str, redis: Redis, fake_wechat: FakeWechat, wechat_base_url: str, workdir: Any
) -> None:
    """Two app instances on one Redis count one client's attempts together."""
    settings = Settings.from_env(
        {},
        env="test",
        database_url=postgres_url,
        secret_key=SECRET,
        log_level="WARNING",
        signal_sweep_seconds=0,
        housekeeping_seconds=0,
    )
    one, two = build_app(settings, redis), build_app(settings, redis)
    async with serve_in_process(one) as first, serve_in_process(two) as second:
        answers = []
        for i in range(settings.login_rate_limit + 1):
            target = first if i % 2 else second
            answers.append(
                (await target.post("/api/v1/auth/login", json={"username": f"x{i}", "password": "y"})).status_code
            )
    assert answers[:-1] == [401] * settings.login_rate_limit
    assert answers[-1] == 429


# --- tokens ----------------------------------------------------------------------------------------


async def test_me_needs_a_valid_token(client: Client) -> None:
    assert (await client.get("/api/v1/me")).json()["code"] == "not_authenticated"
    bad = await client.get("/api/v1/me", headers={"Authorization": "Bearer not-a-token"})
    assert bad.status_code == 401
    assert bad.json()["code"] == "token_invalid"
    basic = await client.get("/api/v1/me", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert basic.json()["code"] == "token_invalid"


async def test_expired_and_foreign_tokens_are_refused(client: Client, fake_wechat: FakeWechat) -> None:
    body = await wechat_login(client, fake_wechat)
    user_id = uuid.UUID(body["user"]["id"])
    session_id = uuid.uuid4()
    expired = issue_token(secret=SECRET, user_id=user_id, kind="resident", session_id=session_id, ttl_seconds=-10).token
    forged = issue_token(
        secret="another-secret-another-secret-123",
        user_id=user_id,
        kind="resident",
        session_id=session_id,
        ttl_seconds=60,
    ).token
    assert (await client.get("/api/v1/me", headers=bearer(expired))).json()["code"] == "token_expired"
    assert (await client.get("/api/v1/me", headers=bearer(forged))).json()["code"] == "token_invalid"


# --- /me -----------------------------------------------------------------------------------------------


async def test_update_me_and_mask_the_phone(client: Client, fake_wechat: FakeWechat) -> None:
    token = (await wechat_login(client, fake_wechat))["access_token"]
    response = await client.patch(
        "/api/v1/me",
        json={"display_name": " 李小梅 ", "locale": "en", "phone": "13812345678", "birth_year": 1998},
        headers=bearer(token),
    )
    assert response.status_code == 200, response.text
    me = response.json()
    assert me["display_name"] == "李小梅"
    assert me["locale"] == "en"
    assert me["phone_masked"] == "138****5678"
    assert "13812345678" not in response.text
    assert me["birth_year"] == 1998
    exported = await client.get("/api/v1/me/export", headers=bearer(token))
    assert exported.json()["phone"] == "13812345678"

    cleared = await client.patch("/api/v1/me", json={"phone": None}, headers=bearer(token))
    assert cleared.json()["phone_masked"] is None
    assert cleared.json()["display_name"] == "李小梅"  # untouched fields stay


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"locale": "fr"}, "locale", "invalid_choice"),
        ({"phone": "12345"}, "phone", "invalid_phone"),
        ({"birth_year": 1800}, "birth_year", "too_small"),
        ({"display_name": ""}, "display_name", "too_short"),
        ({"display_name": "x" * 33}, "display_name", "too_long"),
        ({"display_name": 5}, "display_name", "wrong_type"),
        ({"is_staff": True}, "is_staff", "unknown_field"),
    ],
)
async def test_update_me_rejects_bad_input(
    client: Client, fake_wechat: FakeWechat, body: dict[str, Any], field: str, code: str
) -> None:
    token = (await wechat_login(client, fake_wechat))["access_token"]
    response = await client.patch("/api/v1/me", json=body, headers=bearer(token))
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "validation_failed"
    assert problem["errors"][0]["field"] == field
    assert problem["errors"][0]["code"] == code
    assert (await client.get("/api/v1/me", headers=bearer(token))).json()["is_staff"] is False


async def test_future_birth_year_and_blank_name_are_refused(client: Client, fake_wechat: FakeWechat) -> None:
    token = (await wechat_login(client, fake_wechat))["access_token"]
    future = await client.patch("/api/v1/me", json={"birth_year": 2099}, headers=bearer(token))
    assert future.json()["code"] == "invalid_birth_year"
    blank = await client.patch("/api/v1/me", json={"display_name": "   "}, headers=bearer(token))
    assert blank.json()["code"] == "invalid_display_name"


async def test_saved_locale_sits_between_lang_parameter_and_accept_language(
    client: Client, fake_wechat: FakeWechat
) -> None:
    token = (await wechat_login(client, fake_wechat))["access_token"]
    await client.patch("/api/v1/me", json={"locale": "en"}, headers=bearer(token))
    headers = {**bearer(token), "Accept-Language": "ja"}
    assert (await client.get("/api/v1/me", headers=headers)).headers["Content-Language"] == "en"
    assert (await client.get("/api/v1/me?lang=ko", headers=headers)).headers["Content-Language"] == "ko"
    missing = await client.get("/api/v1/me/nothing-here", headers=headers)
    assert missing.status_code == 404


async def test_delete_me_anonymises_and_ends_the_session(client: Client, fake_wechat: FakeWechat) -> None:
    body = await wechat_login(client, fake_wechat, "o-leaving", unionid="u-leaving")
    token = body["access_token"]
    await client.patch("/api/v1/me", json={"phone": "13900001111", "display_name": "王"}, headers=bearer(token))
    assert (await client.delete("/api/v1/me", headers=bearer(token))).status_code == 204
    assert (await client.get("/api/v1/me", headers=bearer(token))).status_code == 401
    row = await User.select().where(User.id == uuid.UUID(body["user"]["id"])).first()
    assert row["deleted_at"] is not None
    assert (row["openid"], row["unionid"], row["phone"], row["display_name"]) == (None, None, None, "")
    again = await wechat_login(client, fake_wechat, "o-leaving")
    assert again["created"] is True
    assert again["user"]["id"] != body["user"]["id"]


async def test_dev_login_only_when_enabled(client: Client, settings: Settings, shared_redis: Redis | None) -> None:
    response = await client.post("/api/v1/auth/dev-login", json={"openid": "tester", "display_name": "测试"})
    assert response.status_code == 200
    assert response.json()["user"]["display_name"] == "测试"
    app: Litestar = build_app(settings, shared_redis, dev_login=False)
    async with serve_in_process(app) as closed:
        assert (await closed.post("/api/v1/auth/dev-login", json={})).status_code == 404


async def test_locales_are_listed_with_native_names(client: Client) -> None:
    response = await client.get("/api/v1/locales")
    assert [item["code"] for item in response.json()] == ["zh-Hans", "en", "zh-Hant", "ja", "ko"]
    assert {item["native_name"] for item in response.json()} >= {"简体中文", "日本語", "한국어"}
    assert [item["code"] for item in response.json() if item["default"]] == ["zh-Hans"]


async def test_locales_report_how_complete_each_catalog_is(client: Client) -> None:
    items = (await client.get("/api/v1/locales")).json()
    assert [item["code"] for item in items] == list(i18n.LOCALES)
    assert all(0 < item["complete"] <= 1 for item in items), items
    assert {item["code"]: item["complete"] for item in items} == i18n.catalog_completeness()


_PO = """msgid ""
msgstr ""
"Content-Type: text/plain; charset=utf-8\\n"
"Plural-Forms: nplurals=2; plural=(n != 1);\\n"

msgid "Done"
msgstr "Fertig"

msgid "Empty"
msgstr ""

#, fuzzy
msgid "Guessed"
msgstr "Geraten"

msgid "{count} seat"
msgid_plural "{count} seats"
msgstr[0] "{count} Platz"
msgstr[1] ""
"""


def test_completeness_counts_only_filled_non_fuzzy_translations(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for locale in ("zh_Hans", "en"):
        (tmp_path / locale / "LC_MESSAGES").mkdir(parents=True)
    (tmp_path / "zh_Hans" / "LC_MESSAGES" / "messages.po").write_text(_PO, encoding="utf-8")
    (tmp_path / "en" / "LC_MESSAGES" / "messages.po").write_text(
        _PO.replace('msgstr ""\n\n#', 'msgstr "Leer"\n\n#'), encoding="utf-8"
    )
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    i18n.catalog_completeness.cache_clear()
    try:
        shares = i18n.catalog_completeness()
    finally:
        i18n.catalog_completeness.cache_clear()
    assert shares == {"zh-Hans": 0.25, "en": 0.5, "zh-Hant": 0.0, "ja": 0.0, "ko": 0.0}


async def test_dev_login_refuses_hostile_openids(client: Client) -> None:
    for openid in ("x" * 49, "a b", "../../etc", ""):
        response = await client.post("/api/v1/auth/dev-login", json={"openid": openid})
        assert response.status_code == 422, (openid, response.text)
    assert (await client.post("/api/v1/auth/dev-login", json={"openid": "y" * 48})).status_code == 200


async def test_sessions_and_the_audit_log_are_documented_with_examples(client: Client) -> None:
    document = (await client.get("/schema/openapi.json")).json()
    paths, schemas = document["paths"], document["components"]["schemas"]
    operations = {
        ("/api/v1/auth/logout", "post"): "log_out",
        ("/api/v1/auth/logout-everywhere", "post"): "log_out_everywhere",
        ("/api/v1/me/sessions", "get"): "list_my_sessions",
        ("/api/v1/me/sessions/{session_id}", "delete"): "end_my_session",
        ("/api/v1/me/password", "put"): "change_my_password",
        ("/api/v1/audit", "get"): "list_audit_entries",
    }
    for (path, method), operation_id in operations.items():
        operation = paths[path][method]
        assert operation["operationId"] == operation_id
        assert operation["security"] == [{"bearer": []}]
        assert operation["responses"]["401"]["content"]["application/problem+json"]["examples"]
    for name in ("SessionRead", "AuditEntryRead", "PasswordChange"):
        assert any("examples" in field for field in schemas[name]["properties"].values()), name
    audit = paths["/api/v1/audit"]["get"]
    assert {"text/csv", "application/json"} <= set(audit["responses"]["200"]["content"])
    assert {p["name"] for p in audit["parameters"]} >= {"actor", "action", "object_type", "object_id", "from", "to"}
    # Every 429 of a login says when to try again.
    for path, method in [
        ("/api/v1/auth/login", "post"),
        ("/api/v1/auth/wechat", "post"),
        ("/api/v1/auth/dev-login", "post"),
        ("/api/v1/me/password", "put"),
    ]:
        headers = paths[path][method]["responses"]["429"]["headers"]
        assert headers["Retry-After"]["schema"]["type"] == "integer", (path, headers)
        assert headers["Retry-After"]["required"] is True
