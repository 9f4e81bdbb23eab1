"""Staff accounts administered over HTTP: listed and read within one's scope, created with a first
role and a temporary password (to be replaced before any staff work) or an invitation link, roles
granted and taken away (never the city's last administrator), disabled, enabled and reset."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest

from backend.accounts import staff
from backend.accounts.queries import load_principal
from backend.accounts.tables import Membership, Role, Session, StaffInvite, User
from backend.core.tables import AuditEntry
from tests import factories

Client = httpx.AsyncClient
EN = {"Accept-Language": "en"}
STAFF = "/api/v1/staff"
TEMPORARY = "told by phone 1"


def as_(user: Any) -> dict[str, str]:
    return {**factories.token_for(user), **EN}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **EN}


async def login(client: Client, username: str, password: str) -> httpx.Response:
    return await client.post("/api/v1/auth/login", json={"username": username, "password": password})


async def new_entries(since: int) -> list[dict[str, Any]]:
    rows = await AuditEntry.select().order_by(AuditEntry.at).output(load_json=True)
    return rows[since:]


def body(organisation: Any, **extra: Any) -> dict[str, Any]:
    return {
        "username": "li.xiaomei",
        "display_name": " 李小梅 ",
        "role": "organiser",
        "organisation_id": str(organisation.id),
        "password": TEMPORARY,
        **extra,
    }


# --- creating ---------------------------------------------------------------------------------------


async def test_a_new_account_must_choose_its_own_password_before_staff_work(client: Client) -> None:
    tree = await factories.city_tree()
    admin = await factories.staff(Role.admin, tree["community_a"])
    before = await AuditEntry.count()
    made = await client.post(STAFF, json=body(tree["community_a"]), headers=as_(admin))
    assert made.status_code == 201, made.text
    account = made.json()
    assert account["invite"] is None
    assert account["staff"]["display_name"] == "李小梅"
    assert account["staff"]["password_change_required"] is True
    assert [(r["role"], r["organisation_id"]) for r in account["staff"]["roles"]] == [
        ("organiser", str(tree["community_a"].id))
    ]
    # One entry for the account and its first role, filed where the role is, never the password.
    [entry] = await new_entries(before)
    assert (entry["action"], entry["organisation"], entry["actor"]) == (
        "accounts.staff_created",
        tree["community_a"].id,
        admin.id,
    )
    assert entry["changes"]["role"] == [None, "organiser"] and TEMPORARY not in str(entry)

    logged_in = await login(client, "li.xiaomei", TEMPORARY)
    assert logged_in.status_code == 200
    assert logged_in.json()["user"]["password_change_required"] is True
    token = logged_in.json()["access_token"]
    me = await client.get("/api/v1/me", headers=bearer(token))
    assert me.status_code == 200 and me.json()["password_change_required"] is True
    for refused in (
        await client.get("/api/v1/audit", headers=bearer(token)),
        await client.get(STAFF, headers=bearer(token)),
    ):
        assert (refused.status_code, refused.json()["code"]) == (403, "password_change_required")
        assert refused.json()["detail"] == "Choose a new password first."
    changed = await client.put(
        "/api/v1/me/password",
        json={"current_password": TEMPORARY, "new_password": "my own passphrase"},
        headers=bearer(token),
    )
    assert changed.status_code == 204, changed.text
    assert (await client.get("/api/v1/me", headers=bearer(token))).json()["password_change_required"] is False
    assert (await client.get("/api/v1/audit", headers=bearer(token))).status_code == 403  # an organiser: forbidden
    assert (await client.get("/api/v1/audit", headers=bearer(token))).json()["code"] == "forbidden"
    assert (await client.post("/api/v1/auth/logout", headers=bearer(token))).status_code == 204


async def test_the_principal_says_so_for_staff_only(client: Client) -> None:
    tree = await factories.city_tree()
    admin = await factories.staff(Role.admin, tree["city"])
    await client.post(STAFF, json=body(tree["community_a"]), headers=as_(admin))
    user = await User.objects().where(User.username == "li.xiaomei").first()
    token = (await login(client, "li.xiaomei", TEMPORARY)).json()["access_token"]
    [session] = await Session.select(Session.id).where(Session.user == user.id)
    principal = await load_principal(user.id, session["id"])
    assert principal is not None and principal.must_change_password
    # The operator's own admin (linli create-admin) and the tests' staff choose their passwords.
    chief = await staff.create_city_admin(username="chief", password="operator chose it")
    assert not (await User.objects().where(User.id == chief.id).first()).password_change_required
    assert not admin.password_change_required
    assert (await client.post("/api/v1/auth/logout-everywhere", headers=bearer(token))).status_code == 204


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"username": "Li.Xiaomei"}, 422, "username_invalid"),
        ({"username": "li"}, 422, "username_invalid"),
        ({"username": "l" * 33}, 422, "username_invalid"),
        ({"username": "li xiaomei"}, 422, "username_invalid"),
        ({"username": "李小梅"}, 422, "username_invalid"),
        ({"display_name": "   "}, 422, "invalid_display_name"),
        ({"password": "short"}, 422, "password_too_short"),
        ({"invite": True}, 422, "password_or_invite"),  # both
        ({"password": None}, 422, "password_or_invite"),  # neither
        ({"role": None}, 422, "first_role_required"),  # an organisation without a role
        ({"role": "mayor"}, 422, "validation_failed"),
        ({"organisation_id": str(uuid.uuid4())}, 404, "organisation_not_found"),
        ({"is_staff": False}, 422, "validation_failed"),
    ],
)
async def test_bad_accounts_are_refused_and_change_nothing(
    client: Client, change: dict[str, Any], status: int, code: str
) -> None:
    tree = await factories.city_tree()
    admin = await factories.staff(Role.admin, tree["community_a"])
    users, entries = await User.count(), await AuditEntry.count()
    response = await client.post(STAFF, json=body(tree["community_a"], **change), headers=as_(admin))
    assert (response.status_code, response.json()["code"]) == (status, code), response.text
    assert (await User.count(), await AuditEntry.count()) == (users, entries)


async def test_usernames_are_unique_whatever_their_case(client: Client) -> None:
    tree = await factories.city_tree()
    admin = await factories.staff(Role.admin, tree["city"])
    await staff.create_staff(username="Chief.Li", password="an older account")  # before the rule
    taken = await client.post(STAFF, json=body(tree["city"], username="chief.li"), headers=as_(admin))
    assert (taken.status_code, taken.json()["code"]) == (409, "username_taken")
    # Two administrators making the same name at once: one account.
    answers = await asyncio.gather(
        *(client.post(STAFF, json=body(tree["city"], username="wang.dm"), headers=as_(admin)) for _ in range(3))
    )
    assert sorted(a.status_code for a in answers) == [201, 409, 409]
    assert await User.count().where(User.username == "wang.dm") == 1


async def test_only_a_city_administrator_makes_an_account_without_roles(client: Client) -> None:
    tree = await factories.city_tree()
    city_admin = await factories.staff(Role.admin, tree["city"])
    community_admin = await factories.staff(Role.admin, tree["community_a"])
    organiser = await factories.staff(Role.organiser, tree["community_a"])
    bare = body(tree["city"], role=None, organisation_id=None)
    refused = await client.post(STAFF, json=bare, headers=as_(community_admin))
    assert (refused.status_code, refused.json()["code"]) == (422, "first_role_required")
    nobody = await client.post(STAFF, json=body(tree["community_a"]), headers=as_(organiser))
    assert (nobody.status_code, nobody.json()["code"]) == (403, "forbidden")
    beside = await client.post(STAFF, json=body(tree["community_b"]), headers=as_(community_admin))
    assert (beside.status_code, beside.json()["code"]) == (403, "forbidden")
    made = await client.post(STAFF, json=bare, headers=as_(city_admin))
    assert made.status_code == 201 and made.json()["staff"]["roles"] == []
    user_id = made.json()["staff"]["id"]
    # An account without roles is seen at city level only.
    assert (await client.get(f"{STAFF}/{user_id}", headers=as_(city_admin))).status_code == 200
    hidden = await client.get(f"{STAFF}/{user_id}", headers=as_(community_admin))
    assert (hidden.status_code, hidden.json()["code"]) == (404, "user_not_found")


async def test_a_retired_organisation_takes_no_new_staff(client: Client) -> None:
    from backend.accounts import organisations

    tree = await factories.city_tree()
    admin = await factories.staff(Role.admin, tree["city"])
    await organisations.retire_organisation(organisation_id=tree["library_a"].id)
    response = await client.post(STAFF, json=body(tree["library_a"], role="library_staff"), headers=as_(admin))
    assert (response.status_code, response.json()["code"]) == (409, "organisation_retired")


# --- reading ------------------------------------------------------------------------------------------


async def test_administrators_list_the_staff_within_their_scope(client: Client) -> None:
    tree = await factories.city_tree()
    city_admin = await factories.staff(Role.admin, tree["city"])
    admin_a = await factories.staff(Role.admin, tree["community_a"])
    organiser_a = await factories.staff(Role.organiser, tree["community_a"])
    await staff.grant_role(user_id=organiser_a.id, organisation_id=tree["community_b"].id, role=Role.coordinator)
    librarian = await factories.staff(Role.library_staff, tree["library_a"])
    coordinator_b = await factories.staff(Role.coordinator, tree["community_b"])
    bare = await factories.staff()
    await factories.resident("不是员工")
    await staff.disable_account(user_id=coordinator_b.id)

    async def listed(who: Any, **params: Any) -> dict[str, dict[str, Any]]:
        response = await client.get(STAFF, params=params, headers=as_(who))
        assert response.status_code == 200, response.text
        return {item["id"]: item for item in response.json()["items"]}

    mine = await listed(admin_a)
    assert set(mine) == {str(admin_a.id), str(organiser_a.id)}
    # Only the roles within what the reader administers, and how many elsewhere.
    assert [r["role"] for r in mine[str(organiser_a.id)]["roles"]] == ["organiser"]
    assert mine[str(organiser_a.id)]["roles_elsewhere"] == 1
    everyone = await listed(city_admin)
    assert set(everyone) == {str(u.id) for u in (city_admin, admin_a, organiser_a, librarian, coordinator_b, bare)}
    assert everyone[str(organiser_a.id)]["roles_elsewhere"] == 0
    assert set(await listed(city_admin, role="coordinator")) == {str(organiser_a.id), str(coordinator_b.id)}
    assert set(await listed(city_admin, organisation_id=str(tree["street_a"].id))) == {
        str(admin_a.id),
        str(organiser_a.id),
        str(librarian.id),
    }
    assert set(await listed(city_admin, disabled="true")) == {str(coordinator_b.id)}
    assert everyone[str(coordinator_b.id)]["disabled"] is True
    assert set(await listed(city_admin, q=librarian.username.upper()[-4:])) == {str(librarian.id)}
    assert set(await listed(city_admin, q="%")) == set()  # a wildcard is a plain character
    page = (await client.get(STAFF, params={"limit": 2}, headers=as_(city_admin))).json()
    assert len(page["items"]) == 2 and page["has_more"] is True
    names = [item["username"] for item in page["items"]]
    assert names == sorted(names)
    for refused_caller, code in ((librarian, "forbidden"), (await factories.resident(), "staff_only")):
        refused = await client.get(STAFF, headers=as_(refused_caller))
        assert (refused.status_code, refused.json()["code"]) == (403, code)


async def test_one_account_is_not_found_outside_ones_scope(client: Client) -> None:
    tree = await factories.city_tree()
    admin_a = await factories.staff(Role.admin, tree["community_a"])
    organiser_b = await factories.staff(Role.organiser, tree["community_b"])
    resident = await factories.resident()
    for user_id in (organiser_b.id, resident.id, uuid.uuid4()):
        response = await client.get(f"{STAFF}/{user_id}", headers=as_(admin_a))
        assert (response.status_code, response.json()["code"]) == (404, "user_not_found")
    mine = await client.get(f"{STAFF}/{admin_a.id}", headers=as_(admin_a))
    assert mine.status_code == 200 and mine.json()["last_login_at"] is None


# --- roles ---------------------------------------------------------------------------------------------


async def test_roles_granted_and_taken_away(client: Client) -> None:
    tree = await factories.city_tree()
    admin = await factories.staff(Role.admin, tree["community_a"])
    person = await factories.staff(Role.organiser, tree["community_a"])
    resident = await factories.resident()
    roles = f"{STAFF}/{person.id}/roles"
    granted = await client.post(
        roles, json={"organisation_id": str(tree["community_a"].id), "role": "coordinator"}, headers=as_(admin)
    )
    assert granted.status_code == 200, granted.text
    assert sorted(r["role"] for r in granted.json()["roles"]) == ["coordinator", "organiser"]
    beside = await client.post(
        roles, json={"organisation_id": str(tree["community_b"].id), "role": "coordinator"}, headers=as_(admin)
    )
    assert (beside.status_code, beside.json()["code"]) == (403, "forbidden")
    not_staff = await client.post(
        f"{STAFF}/{resident.id}/roles",
        json={"organisation_id": str(tree["community_a"].id), "role": "organiser"},
        headers=as_(admin),
    )
    assert (not_staff.status_code, not_staff.json()["code"]) == (404, "user_not_found")
    assert not await Membership.exists().where(Membership.user == resident.id)
    token = factories.token_for(person)
    revoked = await client.delete(f"{roles}/{tree['community_a'].id}/coordinator", headers=as_(admin))
    assert revoked.status_code == 204, revoked.text
    assert (await client.get("/api/v1/me", headers=token)).json()["code"] == "session_revoked"
    again = await client.delete(f"{roles}/{tree['community_a'].id}/coordinator", headers=as_(admin))
    assert again.status_code == 204  # not held: nothing changes
    unknown = await client.delete(f"{roles}/{tree['community_a'].id}/mayor", headers=as_(admin))
    assert unknown.status_code in (400, 422) and unknown.json()["code"] in ("validation_failed", "bad_request")
    actions = [row["action"] for row in await AuditEntry.select(AuditEntry.action).where(AuditEntry.actor == admin.id)]
    assert actions == ["accounts.role_granted", "accounts.role_revoked"]


async def test_the_city_keeps_an_administrator_who_can_log_in(client: Client) -> None:
    tree = await factories.city_tree()
    first = await factories.staff(Role.admin, tree["city"])
    second = await factories.staff(Role.admin, tree["city"])
    await staff.disable_account(user_id=second.id)  # cannot log in: does not count
    url = f"{STAFF}/{first.id}/roles/{tree['city'].id}/admin"
    count = await AuditEntry.count()
    last = await client.delete(url, headers=as_(first))
    assert (last.status_code, last.json()["code"]) == (409, "last_city_admin")
    assert await Membership.exists().where(Membership.user == first.id)
    assert await AuditEntry.count() == count
    await staff.enable_account(user_id=second.id)
    assert (await client.delete(url, headers=as_(first))).status_code == 204
    # A street's last administrator is no such thing: the city's administrators are above it.
    street_admin = await factories.staff(Role.admin, tree["street_a"])
    await staff.revoke_role(user_id=street_admin.id, organisation_id=tree["street_a"].id, role=Role.admin)


# --- disabling, enabling, resetting ---------------------------------------------------------------------


async def test_disable_enable_and_reset_a_password(client: Client) -> None:
    tree = await factories.city_tree()
    admin = await factories.staff(Role.admin, tree["street_a"])
    person = await factories.staff(Role.organiser, tree["community_a"])
    token = factories.token_for(person)
    disabled = await client.post(f"{STAFF}/{person.id}/disable", headers=as_(admin))
    assert disabled.status_code == 200 and disabled.json()["disabled"] is True
    assert (await client.get("/api/v1/me", headers=token)).status_code == 401
    enabled = await client.post(f"{STAFF}/{person.id}/enable", headers=as_(admin))
    assert enabled.status_code == 200 and enabled.json()["disabled"] is False
    await factories.signed_in(person)
    before = await AuditEntry.count()
    reset = await client.post(f"{STAFF}/{person.id}/reset-password", json={"password": TEMPORARY}, headers=as_(admin))
    assert reset.status_code == 200, reset.text
    assert reset.json()["invite"] is None and reset.json()["staff"]["password_change_required"] is True
    assert (await client.get("/api/v1/me", headers=factories.token_for(person))).json()["code"] == "session_revoked"
    assert (await login(client, person.username, "a long password")).status_code == 401  # the old one
    assert (await login(client, person.username, TEMPORARY)).status_code == 200
    [entry] = [row for row in await new_entries(before) if row["actor"] == admin.id]
    assert entry["action"] == "accounts.password_set" and TEMPORARY not in str(entry)
    assert entry["changes"]["password_change_required"] == [None, True]
    invited = await client.post(f"{STAFF}/{person.id}/reset-password", json={"invite": True}, headers=as_(admin))
    assert invited.status_code == 200
    assert invited.json()["invite"]["path"].startswith("/console/invite/")
    assert invited.json()["staff"]["invited_until"] == invited.json()["invite"]["expires_at"]
    assert invited.json()["staff"]["password_change_required"] is False
    assert (await login(client, person.username, TEMPORARY)).status_code == 401  # no password until chosen
    assert [row["action"] for row in await new_entries(before) if row["actor"] == admin.id] == [
        "accounts.password_set",
        "accounts.invite_issued",
    ]
    # A temporary password replaces the link.
    await client.post(f"{STAFF}/{person.id}/reset-password", json={"password": TEMPORARY}, headers=as_(admin))
    assert not await StaffInvite.exists().where(StaffInvite.user == person.id)


async def test_acting_on_an_account_needs_all_of_its_organisations(client: Client) -> None:
    tree = await factories.city_tree()
    admin_a = await factories.staff(Role.admin, tree["community_a"])
    person = await factories.staff(Role.organiser, tree["community_a"])
    await staff.grant_role(user_id=person.id, organisation_id=tree["community_b"].id, role=Role.organiser)
    count = await AuditEntry.count()
    for path, json in (("disable", None), ("reset-password", {"invite": True})):
        response = await client.post(f"{STAFF}/{person.id}/{path}", json=json, headers=as_(admin_a))
        assert (response.status_code, response.json()["code"]) == (403, "forbidden")
    assert await AuditEntry.count() == count
    assert (await client.get(f"{STAFF}/{person.id}", headers=as_(admin_a))).json()["roles_elsewhere"] == 1


async def test_the_document_shows_the_new_operations_with_examples_and_refusals(client: Client) -> None:
    document = (await client.get("/schema/openapi.json")).json()
    paths, schemas = document["paths"], document["components"]["schemas"]
    expected = {
        ("/api/v1/organisations", "get"): "list_organisations",
        ("/api/v1/organisations", "post"): "create_organisation",
        ("/api/v1/organisations/{organisation_id}", "get"): "get_organisation",
        ("/api/v1/organisations/{organisation_id}", "patch"): "rename_organisation",
        ("/api/v1/organisations/{organisation_id}/move", "post"): "move_organisation",
        ("/api/v1/organisations/{organisation_id}/retire", "post"): "retire_organisation",
        ("/api/v1/organisations/{organisation_id}/restore", "post"): "restore_organisation",
        ("/api/v1/staff", "get"): "list_staff",
        ("/api/v1/staff", "post"): "create_staff",
        ("/api/v1/staff/{user_id}", "get"): "get_staff",
        ("/api/v1/staff/{user_id}/roles", "post"): "grant_staff_role",
        ("/api/v1/staff/{user_id}/roles/{organisation_id}/{role}", "delete"): "revoke_staff_role",
        ("/api/v1/staff/{user_id}/disable", "post"): "disable_staff",
        ("/api/v1/staff/{user_id}/enable", "post"): "enable_staff",
        ("/api/v1/staff/{user_id}/reset-password", "post"): "reset_staff_password",
        ("/api/v1/auth/invites/{token}", "get"): "get_invite",
        ("/api/v1/auth/invites/{token}", "post"): "accept_invite",
    }
    for (path, method), operation_id in expected.items():
        operation = paths[path][method]
        assert operation["operationId"] == operation_id
        if not path.startswith("/api/v1/auth/"):
            assert operation["security"] == [{"bearer": []}]
            forbidden = operation["responses"]["403"]["content"]["application/problem+json"]["examples"]
            assert {"staff_only", "password_change_required"} <= {e["summary"] for e in forbidden.values()}
    moved = paths["/api/v1/organisations/{organisation_id}/move"]["post"]["responses"]["409"]
    examples = moved["content"]["application/problem+json"]["examples"].values()
    codes = {example["value"]["code"] for example in examples}
    assert codes == {"organisation_is_root", "organisation_move_into_itself", "organisation_retired"}
    assert "429" in paths["/api/v1/auth/invites/{token}"]["post"]["responses"]
    for name in ("StaffCreate", "PasswordReset", "RoleGrant", "OrganisationCreate", "OrganisationRename", "StaffRead"):
        assert any("examples" in field for field in schemas[name]["properties"].values()), name
    assert "password_change_required" in schemas["MeRead"]["properties"]


async def test_a_residents_account_is_none_of_the_staff_administrations_business(client: Client) -> None:
    tree = await factories.city_tree()
    city_admin = await factories.staff(Role.admin, tree["city"])
    resident = await factories.resident()
    count = await AuditEntry.count()
    for path, json in (("disable", None), ("enable", None), ("reset-password", {"password": TEMPORARY})):
        response = await client.post(f"{STAFF}/{resident.id}/{path}", json=json, headers=as_(city_admin))
        assert (response.status_code, response.json()["code"]) == (404, "user_not_found"), path
    assert await AuditEntry.count() == count
    assert (await client.get("/api/v1/me", headers=factories.token_for(resident))).status_code == 200
