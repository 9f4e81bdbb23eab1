"""The organisation tree administered over HTTP: listed in tree order within one's scope, created
where the kind fits, renamed language by language, moved with its whole subtree, retired and
restored; each change one audit entry, each refusal none."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from backend.accounts import api, organisations, scopes, staff
from backend.accounts.organisations import PLACEMENT
from backend.accounts.tables import Membership, Organisation, OrganisationKind, Role
from backend.core.errors import DomainError
from backend.core.tables import AuditEntry
from tests import factories

Client = httpx.AsyncClient
K = OrganisationKind
EN = {"Accept-Language": "en"}
ORGANISATIONS = "/api/v1/organisations"


def as_(user: Any) -> dict[str, str]:
    return {**factories.token_for(user), **EN}


async def audit_actions() -> list[str]:
    return [row["action"] for row in await AuditEntry.select(AuditEntry.action).order_by(AuditEntry.at)]


async def path_of(organisation_id: uuid.UUID) -> str:
    return str((await Organisation.select(Organisation.path).where(Organisation.id == organisation_id).first())["path"])


# --- the rule, as data -------------------------------------------------------------------------------


def test_every_kind_has_its_places_and_the_administrative_tree_is_fixed() -> None:
    assert set(PLACEMENT) == set(K)
    assert PLACEMENT[K.city] == {None}
    assert PLACEMENT[K.district] == {K.city}
    assert PLACEMENT[K.street] == {K.district}
    assert PLACEMENT[K.community] == {K.street}
    # Bodies hang from the tree, never at its top; an owners' committee is a community's.
    bodies = set(K) - {K.city, K.district, K.street, K.community}
    assert all(None not in PLACEMENT[kind] and PLACEMENT[kind] for kind in bodies)
    assert PLACEMENT[K.owners_committee] == {K.community}
    assert K.street in PLACEMENT[K.police_station] and K.district in PLACEMENT[K.city_management]
    assert api.kinds_allowed_under("street") == [
        K.community,
        K.library,
        K.cultural_centre,
        K.volunteer_association,
        K.property_company,
        K.police_station,
        K.city_management,
    ]
    assert api.kinds_allowed_under(None) == [K.city]


@pytest.mark.usefixtures("client")
@pytest.mark.parametrize("kind", list(K))
async def test_each_kind_is_made_exactly_where_it_fits(kind: K) -> None:
    tree = await factories.city_tree()
    parents = {K.city: tree["city"], K.district: tree["district_a"], K.street: tree["street_a"]}
    parents[K.community] = tree["community_a"]
    for parent_kind, parent in parents.items():
        if parent_kind in PLACEMENT[kind]:
            made = await organisations.create_organisation(kind=kind, name={"zh-Hans": "新"}, parent_id=parent.id)
            assert made.path == f"{parent.path}{made.id}/"
        else:
            with pytest.raises(DomainError) as raised:
                await organisations.create_organisation(kind=kind, name={"zh-Hans": "新"}, parent_id=parent.id)
            assert raised.value.code == "organisation_parent_invalid"


# --- reading ------------------------------------------------------------------------------------------


async def test_an_administrator_lists_their_subtrees_in_tree_order(client: Client) -> None:
    tree = await factories.city_tree()
    police = await factories.organisation(K.police_station, tree["street_a"], "双塔派出所")
    city_admin = await factories.staff(Role.admin, tree["city"])
    street_admin = await factories.staff(Role.admin, tree["street_a"])
    response = await client.get(ORGANISATIONS, headers=as_(street_admin))
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    # The street, then what is below it: its community before the bodies attached to it.
    assert [item["id"] for item in items] == [
        str(tree["street_a"].id),
        str(tree["community_a"].id),
        str(tree["library_a"].id),
        str(police.id),
    ]
    assert [item["depth"] for item in items] == [2, 3, 3, 3]
    assert items[1]["parent_id"] == str(tree["street_a"].id)
    assert items[0]["active_children"] == 3 and items[1]["active_children"] == 0
    assert items[0]["name"] == "双塔街道" and items[0]["names"]["zh-Hans"] == "双塔街道"
    everything = (await client.get(ORGANISATIONS, headers=as_(city_admin))).json()["items"]
    assert len(everything) == len(tree) + 1
    assert everything[0]["id"] == str(tree["city"].id) and everything[0]["parent_id"] is None
    # Each one comes before everything below it.
    seen: set[str] = set()
    for item in everything:
        assert item["parent_id"] is None or item["parent_id"] in seen
        seen.add(item["id"])


async def test_the_list_filters_and_pages(client: Client) -> None:
    tree = await factories.city_tree()
    admin = await factories.staff(Role.admin, tree["city"])
    await organisations.rename_organisation(organisation_id=tree["community_b"].id, names={"ja": "蓮花コミュニティ"})

    async def ids(**params: Any) -> list[str]:
        response = await client.get(ORGANISATIONS, params=params, headers=as_(admin))
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    # 姑苏区 sorts before 工业园区, so community A (under it) comes first.
    assert await ids(kind="community") == [str(tree["community_a"].id), str(tree["community_b"].id)]
    assert set(await ids(parent_id=str(tree["street_a"].id))) == {
        str(tree["community_a"].id),
        str(tree["library_a"].id),
    }
    assert await ids(q="コミュニティ") == [str(tree["community_b"].id)]
    assert await ids(q=" 分馆") == [str(tree["library_a"].id)]
    first = (await client.get(ORGANISATIONS, params={"limit": 3}, headers=as_(admin))).json()
    rest = (await client.get(ORGANISATIONS, params={"limit": 3, "offset": 3}, headers=as_(admin))).json()
    assert first["has_more"] is True and len(first["items"]) == 3
    assert [i["id"] for i in first["items"] + rest["items"]] == (await ids())[:6]
    await organisations.retire_organisation(organisation_id=tree["library_a"].id)
    assert str(tree["library_a"].id) not in await ids()
    assert str(tree["library_a"].id) in await ids(include_retired="true")


async def test_who_reads_the_tree(client: Client) -> None:
    tree = await factories.city_tree()
    community_admin = await factories.staff(Role.admin, tree["community_a"])
    organiser = await factories.staff(Role.organiser, tree["street_a"])
    resident = await factories.resident()
    mine = await client.get(f"{ORGANISATIONS}/{tree['community_a'].id}", headers=as_(community_admin))
    assert mine.status_code == 200 and mine.json()["kind"] == "community"
    # The tree is no secret: what one does not administer is refused, only what is not there is missing.
    above = await client.get(f"{ORGANISATIONS}/{tree['street_a'].id}", headers=as_(community_admin))
    assert (above.status_code, above.json()["code"]) == (403, "forbidden")
    missing = await client.get(f"{ORGANISATIONS}/{uuid.uuid4()}", headers=as_(community_admin))
    assert (missing.status_code, missing.json()["code"]) == (404, "organisation_not_found")
    listed = await client.get(ORGANISATIONS, headers=as_(organiser))
    assert (listed.status_code, listed.json()["code"]) == (403, "forbidden")
    refused = await client.get(ORGANISATIONS, headers=as_(resident))
    assert (refused.status_code, refused.json()["code"]) == (403, "staff_only")
    assert (await client.get(ORGANISATIONS)).status_code == 401


# --- creating and renaming -------------------------------------------------------------------------------


async def test_an_administrator_creates_under_what_they_administer(client: Client) -> None:
    tree = await factories.city_tree()
    admin = await factories.staff(Role.admin, tree["community_a"])
    before = await audit_actions()
    body = {
        "kind": "library",
        "parent_id": str(tree["community_a"].id),
        "name": {"zh-Hans": " 南园书屋 ", "en": "Reading Room"},
    }
    made = await client.post(ORGANISATIONS, json=body, headers=as_(admin))
    assert made.status_code == 201, made.text
    assert made.json()["names"] == {"zh-Hans": "南园书屋", "en": "Reading Room"}  # trimmed
    assert made.json()["name"] == "Reading Room"  # in the caller's language
    assert (made.json()["depth"], made.json()["parent_id"]) == (4, str(tree["community_a"].id))
    assert await audit_actions() == [*before, "accounts.organisation_created"]
    [entry] = (
        await AuditEntry.select()
        .where(AuditEntry.action == "accounts.organisation_created")
        .where(AuditEntry.actor == admin.id)
    )
    assert (entry["permission"], str(entry["organisation"])) == ("manage_organisations", made.json()["id"])
    beside = {**body, "parent_id": str(tree["community_b"].id)}
    refused = await client.post(ORGANISATIONS, json=beside, headers=as_(admin))
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
    unknown = await client.post(ORGANISATIONS, json={**body, "parent_id": str(uuid.uuid4())}, headers=as_(admin))
    assert (unknown.status_code, unknown.json()["code"]) == (404, "organisation_not_found")
    assert await audit_actions() == [*before, "accounts.organisation_created"]


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"kind": "community"}, 422, "organisation_parent_invalid"),  # a community belongs under a street
        ({"kind": "district"}, 422, "organisation_parent_invalid"),
        ({"kind": "guild"}, 422, "validation_failed"),
        ({"name": {"en": "No Chinese name"}}, 422, "organisation_name_required"),
        ({"name": {"zh-Hans": "   "}}, 422, "organisation_name_required"),
        ({"name": {"zh-Hans": "书屋", "fr": "Salle"}}, 422, "validation_failed"),
        ({"name": {"zh-Hans": "书" * 81}}, 422, "validation_failed"),
        ({"name": {"zh-Hans": "书屋\u0007"}}, 422, "organisation_name_invalid"),
        ({"name": {"zh-Hans": "书屋", "en": "Reading\nRoom"}}, 422, "organisation_name_invalid"),
    ],
)
async def test_bad_organisations_are_refused_and_change_nothing(
    client: Client, change: dict[str, Any], status: int, code: str
) -> None:
    tree = await factories.city_tree()
    admin = await factories.staff(Role.admin, tree["city"])
    body = {"kind": "library", "parent_id": str(tree["community_a"].id), "name": {"zh-Hans": "书屋"}, **change}
    count = await Organisation.count()
    response = await client.post(ORGANISATIONS, json=body, headers=as_(admin))
    assert (response.status_code, response.json()["code"]) == (status, code), response.text
    assert await Organisation.count() == count


async def test_names_change_language_by_language(client: Client) -> None:
    tree = await factories.city_tree()
    admin = await factories.staff(Role.admin, tree["community_a"])
    url = f"{ORGANISATIONS}/{tree['community_a'].id}"
    renamed = await client.patch(url, json={"name": {"ja": "南園", "en": None}}, headers=as_(admin))
    assert renamed.status_code == 200, renamed.text
    # ja added, en removed (null), zh-Hans kept (absent)
    assert renamed.json()["names"] == {"zh-Hans": "南园社区", "ja": "南園"}
    [entry] = (
        await AuditEntry.select().where(AuditEntry.action == "accounts.organisation_renamed").output(load_json=True)
    )
    assert entry["changes"]["name"] == [
        {"zh-Hans": "南园社区", "en": "南园社区"},
        {"zh-Hans": "南园社区", "ja": "南園"},
    ]
    # The same names again change nothing and write nothing.
    again = await client.patch(url, json={"name": {"ja": "南園"}}, headers=as_(admin))
    assert again.status_code == 200
    assert await AuditEntry.count().where(AuditEntry.action == "accounts.organisation_renamed") == 1
    kept = await client.patch(url, json={"name": {"zh-Hans": None}}, headers=as_(admin))
    assert (kept.status_code, kept.json()["code"]) == (422, "organisation_name_required")
    above = await client.patch(f"{ORGANISATIONS}/{tree['street_a'].id}", json={"name": {"ja": "x"}}, headers=as_(admin))
    assert above.status_code == 403


# --- moving -------------------------------------------------------------------------------------------


async def test_a_move_rewrites_the_whole_subtree_and_who_administers_it(client: Client) -> None:
    tree = await factories.city_tree()
    reading_room = await factories.organisation(K.library, tree["community_a"], "南园书屋")
    city_admin = await factories.staff(Role.admin, tree["city"])
    street_a_admin = await factories.staff(Role.admin, tree["street_a"])
    street_b_admin = await factories.staff(Role.admin, tree["street_b"])
    keeper = await factories.staff(Role.library_staff, reading_room)
    before = await audit_actions()
    moved = await client.post(
        f"{ORGANISATIONS}/{tree['community_a'].id}/move",
        json={"parent_id": str(tree["street_b"].id)},
        headers=as_(city_admin),
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["parent_id"] == str(tree["street_b"].id)
    assert await audit_actions() == [*before, "accounts.organisation_moved"]
    community_path = f"{tree['street_b'].path}{tree['community_a'].id}/"
    assert await path_of(tree["community_a"].id) == community_path
    assert await path_of(reading_room.id) == f"{community_path}{reading_room.id}/"
    assert await path_of(tree["street_a"].id) == tree["street_a"].path  # nothing else moved
    # Roles stay where they are; the administrators above change with the place.
    assert await Membership.exists().where(
        (Membership.user == keeper.id) & (Membership.organisation == reading_room.id)
    )
    manage = scopes.Permission.manage_organisations
    assert await scopes.may(user_id=street_b_admin.id, permission=manage, organisation_id=reading_room.id)
    assert not await scopes.may(user_id=street_a_admin.id, permission=manage, organisation_id=reading_room.id)
    ref = await api.organisation(reading_room.id)
    assert ref is not None and ref.path.startswith(tree["street_b"].path)


async def test_moves_that_break_the_tree_are_refused(client: Client) -> None:
    tree = await factories.city_tree()
    city_admin = await factories.staff(Role.admin, tree["city"])
    community_admin = await factories.staff(Role.admin, tree["community_a"])
    reading_room = await factories.organisation(K.library, tree["community_a"], "南园书屋")

    async def move(who: Any, what: str, where: Any) -> tuple[int, str]:
        response = await client.post(
            f"{ORGANISATIONS}/{tree[what].id if what in tree else what}/move",
            json={"parent_id": str(where)},
            headers=as_(who),
        )
        return response.status_code, response.json()["code"]

    count = await AuditEntry.count()
    assert await move(city_admin, "district_a", tree["community_a"].id) == (409, "organisation_move_into_itself")
    assert await move(city_admin, "street_a", tree["street_a"].id) == (409, "organisation_move_into_itself")
    assert await move(city_admin, "city", tree["district_a"].id) == (409, "organisation_is_root")
    assert await move(city_admin, "community_a", tree["district_b"].id) == (422, "organisation_parent_invalid")
    assert await move(city_admin, "community_a", uuid.uuid4()) == (404, "organisation_not_found")
    # The community's admin does not administer street B, nor the street above their community.
    assert await move(community_admin, str(reading_room.id), tree["community_b"].id) == (403, "forbidden")
    assert await move(community_admin, "community_a", tree["street_b"].id) == (403, "forbidden")
    assert await AuditEntry.count() == count
    await organisations.retire_organisation(organisation_id=tree["community_b"].id)
    count = await AuditEntry.count()
    assert await move(city_admin, str(reading_room.id), tree["community_b"].id) == (409, "organisation_retired")
    assert await AuditEntry.count() == count


# --- retiring and restoring -------------------------------------------------------------------------


async def test_retiring_keeps_the_data_and_refuses_what_is_new(client: Client) -> None:
    tree = await factories.city_tree()
    admin = await factories.staff(Role.admin, tree["street_a"])
    organiser = await factories.staff(Role.organiser, tree["community_a"])
    url = f"{ORGANISATIONS}/{tree['community_a'].id}"
    retired = await client.post(f"{url}/retire", headers=as_(admin))
    assert retired.status_code == 200, retired.text
    assert retired.json()["retired"] is True and retired.json()["retired_at"]
    ref = await api.organisation(tree["community_a"].id)
    assert ref is not None and ref.retired and await api.is_retired(tree["community_a"].id)
    assert not await api.is_retired(tree["street_a"].id)
    # Roles held there stay; no new one, nothing new under it.
    assert await Membership.exists().where(Membership.user == organiser.id)
    with pytest.raises(DomainError) as raised:
        await staff.grant_role(user_id=organiser.id, organisation_id=tree["community_a"].id, role=Role.coordinator)
    assert (raised.value.status, raised.value.code) == (409, "organisation_retired")
    under = await client.post(
        ORGANISATIONS,
        json={"kind": "library", "parent_id": str(tree["community_a"].id), "name": {"zh-Hans": "书屋"}},
        headers=as_(admin),
    )
    assert (under.status_code, under.json()["code"]) == (409, "organisation_retired")
    assert "南园社区" in under.json()["detail"]
    with pytest.raises(DomainError) as raised:
        await api.refuse_retired(tree["community_a"].id)
    assert raised.value.code == "organisation_retired"
    again = await client.post(f"{url}/retire", headers=as_(admin))  # retired already: nothing new
    assert again.status_code == 200
    restored = await client.post(f"{url}/restore", headers=as_(admin))
    assert restored.status_code == 200 and restored.json()["retired"] is False
    assert [a for a in await audit_actions() if "organisation_re" in a] == [
        "accounts.organisation_retired",
        "accounts.organisation_restored",
    ]


async def test_what_cannot_be_retired_or_restored(client: Client) -> None:
    tree = await factories.city_tree()
    city_admin = await factories.staff(Role.admin, tree["city"])
    community_admin = await factories.staff(Role.admin, tree["community_a"])
    await factories.organisation(K.police_station, tree["street_a"], "双塔派出所")
    count = await AuditEntry.count()
    busy = await client.post(f"{ORGANISATIONS}/{tree['street_a'].id}/retire", headers=as_(city_admin))
    assert (busy.status_code, busy.json()["code"]) == (409, "organisation_has_children")
    assert busy.json()["params"] == {"count": 3}  # the community, the library and the police station
    assert "3" in busy.json()["detail"]
    root = await client.post(f"{ORGANISATIONS}/{tree['city'].id}/retire", headers=as_(city_admin))
    assert (root.status_code, root.json()["code"]) == (409, "organisation_is_root")
    # Retiring is the parent's administrators' decision, not the organisation's own.
    own = await client.post(f"{ORGANISATIONS}/{tree['community_a'].id}/retire", headers=as_(community_admin))
    assert own.status_code == 403
    assert await AuditEntry.count() == count
    await organisations.retire_organisation(organisation_id=tree["library_a"].id)
    await organisations.retire_organisation(organisation_id=tree["community_b"].id)
    await organisations.retire_organisation(organisation_id=tree["street_b"].id)
    orphan = await client.post(f"{ORGANISATIONS}/{tree['community_b'].id}/restore", headers=as_(city_admin))
    assert (orphan.status_code, orphan.json()["code"]) == (409, "organisation_parent_retired")
