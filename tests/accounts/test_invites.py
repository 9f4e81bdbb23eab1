"""Invitation links: a staff member chooses their own password with a one-time link instead of
being told one. Only the token's hash is kept; it works 72 hours and once; a new one (or a
password reset) replaces it; every way of not working gets the same 404."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import timedelta
from typing import Any

import httpx

from backend.accounts import api, invites, staff, staff_accounts
from backend.accounts.invites import INVITE_TTL
from backend.accounts.tables import Role, StaffInvite, User
from backend.core import clock
from backend.core.tables import AuditEntry
from tests import factories

Client = httpx.AsyncClient
EN = {"Accept-Language": "en"}
INVITES = "/api/v1/auth/invites"
CHOSEN = "my own long passphrase"


async def invited(client: Client, admin: Any, organisation: Any, username: str = "zhang.wei") -> dict[str, Any]:
    response = await client.post(
        "/api/v1/staff",
        json={
            "username": username,
            "display_name": "张伟",
            "role": "coordinator",
            "organisation_id": str(organisation.id),
            "invite": True,
        },
        headers={**factories.token_for(admin), **EN},
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def token_of(answer: dict[str, Any]) -> str:
    return str(answer["invite"]["path"].removeprefix("/console/invite/"))


async def test_an_invited_person_chooses_their_password_and_then_logs_in(client: Client) -> None:
    tree = await factories.city_tree()
    admin = await factories.staff(Role.admin, tree["community_a"])
    answer = await invited(client, admin, tree["community_a"])
    token = token_of(answer)
    assert len(token) == 43 and answer["staff"]["invited_until"] == answer["invite"]["expires_at"]
    assert answer["staff"]["password_change_required"] is False
    # Only the hash is kept; the account has no password until it is chosen.
    [row] = await StaffInvite.select()
    assert row["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(await StaffInvite.select()) + str(await AuditEntry.select())
    assert (await User.select(User.password_hash).where(User.username == "zhang.wei").first())["password_hash"] is None
    assert abs(row["expires_at"] - row["created_at"] - INVITE_TTL) < timedelta(seconds=1)

    shown = await client.get(f"{INVITES}/{token}", headers=EN)
    assert shown.status_code == 200, shown.text
    assert set(shown.json()) == {"username", "display_name", "expires_at"}
    assert (shown.json()["username"], shown.json()["display_name"]) == ("zhang.wei", "张伟")
    accepted = await client.post(f"{INVITES}/{token}", json={"password": CHOSEN}, headers=EN)
    assert accepted.status_code == 204, accepted.text
    logged_in = await client.post("/api/v1/auth/login", json={"username": "zhang.wei", "password": CHOSEN})
    assert logged_in.status_code == 200
    assert logged_in.json()["user"]["password_change_required"] is False
    staff_work = await client.get(
        "/api/v1/audit", headers={"Authorization": f"Bearer {logged_in.json()['access_token']}"}
    )
    assert staff_work.json()["code"] == "forbidden"  # a coordinator: not the password's fault
    # Spent: the same answer as for any link that does not work.
    for again in (
        await client.get(f"{INVITES}/{token}", headers=EN),
        await client.post(f"{INVITES}/{token}", json={"password": "another passphrase"}, headers=EN),
    ):
        assert (again.status_code, again.json()["code"]) == (404, "invite_not_found")
    [entry] = await AuditEntry.select().where(AuditEntry.action == "accounts.invite_accepted")
    user = await User.objects().where(User.username == "zhang.wei").first()
    assert (entry["actor"], entry["actor_kind"], entry["object_id"]) == (user.id, "staff", str(user.id))
    assert entry["organisation"] == tree["community_a"].id


async def test_unknown_used_and_expired_links_look_the_same(client: Client) -> None:
    tree = await factories.city_tree()
    admin = await factories.staff(Role.admin, tree["city"])
    expired = token_of(await invited(client, admin, tree["community_a"], "old.link"))
    used = token_of(await invited(client, admin, tree["community_a"], "used.link"))
    await api.accept_invite(token=used, password=CHOSEN)
    replaced = token_of(await invited(client, admin, tree["community_a"], "new.link"))
    person = await User.objects().where(User.username == "new.link").first()
    fresh = (await staff_accounts.reset_password(user_id=person.id, invite=True, by=admin.id)).invite
    assert fresh is not None
    answers = []
    with clock.frozen(clock.now() + INVITE_TTL + timedelta(minutes=1)):
        answers.append(await client.get(f"{INVITES}/{expired}", headers=EN))
    for token in (used, replaced, "x" * 43, "no", "y" * 500, "a.b~c"):
        answers.append(await client.get(f"{INVITES}/{token}", headers=EN))
    assert {(a.status_code, a.json()["code"], a.json()["detail"]) for a in answers} == {
        (
            404,
            "invite_not_found",
            "This invitation link is not valid: it may have been used or have expired. "
            "Ask your administrator for a new one.",
        )
    }
    assert (await client.get(f"{INVITES}/{token_of({'invite': {'path': fresh.path}})}")).status_code == 200


async def test_a_disabled_account_cannot_use_its_link(client: Client) -> None:
    tree = await factories.city_tree()
    admin = await factories.staff(Role.admin, tree["city"])
    token = token_of(await invited(client, admin, tree["community_a"]))
    person = await User.objects().where(User.username == "zhang.wei").first()
    await staff.disable_account(user_id=person.id)
    assert (await client.get(f"{INVITES}/{token}")).status_code == 404
    await staff.enable_account(user_id=person.id)
    assert (await client.get(f"{INVITES}/{token}")).status_code == 200


async def test_the_password_rules_hold_and_a_refused_password_keeps_the_link(client: Client) -> None:
    tree = await factories.city_tree()
    admin = await factories.staff(Role.admin, tree["city"])
    token = token_of(await invited(client, admin, tree["community_a"]))
    short = await client.post(f"{INVITES}/{token}", json={"password": "short"}, headers=EN)
    assert (short.status_code, short.json()["code"]) == (422, "password_too_short")
    empty = await client.post(f"{INVITES}/{token}", json={"password": ""}, headers=EN)
    assert empty.status_code == 422
    assert (await client.get(f"{INVITES}/{token}")).status_code == 200
    # Two submissions at once: one sets the password, the other is told the link is spent.
    answers = await asyncio.gather(
        *(client.post(f"{INVITES}/{token}", json={"password": f"{CHOSEN} {i}"}, headers=EN) for i in range(2))
    )
    assert sorted(a.status_code for a in answers) == [204, 404]
    assert await AuditEntry.count().where(AuditEntry.action == "accounts.invite_accepted") == 1


async def test_accepting_is_limited_per_address_like_a_login(client: Client) -> None:
    from backend.settings import Settings

    limit = Settings.from_env({}).login_rate_limit
    answers = [
        (await client.post(f"{INVITES}/{'z' * 43}", json={"password": CHOSEN})).status_code for _ in range(limit + 1)
    ]
    assert answers[:limit] == [404] * limit
    assert answers[-1] == 429


async def test_invitations_that_no_longer_work_are_purged(client: Client) -> None:
    from backend.accounts import DOMAIN

    tree = await factories.city_tree()
    admin = await factories.staff(Role.admin, tree["city"])
    await invited(client, admin, tree["community_a"], "one.person")
    await invited(client, admin, tree["community_a"], "two.person")
    [chore] = DOMAIN.chores  # session_retention: sessions long over, and links that no longer work
    assert await chore.run() == 0
    with clock.frozen(clock.now() + INVITE_TTL + timedelta(seconds=1)):
        assert await chore.run() >= 2  # the two links, and the admin's session among others
        assert await invites.purge_expired() == 0
    assert await StaffInvite.count() == 0
