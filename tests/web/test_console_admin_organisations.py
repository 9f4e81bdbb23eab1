"""The administrators' organisation room over HTTP (both databases): the tree within one's scope,
creating, renaming, moving, retiring and restoring, each read back through the API, and the
refusals reading as the API's."""

from __future__ import annotations

import re

import httpx

from backend.accounts.tables import Organisation, Role
from tests import factories
from tests.web.console import send, sign_in


def created_id(response: httpx.Response) -> str:
    found = re.search(r"/console/organisations/([0-9a-f-]{36})", response.headers.get("location", ""))
    assert found, response.text
    return found.group(1)


async def test_a_street_admin_sees_only_their_subtree_and_creates_a_community(client: httpx.AsyncClient) -> None:
    tree = await factories.city_tree()
    admin = await factories.staff(Role.admin, tree["street_a"])
    csrf = await sign_in(client, admin)

    home = await client.get("/console")
    assert "/console/organisations" in home.text and "/console/staff" in home.text and "/console/audit" in home.text

    listed = await client.get("/console/organisations")
    assert listed.status_code == 200
    assert "双塔街道" in listed.text and "南园社区" in listed.text and "双塔分馆" in listed.text
    assert "斜塘街道" not in listed.text and "莲花社区" not in listed.text

    form = await client.get(f"/console/organisations/new?parent={tree['street_a'].id}")
    assert form.status_code == 200
    assert 'value="community"' in form.text and 'value="district"' not in form.text  # kinds allowed under a street
    assert 'value="owners_committee"' not in form.text

    made = await send(
        client,
        "/console/organisations",
        csrf,
        parent_id=str(tree["street_a"].id),
        kind="community",
        **{"name.zh-Hans": "定慧寺社区", "name.en": "Dinghuisi Community"},
    )
    assert made.status_code == 303
    new_id = created_id(made)
    shown = await client.get(made.headers["location"])
    assert "定慧寺社区" in shown.text and "已创建" in shown.text

    api = await client.get(f"/api/v1/organisations/{new_id}", headers=factories.token_for(admin))
    assert api.status_code == 200
    assert api.json()["names"] == {"zh-Hans": "定慧寺社区", "en": "Dinghuisi Community"}
    assert api.json()["parent_id"] == str(tree["street_a"].id) and api.json()["kind"] == "community"


async def test_refusals_read_like_the_api_and_mark_the_field(client: httpx.AsyncClient) -> None:
    tree = await factories.city_tree()
    admin = await factories.staff(Role.admin, tree["street_a"])
    csrf = await sign_in(client, admin)
    headers = factories.token_for(admin)

    # A kind that does not fit: the API's refusal, drawn into the form.
    wrong = await send(
        client,
        "/console/organisations?lang=en",
        csrf,
        htmx=True,
        parent_id=str(tree["street_a"].id),
        kind="owners_committee",
        **{"name.zh-Hans": "业委会"},
    )
    api = await client.post(
        "/api/v1/organisations?lang=en",
        json={"parent_id": str(tree["street_a"].id), "kind": "owners_committee", "name": {"zh-Hans": "业委会"}},
        headers=headers,
    )
    assert wrong.status_code == api.status_code == 422
    assert wrong.headers["hx-retarget"] == "#problems"
    assert api.json()["detail"] in wrong.text

    # No Simplified Chinese name; a name too long; a kind that is no kind: form messages, never a 500.
    for fields, status in (
        ({"kind": "community", "name.en": "Only English"}, 422),
        ({"kind": "community", "name.zh-Hans": "长" * 81}, 422),
        ({"kind": "castle", "name.zh-Hans": "城堡"}, 422),
        ({"kind": "community", "parent_id": "not-an-id", "name.zh-Hans": "社区"}, 422),
    ):
        body = {"parent_id": str(tree["street_a"].id), **fields}
        answer = await send(client, "/console/organisations", csrf, htmx=True, **body)
        assert answer.status_code == status, (fields, answer.text)
        assert 'role="alert"' in answer.text
    too_long = await send(
        client,
        "/console/organisations",
        csrf,
        htmx=True,
        parent_id=str(tree["street_a"].id),
        kind="community",
        **{"name.zh-Hans": "长" * 81},
    )
    assert 'href="#field-name-zh-Hans"' in too_long.text or "#field-name" in too_long.text

    # Outside the scope: the API's 403 (the tree is no secret), in the console as in the API.
    elsewhere = await client.get(f"/console/organisations/{tree['street_b'].id}")
    api_elsewhere = await client.get(f"/api/v1/organisations/{tree['street_b'].id}", headers=headers)
    assert elsewhere.status_code == api_elsewhere.status_code == 403
    before = await Organisation.count()
    under_other = await send(
        client,
        "/console/organisations",
        csrf,
        parent_id=str(tree["street_b"].id),
        kind="community",
        **{"name.zh-Hans": "别人的社区"},
    )
    assert under_other.status_code == 403
    assert await Organisation.count() == before
    missing = await client.get("/console/organisations/00000000-0000-4000-8000-000000000000")
    assert missing.status_code == 404
    malformed = await client.get("/console/organisations/not-an-id")
    assert malformed.status_code == 404


