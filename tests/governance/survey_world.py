"""A small world for the survey tests: a community with an estate of buildings and units, its
property company, staff, and residents who say where they live."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from backend.accounts.tables import OrganisationKind, Role, User
from backend.core import clock
from backend.places import estates, residences
from backend.places.schemas import ResidencePut
from tests import factories


async def world() -> dict[str, Any]:
    tree = await factories.city_tree()
    company = await factories.organisation(OrganisationKind.property_company, tree["community_a"], "南园物业")
    estate_id = await factories.estate(tree["community_a"], property_company_id=str(company.id))
    other_estate = await factories.estate(tree["community_b"])
    building = await estates.add_building(user_id=None, estate_id=estate_id, label="1幢")
    units = [
        await estates.add_unit(user_id=None, building_id=building, label=f"{101 + i}", floor_area=90.0 + 10 * i)
        for i in range(9)
    ]
    return {
        "tree": tree,
        "company": company,
        "company_staff": await factories.staff(Role.admin, company),
        "staff": await factories.staff(Role.organiser, tree["community_a"]),
        "other_staff": await factories.staff(Role.organiser, tree["community_b"]),
        "estate": estate_id,
        "other_estate": other_estate,
        "building": building,
        "units": units,
    }


async def living(w: dict[str, Any], unit_index: int | None, *, estate: uuid.UUID | None = None) -> User:
    """A resident who says they live in the world's estate (in a unit, when given)."""
    person = await factories.resident()
    await residences.set_residence(
        user_id=person.id,
        data=ResidencePut(
            estate_id=estate or w["estate"],
            building_id=w["building"] if unit_index is not None else None,
            unit_id=w["units"][unit_index] if unit_index is not None else None,
            consent=True,
        ),
    )
    return person


def window(hours_open: int = 1) -> tuple[str, str, datetime]:
    """Opens an hour ago, closes ``hours_open`` from now; and a moment after the close."""
    now = clock.now()
    closes = now + timedelta(hours=hours_open)
    return clock.iso(now - timedelta(hours=1)), clock.iso(closes), closes + timedelta(minutes=1)
