"""Accounts rules: the organisation tree and the scope guard every later domain uses."""

from __future__ import annotations

import uuid

import httpx
import pytest

from backend.accounts import scopes, services, staff
from backend.accounts.scopes import Permission
from backend.accounts.tables import Membership, OrganisationKind, Role
from backend.core.errors import DomainError
from backend.core.values import mask_phone
from tests import factories

pytestmark = pytest.mark.usefixtures("client")  # an app on each backend, with empty tables


async def test_a_role_covers_its_organisation_and_everything_below() -> None:
    tree = await factories.city_tree()
    organiser = await factories.staff(Role.organiser, tree["street_a"])
    may = scopes.may
    assert await may(user_id=organiser.id, permission=Permission.manage_events, organisation_id=tree["street_a"].id)
    assert await may(user_id=organiser.id, permission=Permission.manage_events, organisation_id=tree["community_a"].id)
    assert await may(user_id=organiser.id, permission=Permission.manage_events, organisation_id=tree["library_a"].id)
    # not above, not beside
    assert not await may(
        user_id=organiser.id, permission=Permission.manage_events, organisation_id=tree["district_a"].id
    )
    assert not await may(
        user_id=organiser.id, permission=Permission.manage_events, organisation_id=tree["community_b"].id
    )


async def test_a_role_grants_only_its_own_permissions() -> None:
    tree = await factories.city_tree()
    coordinator = await factories.staff(Role.coordinator, tree["community_a"])
    librarian = await factories.staff(Role.library_staff, tree["library_a"])
    community = tree["community_a"].id
    assert await scopes.may(
        user_id=coordinator.id, permission=Permission.coordinate_volunteers, organisation_id=community
    )
    assert not await scopes.may(user_id=coordinator.id, permission=Permission.manage_events, organisation_id=community)
    assert await scopes.may(
        user_id=librarian.id, permission=Permission.manage_libraries, organisation_id=tree["library_a"].id
    )
    assert not await scopes.may(user_id=librarian.id, permission=Permission.manage_libraries, organisation_id=community)
    assert not await scopes.may(
        user_id=librarian.id, permission=Permission.manage_rewards, organisation_id=tree["library_a"].id
    )


async def test_a_city_admin_may_do_everything_everywhere() -> None:
    tree = await factories.city_tree()
    admin = await factories.staff(Role.admin, tree["city"])
    for permission in Permission:
        for organisation in tree.values():
            assert await scopes.may(user_id=admin.id, permission=permission, organisation_id=organisation.id)


async def test_a_community_admin_stays_in_the_community() -> None:
    tree = await factories.city_tree()
    admin = await factories.staff(Role.admin, tree["community_a"])
    assert await scopes.may(
        user_id=admin.id, permission=Permission.manage_rewards, organisation_id=tree["community_a"].id
    )
    assert not await scopes.may(
        user_id=admin.id, permission=Permission.manage_rewards, organisation_id=tree["community_b"].id
    )
    assert not await scopes.may(
        user_id=admin.id, permission=Permission.manage_rewards, organisation_id=tree["street_a"].id
    )


async def test_require_raises_403_and_unknown_organisations_are_denied() -> None:
    tree = await factories.city_tree()
    nobody = await factories.staff()
    with pytest.raises(DomainError) as raised:
        await scopes.require(user_id=nobody.id, permission=Permission.manage_events, organisation_id=tree["city"].id)
    assert raised.value.status == 403
    admin = await factories.staff(Role.admin, tree["city"])
    assert not await scopes.may(user_id=admin.id, permission=Permission.manage_events, organisation_id=uuid.uuid4())


async def test_scope_paths_keep_only_the_widest_subtrees() -> None:
    tree = await factories.city_tree()
    organiser = await factories.staff(Role.organiser, tree["street_a"])
    await staff.grant_role(user_id=organiser.id, organisation_id=tree["community_a"].id, role=Role.organiser)
    await staff.grant_role(user_id=organiser.id, organisation_id=tree["community_b"].id, role=Role.organiser)
    paths = await scopes.scope_paths(user_id=organiser.id, permission=Permission.manage_events)
    assert paths == sorted([tree["street_a"].path, tree["community_b"].path], key=len)
    assert await scopes.scope_paths(user_id=organiser.id, permission=Permission.coordinate_volunteers) == []


async def test_granting_a_role_twice_changes_nothing() -> None:
    tree = await factories.city_tree()
    user = await factories.staff(Role.organiser, tree["street_a"])
    await staff.grant_role(user_id=user.id, organisation_id=tree["street_a"].id, role=Role.organiser)
    assert await Membership.count().where(Membership.user == user.id) == 1


@pytest.mark.parametrize(
    ("kind", "parent_key"),
    [
        (OrganisationKind.community, "city"),  # a community belongs under a street
        (OrganisationKind.city, "city"),
        (OrganisationKind.street, None),
    ],
)
async def test_the_tree_keeps_its_shape(kind: OrganisationKind, parent_key: str | None) -> None:
    tree = await factories.city_tree()
    parent = tree[parent_key].id if parent_key else None
    with pytest.raises(DomainError) as raised:
        await services.create_organisation(kind=kind, name={"zh-Hans": "x"}, parent_id=parent)
    assert raised.value.code == "organisation_parent_invalid"


async def test_paths_are_materialised_from_the_root() -> None:
    tree = await factories.city_tree()
    community = tree["community_a"]
    assert scopes.ancestor_ids(community.path) == [
        tree["city"].id,
        tree["district_a"].id,
        tree["street_a"].id,
        community.id,
    ]


@pytest.mark.parametrize(
    ("phone", "masked"),
    [("13812345678", "138****5678"), ("+85291234567", "+85*****4567"), (None, None), ("12345", "12***")],
)
def test_phone_numbers_are_masked(phone: str | None, masked: str | None) -> None:
    assert mask_phone(phone) == masked


async def test_create_city_admin_creates_the_city_once_and_resets_the_password(client: httpx.AsyncClient) -> None:
    first = await staff.create_city_admin(username="chief", password="first password")
    again = await staff.create_city_admin(username="chief", password="second password")
    assert first.id == again.id
    ok = await client.post("/api/v1/auth/login", json={"username": "chief", "password": "second password"})
    assert ok.status_code == 200
    memberships = ok.json()["user"]["memberships"]
    assert [(m["role"], m["organisation_kind"]) for m in memberships] == [("admin", "city")]


async def test_short_staff_passwords_and_taken_names_are_refused() -> None:
    with pytest.raises(DomainError, match="at least"):
        await staff.create_staff(username="a", password="short")
    await staff.create_staff(username="taken", password="long enough")
    with pytest.raises(DomainError) as raised:
        await staff.create_staff(username="taken", password="long enough")
    assert raised.value.code == "username_taken"