async def test_rename_move_retire_and_restore(client: httpx.AsyncClient) -> None:
    tree = await factories.city_tree()
    admin = await factories.staff(Role.admin, tree["city"])
    csrf = await sign_in(client, admin)
    headers = factories.token_for(admin)
    community = tree["community_a"]

    page = await client.get(f"/console/organisations/{community.id}")
    assert page.status_code == 200
    assert 'id="field-name-ja"' in page.text and 'lang="ja"' in page.text
    # Where it may go: another street, not a district, not where it is.
    assert str(tree["street_b"].id) in page.text
    assert f'value="{tree["district_a"].id}"' not in page.text

    renamed = await send(
        client,
        f"/console/organisations/{community.id}/rename",
        csrf,
        **{"name.zh-Hans": "南园社区", "name.ja": "南園コミュニティ", "name.zh-Hant": "南園社區"},
    )
    assert renamed.status_code == 303
    api = (await client.get(f"/api/v1/organisations/{community.id}", headers=headers)).json()
    # The English box was left empty: its name is gone.
    assert api["names"] == {"zh-Hans": "南园社区", "ja": "南園コミュニティ", "zh-Hant": "南園社區"}

    emptied = await send(client, f"/console/organisations/{community.id}/rename", csrf, htmx=True)
    assert emptied.status_code == 422 and 'role="alert"' in emptied.text

    moved = await send(client, f"/console/organisations/{community.id}/move", csrf, parent_id=str(tree["street_b"].id))
    assert moved.status_code == 303
    api = (await client.get(f"/api/v1/organisations/{community.id}", headers=headers)).json()
    assert api["parent_id"] == str(tree["street_b"].id)
    into_district = await send(
        client, f"/console/organisations/{community.id}/move", csrf, htmx=True, parent_id=str(tree["district_a"].id)
    )
    assert into_district.status_code == 422

    confirm = await client.get(f"/console/organisations/{community.id}/retire")
    assert confirm.status_code == 200 and "历史" in confirm.text  # says what retiring keeps
    retired = await send(client, f"/console/organisations/{community.id}/retire", csrf)
    assert retired.status_code == 303
    api = (await client.get(f"/api/v1/organisations/{community.id}", headers=headers)).json()
    assert api["retired"] is True
    listed = await client.get("/console/organisations")
    assert "南园社区" not in listed.text
    assert "南园社区" in (await client.get("/console/organisations?retired=1")).text

    restored = await send(client, f"/console/organisations/{community.id}/restore", csrf)
    assert restored.status_code == 303
    api = (await client.get(f"/api/v1/organisations/{community.id}", headers=headers)).json()
    assert api["retired"] is False

    # A street with a community under it cannot be retired: the API's 409, with how many.
    busy = await send(client, f"/console/organisations/{tree['street_b'].id}/retire?lang=en", csrf, htmx=True)
    assert busy.status_code == 409


async def test_csrf_and_roles_without_the_permission(client: httpx.AsyncClient) -> None:
    tree = await factories.city_tree()
    admin = await factories.staff(Role.admin, tree["street_a"])
    await sign_in(client, admin)
    refused = await client.post(
        f"/console/organisations/{tree['community_a'].id}/rename", data={"name.zh-Hans": "改名"}
    )
    assert refused.status_code == 403
    api = (
        await client.get(f"/api/v1/organisations/{tree['community_a'].id}", headers=factories.token_for(admin))
    ).json()
    assert api["names"]["zh-Hans"] == "南园社区"

    organiser = await factories.staff(Role.organiser, tree["community_a"])
    async with httpx.AsyncClient(transport=client._transport, base_url=client.base_url) as other:
        await sign_in(other, organiser)
        home = await other.get("/console")
        assert "/console/organisations" not in home.text and "/console/audit" not in home.text
        assert (await other.get("/console/organisations")).status_code == 403
        assert (await other.get(f"/console/organisations/{tree['community_a'].id}")).status_code == 403
