"""Sessions: every login opens one, its token names it, and ending it makes the token answer 401 at
once: logout, logout everywhere, ending one from the list, a password change, a role taken away,
the account disabled or deleted, `linli create-admin` resetting a password."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest

from backend.accounts import sessions, staff
from backend.accounts.tables import Role, Session, SessionKind, User
from backend.core import clock
from backend.core.auth import TOKEN_ALGORITHM, TOKEN_AUDIENCE, issue_token
from tests import factories
from tests.conftest import SECRET
from tests.fakes.wechat import FakeWechat

Client = httpx.AsyncClient
EN = {"Accept-Language": "en"}
PASSWORD = "correct horse 1"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **EN}


async def password_login(client: Client, username: str, password: str = PASSWORD) -> str:
    response = await client.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


async def staff_member(client: Client, username: str = "staff-s") -> tuple[User, str, str]:
    """A staff account logged in twice (two devices): (user, first token, second token)."""
    user = await staff.create_staff(username=username, password=PASSWORD)
    return user, await password_login(client, username), await password_login(client, username)


async def status(client: Client, token: str) -> tuple[int, str]:
    response = await client.get("/api/v1/me", headers=bearer(token))
    return response.status_code, response.json().get("code", "") if response.status_code != 200 else ""


# --- opening ----------------------------------------------------------------------------------------


async def test_a_login_opens_a_session_that_its_token_names(client: Client, fake_wechat: FakeWechat) -> None:
    code = fake_wechat.issue_code("o-session")
    body = (await client.post("/api/v1/auth/wechat", json={"code": code})).json()
    claims = jwt.decode(body["access_token"], SECRET, algorithms=[TOKEN_ALGORITHM], audience=TOKEN_AUDIENCE)
    [row] = await Session.select().where(Session.user == uuid.UUID(body["user"]["id"]))
    assert str(row["id"]) == claims["sid"]
    assert row["kind"] == "wechat"
    assert row["address"] == "203.0.113.7"  # the client's address
    assert row["revoked_at"] is None
    assert abs(row["expires_at"].timestamp() - claims["exp"]) < 1


async def test_the_caller_sees_their_open_sessions_and_which_is_this_one(client: Client) -> None:
    _, first, second = await staff_member(client)
    await factories.staff()  # someone else, with a session of their own: not listed
    listed = (await client.get("/api/v1/me/sessions", headers=bearer(second))).json()
    assert len(listed) == 2
    assert [item["current"] for item in listed] == [True, False]  # newest first
    assert {item["kind"] for item in listed} == {"password"}
    assert {item["address"] for item in listed} == {"203.0.113.7"}
    await client.post("/api/v1/auth/logout", headers=bearer(first))
    assert len((await client.get("/api/v1/me/sessions", headers=bearer(second))).json()) == 1


# --- ending them ------------------------------------------------------------------------------------


async def test_logout_ends_this_session_only(client: Client) -> None:
    _, first, second = await staff_member(client)
    assert (await client.post("/api/v1/auth/logout", headers=bearer(first))).status_code == 204
    refused = await client.get("/api/v1/me", headers=bearer(first))
    assert refused.status_code == 401
    assert refused.json()["code"] == "session_revoked"
    assert refused.json()["detail"] == "You have been logged out. Please log in again."
    assert (await client.get("/api/v1/me", headers=bearer(second))).status_code == 200
    # Logging out twice: the token is already refused.
    assert (await client.post("/api/v1/auth/logout", headers=bearer(first))).status_code == 401


async def test_logout_everywhere_ends_every_session(client: Client, fake_wechat: FakeWechat) -> None:
    tokens = [
        (await client.post("/api/v1/auth/wechat", json={"code": fake_wechat.issue_code("o-many")})).json()[
            "access_token"
        ]
        for _ in range(3)
    ]
    assert (await client.post("/api/v1/auth/logout-everywhere", headers=bearer(tokens[1]))).status_code == 204
    assert [await status(client, token) for token in tokens] == [(401, "session_revoked")] * 3
    # Logging in again works.
    again = await client.post("/api/v1/auth/wechat", json={"code": fake_wechat.issue_code("o-many")})
    assert (await client.get("/api/v1/me", headers=bearer(again.json()["access_token"]))).status_code == 200


async def test_ending_one_session_from_the_list(client: Client) -> None:
    _, first, second = await staff_member(client)
    listed = (await client.get("/api/v1/me/sessions", headers=bearer(second))).json()
    other = next(item["id"] for item in listed if not item["current"])
    assert (await client.delete(f"/api/v1/me/sessions/{other}", headers=bearer(second))).status_code == 204
    assert await status(client, first) == (401, "session_revoked")
    assert await status(client, second) == (200, "")
    again = await client.delete(f"/api/v1/me/sessions/{other}", headers=bearer(second))
    assert (again.status_code, again.json()["code"]) == (404, "session_not_found")


async def test_nobody_ends_someone_elses_session(client: Client) -> None:
    _, mine, _ = await staff_member(client, "staff-mine")
    _, theirs, _ = await staff_member(client, "staff-theirs")
    their_session = jwt.decode(theirs, SECRET, algorithms=[TOKEN_ALGORITHM], audience=TOKEN_AUDIENCE)["sid"]
    response = await client.delete(f"/api/v1/me/sessions/{their_session}", headers=bearer(mine))
    assert (response.status_code, response.json()["code"]) == (404, "session_not_found")
    assert await status(client, theirs) == (200, "")


async def test_a_password_change_ends_every_other_session(client: Client) -> None:
    _, first, second = await staff_member(client)
    body = {"current_password": PASSWORD, "new_password": "a brand new passphrase"}
    assert (await client.put("/api/v1/me/password", json=body, headers=bearer(second))).status_code == 204
    assert await status(client, first) == (401, "session_revoked")
    assert await status(client, second) == (200, "")  # the one that changed it goes on
    wrong = await client.post("/api/v1/auth/login", json={"username": "staff-s", "password": PASSWORD})
    assert wrong.status_code == 401
    assert await password_login(client, "staff-s", "a brand new passphrase")


@pytest.mark.parametrize(
    ("body", "status_code", "code"),
    [
        ({"current_password": "not it", "new_password": "a brand new passphrase"}, 403, "wrong_password"),
        ({"current_password": PASSWORD, "new_password": "short"}, 422, "password_too_short"),
        ({"current_password": PASSWORD}, 422, "validation_failed"),
    ],
)
async def test_a_password_change_must_prove_the_current_one(
    client: Client, body: dict[str, Any], status_code: int, code: str
) -> None:
    _, first, second = await staff_member(client)
    response = await client.put("/api/v1/me/password", json=body, headers=bearer(second))
    assert (response.status_code, response.json()["code"]) == (status_code, code)
    assert await status(client, first) == (200, "")  # nothing ended
    assert await password_login(client, "staff-s")  # the password is unchanged


async def test_residents_have_no_password_to_change(client: Client) -> None:
    resident = await factories.resident()
    body = {"current_password": "x", "new_password": "a brand new passphrase"}
    response = await client.put("/api/v1/me/password", json=body, headers=factories.token_for(resident))
    assert (response.status_code, response.json()["code"]) == (403, "staff_only")


async def test_taking_a_role_away_ends_that_persons_sessions(client: Client) -> None:
    tree = await factories.city_tree()
    organiser = await factories.staff(Role.organiser, tree["street_a"])
    other = await factories.staff(Role.organiser, tree["street_a"])
    token = factories.token_for(organiser)
    assert await staff.revoke_role(user_id=organiser.id, organisation_id=tree["street_a"].id, role=Role.organiser)
    refused = await client.get("/api/v1/me", headers=token)
    assert (refused.status_code, refused.json()["code"]) == (401, "session_revoked")
    assert (await client.get("/api/v1/me", headers=factories.token_for(other))).status_code == 200
    # A role they do not hold: nothing happens, nothing ends.
    assert not await staff.revoke_role(user_id=other.id, organisation_id=tree["city"].id, role=Role.admin)
    assert (await client.get("/api/v1/me", headers=factories.token_for(other))).status_code == 200


async def test_a_disabled_account_is_refused_until_enabled(client: Client) -> None:
    user, token, _ = await staff_member(client)
    await staff.disable_account(user_id=user.id)
    refused = await client.get("/api/v1/me", headers=bearer(token))
    assert (refused.status_code, refused.json()["code"]) == (401, "account_disabled")
    assert refused.json()["detail"] == "This account has been disabled. Please contact an administrator."
    login = await client.post("/api/v1/auth/login", json={"username": "staff-s", "password": PASSWORD}, headers=EN)
    assert (login.status_code, login.json()["code"]) == (403, "account_disabled")
    wrong = await client.post("/api/v1/auth/login", json={"username": "staff-s", "password": "wrong one"})
    assert wrong.json()["code"] == "invalid_credentials"  # without the password, nothing is told
    await staff.enable_account(user_id=user.id)
    assert await status(client, token) == (401, "session_revoked")  # old sessions stay ended
    assert await status(client, await password_login(client, "staff-s")) == (200, "")


async def test_a_disabled_resident_cannot_log_in_with_wechat(client: Client, fake_wechat: FakeWechat) -> None:
    body = (await client.post("/api/v1/auth/wechat", json={"code": fake_wechat.issue_code("o-stopped")})).json()
    await staff.disable_account(user_id=uuid.UUID(body["user"]["id"]))
    assert await status(client, body["access_token"]) == (401, "account_disabled")
    again = await client.post("/api/v1/auth/wechat", json={"code": fake_wechat.issue_code("o-stopped")})
    assert (again.status_code, again.json()["code"]) == (403, "account_disabled")


async def test_deleting_the_account_ends_and_forgets_its_sessions(client: Client) -> None:
    resident = await factories.resident()
    other_device = await factories.signed_in(resident, address="198.51.100.3")
    assert (await client.delete("/api/v1/me", headers=factories.token_for(resident))).status_code == 204
    for headers in (factories.token_for(resident), other_device):
        assert (await client.get("/api/v1/me", headers=headers)).status_code == 401
    assert await Session.count().where(Session.user == resident.id) == 0  # the addresses are gone too


async def test_create_admin_resetting_a_password_ends_the_old_sessions(client: Client) -> None:
    await staff.create_city_admin(username="chief", password="first password")
    old = await password_login(client, "chief", "first password")
    await staff.create_city_admin(username="chief", password="second password")
    assert await status(client, old) == (401, "session_revoked")
    assert await status(client, await password_login(client, "chief", "second password")) == (200, "")


async def test_an_administrator_logs_someone_out_everywhere(client: Client) -> None:
    user, first, second = await staff_member(client)
    assert await staff.end_all_sessions(user_id=user.id) == 2
    assert [await status(client, token) for token in (first, second)] == [(401, "session_revoked")] * 2


# --- tokens that do not name a live session ---------------------------------------------------------


async def test_a_token_from_before_sessions_is_refused(client: Client) -> None:
    resident = await factories.resident()
    now = datetime.now(UTC)
    claims = {"sub": str(resident.id), "kind": "resident", "aud": TOKEN_AUDIENCE, "exp": now + timedelta(hours=1)}
    old = jwt.encode(claims, SECRET, algorithm=TOKEN_ALGORITHM)
    assert await status(client, old) == (401, "session_revoked")


async def test_garbage_is_not_a_login_that_expired(client: Client) -> None:
    for token in ("not-a-token", "a.b.c", jwt.encode({"sub": "x"}, "another secret", algorithm="HS256")):
        response = await client.get("/api/v1/me", headers=bearer(token))
        assert (response.status_code, response.json()["code"]) == (401, "token_invalid")
        assert response.json()["detail"] == "This login token is not valid."
    chinese = await client.get("/api/v1/me", headers={"Authorization": "Bearer nonsense"})
    assert chinese.json()["detail"] == "登录信息无效。"


async def test_a_session_is_only_its_own_users(client: Client) -> None:
    """A token signed with the right key whose session belongs to someone else names nobody."""
    resident, other = await factories.resident(), await factories.resident()
    opened = await sessions.open_session(
        user_id=resident.id, staff=False, kind=SessionKind.developer, address="", secret_key=SECRET, ttl_seconds=60
    )
    mixed = issue_token(secret=SECRET, user_id=other.id, kind="resident", session_id=opened.id, ttl_seconds=60)
    assert await status(client, mixed.token) == (401, "token_invalid")
    unknown = issue_token(secret=SECRET, user_id=resident.id, kind="resident", session_id=uuid.uuid4(), ttl_seconds=60)
    assert await status(client, unknown.token) == (401, "token_invalid")


async def test_an_expired_session_is_refused_even_if_its_token_is_not(client: Client) -> None:
    resident = await factories.resident()
    headers = factories.token_for(resident)
    past = datetime.now(UTC) - timedelta(minutes=1)
    await Session.update({Session.expires_at: past}).where(Session.user == resident.id)
    response = await client.get("/api/v1/me", headers={**headers, **EN})
    assert (response.status_code, response.json()["code"]) == (401, "token_expired")
    assert response.json()["detail"] == "Your session has expired. Please log in again."


# --- upkeep -------------------------------------------------------------------------------------------


async def test_sessions_are_purged_a_day_after_they_expired(client: Client) -> None:
    resident = await factories.resident()
    now = datetime.now(UTC)
    for hours in (-25, -23, 5):  # expired more than a day ago, less than a day ago, still open
        await Session.insert(
            Session(
                user=resident.id,
                kind="developer",
                created_at=now - timedelta(days=2),
                expires_at=now + timedelta(hours=hours),
            )
        )
    with clock.frozen(now):
        assert await sessions.purge_expired() == 1
    assert await Session.count().where(Session.user == resident.id) == 3  # the one signed_in opened, too
    from backend.accounts import DOMAIN

    assert [chore.name for chore in DOMAIN.chores] == ["session_retention"]


async def test_the_export_holds_the_sessions(client: Client) -> None:
    resident = await factories.resident()
    await factories.signed_in(resident, address="198.51.100.9")
    await client.post("/api/v1/auth/logout", headers=factories.token_for(resident))
    other = await factories.signed_in(resident, address="198.51.100.10")
    export = (await client.get("/api/v1/me/export", headers=other)).json()
    assert {item["address"] for item in export["sessions"]} == {"127.0.0.1", "198.51.100.9", "198.51.100.10"}
    assert sum(item["ended_at"] is not None for item in export["sessions"]) == 1
