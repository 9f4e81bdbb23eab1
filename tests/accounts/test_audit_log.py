"""The audit trail, accounts' part: exactly one entry for each change staff or the system make to
accounts (and for a resident's account deletion and data export), none for a refused one, never a
password; and the log read by administrators within their scope, with filters, a keyset cursor
and an Excel CSV whose reading is itself audited."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from backend.accounts import services, staff
from backend.accounts.tables import Organisation, OrganisationKind, Role, User
from backend.core.db import transaction
from backend.core.errors import DomainError
from backend.core.tables import AuditEntry
from tests import factories

Client = httpx.AsyncClient
PASSWORD = "correct horse 1"


async def entries() -> list[dict[str, Any]]:
    return await AuditEntry.select().order_by(AuditEntry.at).output(load_json=True)


async def added_by(work: Callable[[], Awaitable[Any]]) -> list[dict[str, Any]]:
    """The entries that ``work`` wrote."""
    before = {row["id"] for row in await entries()}
    await work()
    return [row for row in await entries() if row["id"] not in before]


def actions(rows: list[dict[str, Any]]) -> list[str]:
    return [row["action"] for row in rows]


async def read(client: Client, user: User, **params: Any) -> httpx.Response:
    return await client.get("/api/v1/audit", params=params, headers=factories.token_for(user))


# --- writing: exactly one entry per audited action -------------------------------------------------


async def test_each_change_by_the_system_is_one_entry(client: Client) -> None:
    tree = await factories.city_tree()
    street = tree["street_a"]

    async def new_community() -> None:
        await services.create_organisation(
            kind=OrganisationKind.community, name={"zh-Hans": "新社区"}, parent_id=street.id
        )

    [made] = await added_by(new_community)
    assert (made["action"], made["object_type"], made["actor_kind"]) == (
        "accounts.organisation_created",
        "organisation",
        "system",
    )
    assert made["organisation"] == uuid.UUID(made["object_id"])  # filed under itself, so in street A's subtree

    holder: dict[str, User] = {}

    async def new_staff() -> None:
        holder["user"] = await staff.create_staff(username="staff-audited", password=PASSWORD)

    assert actions(await added_by(new_staff)) == ["accounts.staff_created"]
    user = holder["user"]
    grant = lambda: staff.grant_role(user_id=user.id, organisation_id=street.id, role=Role.organiser)  # noqa: E731
    [granted] = await added_by(grant)
    assert (granted["action"], granted["organisation"], granted["changes"]) == (
        "accounts.role_granted",
        street.id,
        {"role": [None, "organiser"]},
    )
    assert await added_by(grant) == []  # granted twice: nothing changed, nothing recorded
    steps: list[tuple[Callable[[], Awaitable[Any]], list[str]]] = [
        (lambda: staff.set_password(user_id=user.id, password="another long password"), ["accounts.password_set"]),
        (lambda: staff.disable_account(user_id=user.id), ["accounts.account_disabled"]),
        (lambda: staff.disable_account(user_id=user.id), []),  # disabled already
        (lambda: staff.enable_account(user_id=user.id), ["accounts.account_enabled"]),
        (lambda: staff.enable_account(user_id=user.id), []),
        (lambda: staff.end_all_sessions(user_id=user.id), ["accounts.sessions_revoked"]),
        (
            lambda: staff.revoke_role(user_id=user.id, organisation_id=street.id, role=Role.organiser),
            ["accounts.role_revoked"],
        ),
        (lambda: staff.revoke_role(user_id=user.id, organisation_id=street.id, role=Role.organiser), []),
    ]
    for work, expected in steps:
        written = await added_by(work)
        assert actions(written) == expected
        if expected and expected != ["accounts.role_revoked"]:
            assert written[0]["organisation"] == street.id  # filed where the account holds its role
    [revoked] = [row for row in await entries() if row["action"] == "accounts.role_revoked"]
    assert (revoked["organisation"], revoked["changes"]["role"]) == (street.id, ["organiser", None])
    everything = str(await entries())
    assert PASSWORD not in everything and "another long password" not in everything and "$argon2" not in everything


async def test_staff_actions_over_http_are_one_entry_each_and_residents_none(client: Client) -> None:
    tree = await factories.city_tree()
    user = await factories.staff(Role.organiser, tree["community_a"])
    await staff.set_password(user_id=user.id, password=PASSWORD)
    login = {"username": user.username, "password": PASSWORD}
    holder: dict[str, dict[str, str]] = {}

    async def log_in() -> None:
        token = (await client.post("/api/v1/auth/login", json=login)).json()["access_token"]
        holder["headers"] = {"Authorization": f"Bearer {token}"}

    [entry] = await added_by(log_in)
    assert (entry["action"], entry["actor"], entry["actor_kind"], entry["address"]) == (
        "accounts.logged_in",
        user.id,
        "staff",
        "203.0.113.7",
    )
    assert entry["request_id"]
    assert entry["organisation"] == tree["community_a"].id  # their administrators read it
    headers = holder["headers"]

    async def change_profile() -> None:
        await client.patch("/api/v1/me", json={"phone": "13812345678", "locale": "en"}, headers=headers)

    [changed] = await added_by(change_profile)
    assert changed["action"] == "accounts.profile_changed"
    assert changed["changes"] == {"locale": [None, "en"], "phone": [None, "138****5678"]}  # masked, as staff see it

    body = {"current_password": PASSWORD, "new_password": "a brand new passphrase"}
    change = lambda: client.put("/api/v1/me/password", json=body, headers=headers)  # noqa: E731
    assert actions(await added_by(change)) == ["accounts.password_changed"]
    assert actions(await added_by(lambda: client.post("/api/v1/auth/logout", headers=headers))) == [
        "accounts.logged_out"
    ]
    login["password"] = "a brand new passphrase"
    await log_in()
    everywhere = lambda: client.post("/api/v1/auth/logout-everywhere", headers=holder["headers"])  # noqa: E731
    [out] = await added_by(everywhere)
    assert (out["action"], out["changes"]) == ("accounts.logged_out_everywhere", {"sessions_ended": [None, 1]})

    # A resident's own actions are not audited...
    resident = await factories.resident()
    mine = factories.token_for(resident)
    assert await added_by(lambda: client.patch("/api/v1/me", json={"locale": "ja"}, headers=mine)) == []
    assert await added_by(lambda: client.get("/api/v1/me/sessions", headers=mine)) == []
    # ...but their data export and their account's deletion are.
    [exported] = await added_by(lambda: client.get("/api/v1/me/export", headers=mine))
    assert (exported["action"], exported["actor"], exported["organisation"]) == (
        "accounts.data_exported",
        resident.id,
        None,
    )
    deleted = await added_by(lambda: client.delete("/api/v1/me", headers=mine))
    assert [row["action"] for row in deleted if row["action"].startswith("accounts.")] == ["accounts.account_deleted"]


async def test_refused_changes_write_nothing(client: Client) -> None:
    tree = await factories.city_tree()
    city_admin = await factories.staff(Role.admin, tree["city"])
    community_admin = await factories.staff(Role.admin, tree["community_a"])
    organiser = await factories.staff(Role.organiser, tree["community_a"])
    other = await factories.staff(Role.organiser, tree["community_b"])
    refused: list[Callable[[], Awaitable[Any]]] = [
        lambda: staff.disable_account(user_id=city_admin.id, by=community_admin.id),  # above them
        lambda: staff.disable_account(user_id=other.id, by=community_admin.id),  # beside them
        lambda: staff.set_password(user_id=organiser.id, password="long enough pass", by=organiser.id),
        lambda: staff.revoke_role(
            user_id=other.id, organisation_id=tree["community_b"].id, role=Role.organiser, by=community_admin.id
        ),
        lambda: staff.grant_role(
            user_id=organiser.id, organisation_id=tree["community_b"].id, role=Role.admin, by=community_admin.id
        ),
        lambda: services.create_organisation(
            kind=OrganisationKind.community, name={"zh-Hans": "x"}, parent_id=tree["street_b"].id, by=community_admin.id
        ),
        lambda: services.create_organisation(
            kind=OrganisationKind.city, name={"zh-Hans": "x"}, parent_id=None, by=city_admin.id
        ),
    ]
    for work in refused:
        before = await AuditEntry.count()
        with pytest.raises(DomainError) as raised:
            await work()
        assert raised.value.status == 403
        assert await AuditEntry.count() == before
    wrong = {"current_password": "not it", "new_password": "a brand new passphrase"}
    assert (
        await added_by(lambda: client.put("/api/v1/me/password", json=wrong, headers=factories.token_for(organiser)))
        == []
    )


async def test_an_administrator_acts_only_within_their_scope(client: Client) -> None:
    tree = await factories.city_tree()
    city_admin = await factories.staff(Role.admin, tree["city"])
    community_admin = await factories.staff(Role.admin, tree["community_a"])
    organiser = await factories.staff(Role.organiser, tree["community_a"])
    roleless = await factories.staff()
    [entry] = await added_by(lambda: staff.disable_account(user_id=organiser.id, by=community_admin.id))
    assert (entry["permission"], entry["organisation"]) == ("manage_organisations", tree["community_a"].id)
    with pytest.raises(DomainError):
        await staff.disable_account(user_id=roleless.id, by=community_admin.id)  # only city administrators
    await staff.disable_account(user_id=roleless.id, by=city_admin.id)
    made = await services.create_organisation(
        kind=OrganisationKind.library,
        name={"zh-Hans": "南园书屋"},
        parent_id=tree["community_a"].id,
        by=community_admin.id,
    )
    assert made.path.startswith(tree["community_a"].path)


# --- reading: scope ------------------------------------------------------------------------------------


async def test_administrators_read_their_subtree_and_city_ones_also_the_unfiled(client: Client) -> None:
    tree = await factories.city_tree()
    city_admin = await factories.staff(Role.admin, tree["city"])
    street_admin = await factories.staff(Role.admin, tree["street_a"])
    community_admin = await factories.staff(Role.admin, tree["community_b"])
    organiser = await factories.staff(Role.organiser, tree["community_b"])
    resident = await factories.resident()
    await client.get("/api/v1/me/export", headers=factories.token_for(resident))  # filed under no organisation

    def filed(response: httpx.Response) -> set[Any]:
        assert response.status_code == 200, response.text
        return {item["organisation_id"] for item in response.json()["items"]}

    everything = await read(client, city_admin, limit=500)
    assert None in filed(everything)
    assert {str(tree[key].id) for key in tree} <= filed(everything)
    street_a = {str(tree[key].id) for key in ("street_a", "community_a", "library_a")}
    assert filed(await read(client, street_admin, limit=500)) == street_a
    assert filed(await read(client, community_admin, limit=500)) == {str(tree["community_b"].id)}
    # Reading the audit log is staff work (requires_staff): a resident is refused as such.
    for caller, code in ((organiser, "forbidden"), (resident, "staff_only")):
        refused = await read(client, caller)
        assert (refused.status_code, refused.json()["code"]) == (403, code)
    assert (await client.get("/api/v1/audit")).status_code == 401


# --- reading: filters, pages, CSV ----------------------------------------------------------------------


async def some_entries(organisation: Organisation, start: datetime, count: int, *, same_time: bool = False) -> None:
    async with transaction(AuditEntry._meta.db):
        for i in range(count):
            await AuditEntry.insert(
                AuditEntry(
                    at=start if same_time else start + timedelta(minutes=i),
                    actor=None,
                    actor_kind="system",
                    organisation=organisation.id,
                    action="test.something_done",
                    object_type="thing",
                    object_id=f"thing-{i}",
                    changes={"n": [None, i]},
                )
            )


async def test_filters(client: Client) -> None:
    tree = await factories.city_tree()
    admin = await factories.staff(Role.admin, tree["city"])
    organiser = await factories.staff(Role.organiser, tree["community_a"])
    start = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    await some_entries(tree["community_b"], start, 5)
    await client.patch("/api/v1/me", json={"locale": "en"}, headers=factories.token_for(organiser))

    async def items(**params: Any) -> list[dict[str, Any]]:
        response = await read(client, admin, limit=500, **params)
        assert response.status_code == 200, response.text
        return list(response.json()["items"])

    assert {item["action"] for item in await items(action="test.something_done")} == {"test.something_done"}
    assert [item["action"] for item in await items(actor=str(organiser.id))] == ["accounts.profile_changed"]
    assert {item["object_type"] for item in await items(object_type="organisation")} == {"organisation"}
    [one] = await items(object_id="thing-3")
    assert one["changes"] == {"n": [None, 3]}
    below_street_a = {item["organisation_id"] for item in await items(organisation_id=str(tree["street_a"].id))}
    assert below_street_a == {str(tree[key].id) for key in ("street_a", "community_a", "library_a")}
    window = await items(
        **{"from": (start + timedelta(minutes=1)).isoformat(), "to": (start + timedelta(minutes=3)).isoformat()}
    )
    assert [item["object_id"] for item in window] == ["thing-2", "thing-1"]  # newest first, "to" excluded
    assert await items(organisation_id=str(uuid.uuid4())) == []


async def test_pages_follow_a_keyset_cursor_newest_first(client: Client) -> None:
    tree = await factories.city_tree()
    admin = await factories.staff(Role.admin, tree["city"])
    start = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    await some_entries(tree["community_a"], start, 5)
    await some_entries(tree["community_b"], start + timedelta(hours=1), 3, same_time=True)  # ties on the time
    seen, cursor = [], None
    while True:
        params: dict[str, Any] = {"action": "test.something_done", "limit": 2}
        if cursor:
            params["cursor"] = cursor
        body = (await read(client, admin, **params)).json()
        seen += [(item["at"], item["id"]) for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 8 == len(set(seen))
    assert seen == sorted(seen, reverse=True)
    broken = await read(client, admin, cursor="not-a-cursor")
    assert (broken.status_code, broken.json()["code"]) == (400, "cursor_invalid")


async def test_the_csv_holds_the_same_rows_for_excel_and_its_reading_is_audited(client: Client) -> None:
    tree = await factories.city_tree()
    admin = await factories.staff(Role.admin, tree["community_a"])
    start = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    await some_entries(tree["community_a"], start, 3)
    params = {"action": "test.something_done", "limit": 2}
    as_json = (await read(client, admin, **params)).json()["items"]
    before = await AuditEntry.count()
    response = await client.get(
        "/api/v1/audit",
        params={**params, "format": "csv"},
        headers={**factories.token_for(admin), "Accept-Language": "en"},
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Time (Beijing time)", "Account", "Acting as"]
    assert [row[7] for row in rows[1:]] == [item["object_id"] for item in as_json] == ["thing-2", "thing-1"]
    assert rows[1][0] == "2026-12-01 10:02:00"  # UTC+8
    assert rows[1][2] == "System"
    [exported] = [row for row in await entries() if row["action"] == "accounts.audit_exported"]
    assert await AuditEntry.count() == before + 1
    assert (exported["actor"], exported["organisation"], exported["permission"]) == (
        admin.id,
        tree["community_a"].id,
        "read_audit",
    )
    assert exported["changes"]["rows"] == [None, 2]
    chinese = await client.get("/api/v1/audit", params={"format": "csv"}, headers=factories.token_for(admin))
    assert chinese.content.decode("utf-8-sig").startswith("时间（北京时间）")
    # Reading the JSON is not audited.
    before = await AuditEntry.count()
    await read(client, admin)
    assert await AuditEntry.count() == before
