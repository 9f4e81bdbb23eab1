"""The administrators' staff room, the invitation page and the audit log over HTTP (both
databases): accounts made with a temporary password or a link shown once, roles given and taken
away, accounts disabled, the invitee choosing a password and landing in the console, and the log
with its audited CSV; each read back through the API."""

from __future__ import annotations

import re

import httpx

from backend.accounts.tables import Role, User
from backend.core.tables import AuditEntry
from tests import factories
from tests.web.console import csrf_of, send, sign_in


def shown(html: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}"[^>]*value="([^"]+)"', html)
    assert found, html
    return found.group(1)


async def test_an_admin_makes_an_organiser_with_a_temporary_password(client: httpx.AsyncClient) -> None:
    tree = await factories.city_tree()
    admin = await factories.staff(Role.admin, tree["street_a"])
    csrf = await sign_in(client, admin)

    form = await client.get("/console/staff/new")
    assert form.status_code == 200 and "南园社区" in form.text and "莲花社区" not in form.text

    made = await send(
        client,
        "/console/staff",
        csrf,
        username="zhou.laoshi",
        display_name="周老师",
        organisation_id=str(tree["community_a"].id),
        role="organiser",
        way="password",
    )
    assert made.status_code == 200 and "临时密码" in made.text
    password = shown(made.text, "way-in-password")

    headers = factories.token_for(admin)
    listed = (await client.get("/api/v1/staff?q=zhou", headers=headers)).json()["items"]
    assert [(m["username"], m["password_change_required"]) for m in listed] == [("zhou.laoshi", True)]
    assert listed[0]["roles"][0]["role"] == "organiser"

    page = await client.get("/console/staff?q=zhou")
    assert "周老师" in page.text and "临时密码" in page.text
    by_role = await client.get("/console/staff?role=library_staff")
    assert "周老师" not in by_role.text

    # The organiser logs in with it and is sent to choose their own.
    async with httpx.AsyncClient(transport=client._transport, base_url=client.base_url) as other:
        login = await other.get("/console/login")
        answer = await other.post(
            "/console/login",
            data={"username": "zhou.laoshi", "password": password, "_csrf": csrf_of(login.text), "next": "/console"},
        )
        assert answer.status_code == 303
        assert (await other.get("/console")).headers["location"] == "/console/password"


async def test_refusals_of_the_staff_forms(client: httpx.AsyncClient) -> None:
    tree = await factories.city_tree()
    admin = await factories.staff(Role.admin, tree["street_a"])
    outsider = await factories.staff(Role.organiser, tree["community_b"])
    csrf = await sign_in(client, admin)

    taken = await send(
        client,
        "/console/staff?lang=en",
        csrf,
        htmx=True,
        username=admin.username,
        display_name="Someone",
        organisation_id=str(tree["community_a"].id),
        role="organiser",
    )
    assert taken.status_code == 409 and taken.headers["hx-retarget"] == "#problems"
    for fields in (
        {"username": "A!", "display_name": "x", "organisation_id": str(tree["community_a"].id), "role": "organiser"},
        {"username": "ok.name", "display_name": "x", "organisation_id": "nope", "role": "organiser"},
        {"username": "ok.name", "display_name": "x", "organisation_id": str(tree["community_a"].id), "role": "king"},
        {"username": "ok.name", "display_name": "", "organisation_id": str(tree["community_a"].id)},
    ):
        answer = await send(client, "/console/staff", csrf, htmx=True, **fields)
        assert answer.status_code == 422, (fields, answer.text)
        assert 'role="alert"' in answer.text
    elsewhere = await send(
        client,
        "/console/staff",
        csrf,
        username="not.mine",
        display_name="x",
        organisation_id=str(tree["community_b"].id),
        role="organiser",
    )
    assert elsewhere.status_code == 403
    assert not await User.exists().where(User.username == "not.mine")

    # Another organisation's staff member: 404, as in the API.
    assert (await client.get(f"/console/staff/{outsider.id}")).status_code == 404
    api = await client.get(f"/api/v1/staff/{outsider.id}", headers=factories.token_for(admin))
    assert api.status_code == 404
    # Acting on them is refused as the API refuses it (403: they hold a role outside one's scope).
    disabled = await send(client, f"/console/staff/{outsider.id}/disable", csrf)
    api_disabled = await client.post(f"/api/v1/staff/{outsider.id}/disable", headers=factories.token_for(admin))
    assert disabled.status_code == api_disabled.status_code == 403

    no_token = await client.post(f"/console/staff/{admin.id}/disable")
    assert no_token.status_code == 403


async def test_roles_disable_and_reset(client: httpx.AsyncClient) -> None:
    tree = await factories.city_tree()
    admin = await factories.staff(Role.admin, tree["street_a"])
    member = await factories.staff(Role.organiser, tree["community_a"])
    csrf = await sign_in(client, admin)
    headers = factories.token_for(admin)

    page = await client.get(f"/console/staff/{member.id}")
    assert page.status_code == 200 and "活动组织者" in page.text

    granted = await send(
        client,
        f"/console/staff/{member.id}/roles",
        csrf,
        organisation_id=str(tree["library_a"].id),
        role="library_staff",
    )
    assert granted.status_code == 303
    roles = (await client.get(f"/api/v1/staff/{member.id}", headers=headers)).json()["roles"]
    assert {r["role"] for r in roles} == {"organiser", "library_staff"}

    revoked = await send(
        client,
        f"/console/staff/{member.id}/roles/revoke",
        csrf,
        organisation_id=str(tree["community_a"].id),
        role="organiser",
    )
    assert revoked.status_code == 303
    roles = (await client.get(f"/api/v1/staff/{member.id}", headers=headers)).json()["roles"]
    assert [r["role"] for r in roles] == ["library_staff"]

    assert (await send(client, f"/console/staff/{member.id}/disable", csrf)).status_code == 303
    assert (await client.get(f"/api/v1/staff/{member.id}", headers=headers)).json()["disabled"] is True
    assert "起停用" in (await client.get(f"/console/staff/{member.id}")).text
    assert (await send(client, f"/console/staff/{member.id}/enable", csrf)).status_code == 303
    assert (await client.get(f"/api/v1/staff/{member.id}", headers=headers)).json()["disabled"] is False

    reset = await send(client, f"/console/staff/{member.id}/reset", csrf, way="invite")
    assert reset.status_code == 200 and "/console/invite/" in shown(reset.text, "way-in-link")
    assert (await client.get(f"/api/v1/staff/{member.id}", headers=headers)).json()["invited_until"] is not None


async def test_an_invitee_chooses_a_password_and_lands_in_the_console(client: httpx.AsyncClient) -> None:
    tree = await factories.city_tree()
    admin = await factories.staff(Role.admin, tree["street_a"])
    await User.update({User.display_name: "王主任"}).where(User.id == admin.id)
    csrf = await sign_in(client, admin)
    made = await send(
        client,
        "/console/staff",
        csrf,
        username="lin.guanyuan",
        display_name="林馆员",
        organisation_id=str(tree["library_a"].id),
        role="library_staff",
        way="invite",
    )
    link = shown(made.text, "way-in-link")
    path = link[link.index("/console/invite/") :]

    async with httpx.AsyncClient(transport=client._transport, base_url=client.base_url) as invitee:
        greeting = await invitee.get(path)
        assert greeting.status_code == 200
        assert "林馆员" in greeting.text and "王主任" in greeting.text and "图书馆员" in greeting.text
        token = csrf_of(greeting.text)
        assert (await invitee.post(path, data={"new_password": "x", "repeat_password": "x"})).status_code == 403
        short = await invitee.post(
            path,
            data={"new_password": "short", "repeat_password": "short", "_csrf": token},
            headers={"HX-Request": "true"},
        )
        assert short.status_code == 422 and 'role="alert"' in short.text
        differ = await invitee.post(
            path, data={"new_password": "a good long one", "repeat_password": "another one", "_csrf": token}
        )
        assert differ.status_code == 422
        chosen = await invitee.post(
            path, data={"new_password": "a good long one", "repeat_password": "a good long one", "_csrf": token}
        )
        assert chosen.status_code == 303 and chosen.headers["location"] == "/console?lang=zh-Hans"
        home = await invitee.get("/console")
        assert home.status_code == 200 and "林馆员" in home.text

        used = await invitee.get(path + "?lang=ja")
        assert used.status_code == 404 and "招待リンク" in used.text
    api = await client.post("/api/v1/auth/login", json={"username": "lin.guanyuan", "password": "a good long one"})
    assert api.status_code == 200
    assert (await client.get("/console/invite/nonsense")).status_code == 404


async def test_the_audit_log_and_its_csv(client: httpx.AsyncClient) -> None:
    tree = await factories.city_tree()
    admin = await factories.staff(Role.admin, tree["street_a"])
    csrf = await sign_in(client, admin)
    await send(
        client,
        f"/console/organisations/{tree['community_a'].id}/rename",
        csrf,
        **{"name.zh-Hans": "南园新村社区"},
    )
    log = await client.get("/console/audit")
    assert log.status_code == 200 and "accounts.organisation_renamed" in log.text
    only = await client.get("/console/audit?action=accounts.organisation_renamed")
    assert "accounts.organisation_renamed" in only.text and "accounts.staff_created" not in only.text
    dated = await client.get("/console/audit?from=2000-01-01&to=2000-01-02")
    assert "accounts.organisation_renamed" not in dated.text
    bad = await client.get("/console/audit?from=yesterday")
    assert bad.status_code == 422
    bad_actor = await client.get("/console/audit?actor=someone")
    assert bad_actor.status_code == 422

    before = await AuditEntry.count().where(AuditEntry.action == "accounts.audit_exported")
    csv = await client.get("/console/audit/audit.csv?action=accounts.organisation_renamed")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert "accounts.organisation_renamed" in csv.text
    assert await AuditEntry.count().where(AuditEntry.action == "accounts.audit_exported") == before + 1
    api = await client.get("/api/v1/audit?action=accounts.organisation_renamed", headers=factories.token_for(admin))
    assert len(api.json()["items"]) == 1

    organiser = await factories.staff(Role.organiser, tree["community_a"])
    async with httpx.AsyncClient(transport=client._transport, base_url=client.base_url) as other:
        await sign_in(other, organiser)
        assert (await other.get("/console/audit")).status_code == 403
        assert (await other.get("/console/audit/audit.csv")).status_code == 403
        assert (await other.get("/console/staff")).status_code == 403
