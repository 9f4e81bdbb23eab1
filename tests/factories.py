"""Small builders for test data, through the services (so tests exercise the real rules)."""

from __future__ import annotations

import itertools
import uuid

from backend.accounts import services
from backend.accounts.tables import Organisation, OrganisationKind, Role, User

_counter = itertools.count(1)


async def organisation(kind: OrganisationKind, parent: Organisation | None = None, name: str | None = None) -> Organisation:
    label = name or f"{kind.value}-{next(_counter)}"
    return await services.create_organisation(kind=kind, name={"zh-Hans": label, "en": label}, parent_id=parent.id if parent else None)


async def city_tree() -> dict[str, Organisation]:
    """city → two districts → a street each → a community each, plus a library under street A."""
    city = await organisation(OrganisationKind.city, name="苏州市")
    district_a = await organisation(OrganisationKind.district, city, "姑苏区")
    district_b = await organisation(OrganisationKind.district, city, "工业园区")
    street_a = await organisation(OrganisationKind.street, district_a, "双塔街道")
    street_b = await organisation(OrganisationKind.street, district_b, "斜塘街道")
    community_a = await organisation(OrganisationKind.community, street_a, "南园社区")
    community_b = await organisation(OrganisationKind.community, street_b, "莲花社区")
    library_a = await organisation(OrganisationKind.library, street_a, "双塔分馆")
    return {
        "city": city,
        "district_a": district_a,
        "district_b": district_b,
        "street_a": street_a,
        "street_b": street_b,
        "community_a": community_a,
        "community_b": community_b,
        "library_a": library_a,
    }


async def staff(role: Role | None = None, organisation: Organisation | None = None) -> User:
    user = await services.create_staff(username=f"staff-{uuid.uuid4().hex[:8]}", password="a long password")
    if role is not None and organisation is not None:
        await services.grant_role(user_id=user.id, organisation_id=organisation.id, role=role)
    return user
