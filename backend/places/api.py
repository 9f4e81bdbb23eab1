"""What other domains may use of places: where a resident lives, what an estate, grid or alliance
is, and which of them a point on the map falls in. Everything else in the package is private."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from piccolo.query.functions.aggregate import Count, Sum

from backend.core.values import as_uuid
from backend.places.queries import suppressed
from backend.places.residences import residence_of, set_residence
from backend.places.schemas import ResidencePut
from backend.places.tables import Alliance, AllianceMember, Building, Estate, GridArea, Residence, Unit

__all__ = [
    "EstateRef",
    "Home",
    "ResidencePut",
    "UnitTotals",
    "alliance_community",
    "estate_ref",
    "estates_served_by",
    "home_of",
    "in_alliance",
    "in_grid",
    "residents_in",
    "set_residence",
    "suppressed",
    "unit_floor_area",
    "unit_totals",
    "units_of",
]


# --- for governance surveys: who may answer, and an estate's units for owners' polls ---------------


@dataclass(frozen=True)
class Home:
    """Where a resident says they live (with their consent)."""

    estate_id: uuid.UUID
    community_id: uuid.UUID
    building_id: uuid.UUID | None
    unit_id: uuid.UUID | None


@dataclass(frozen=True)
class EstateRef:
    id: uuid.UUID
    community_id: uuid.UUID
    name: dict[str, str]
    property_company_id: uuid.UUID | None


@dataclass(frozen=True)
class UnitTotals:
    """An estate's imported units: how many, how many have a floor area, and the area's sum."""

    units: int
    with_area: int
    area: float


async def home_of(user_id: uuid.UUID) -> Home | None:
    found = await residence_of(user_id)
    if found is None:
        return None
    return Home(
        estate_id=as_uuid(found["estate"]),
        community_id=as_uuid(found["community"]),
        building_id=as_uuid(found["building"]) if found["building"] else None,
        unit_id=as_uuid(found["unit"]) if found["unit"] else None,
    )


async def estate_ref(estate_id: uuid.UUID) -> EstateRef | None:
    row = (
        await Estate.select(Estate.id, Estate.community, Estate.name, Estate.property_company)
        .where(Estate.id == estate_id)
        .output(load_json=True)
        .first()
    )
    if row is None:
        return None
    company = row["property_company"]
    return EstateRef(
        id=as_uuid(row["id"]),
        community_id=as_uuid(row["community"]),
        name=row["name"] or {},
        property_company_id=as_uuid(company) if company else None,
    )


async def estates_served_by(company_id: uuid.UUID) -> list[EstateRef]:
    """The estates a property company serves."""
    rows = await Estate.select(Estate.id).where(Estate.property_company == company_id)
    found = [await estate_ref(as_uuid(row["id"])) for row in rows]
    return [ref for ref in found if ref is not None]


async def alliance_community(alliance_id: uuid.UUID) -> uuid.UUID | None:
    row = await Alliance.select(Alliance.community).where(Alliance.id == alliance_id).first()
    return as_uuid(row["community"]) if row else None


async def in_alliance(alliance_id: uuid.UUID, estate_id: uuid.UUID) -> bool:
    return await AllianceMember.exists().where(
        (AllianceMember.alliance == alliance_id) & (AllianceMember.estate == estate_id)
    )


async def in_grid(grid_id: uuid.UUID, estate_id: uuid.UUID, building_id: uuid.UUID | None) -> bool:
    """Whether a home is covered by a grid: its whole estate, or its building."""
    whole = (GridArea.grid == grid_id) & (GridArea.estate == estate_id) & GridArea.building.is_null()
    if await GridArea.exists().where(whole):
        return True
    if building_id is None:
        return False
    return await GridArea.exists().where((GridArea.grid == grid_id) & (GridArea.building == building_id))


async def unit_totals(estate_id: uuid.UUID) -> UnitTotals:
    in_estate = Unit.building.is_in(Building.select(Building.id).where(Building.estate == estate_id))
    row = await Unit.select(Count(Unit.id).as_alias("units")).where(in_estate).first()
    area = (
        await Unit.select(Count(Unit.id).as_alias("with_area"), Sum(Unit.floor_area).as_alias("area"))
        .where(in_estate & Unit.floor_area.is_not_null())
        .first()
    )
    return UnitTotals(
        units=int(row["units"] if row else 0),
        with_area=int(area["with_area"] if area else 0),
        area=float((area or {}).get("area") or 0.0),
    )


async def unit_floor_area(unit_id: uuid.UUID) -> float | None:
    row = await Unit.select(Unit.floor_area).where(Unit.id == unit_id).first()
    return None if row is None or row["floor_area"] is None else float(row["floor_area"])


async def units_of(estate_id: uuid.UUID) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(building, unit) of every unit of an estate, by building and unit label (the demo's households)."""
    rows = (
        await Unit.select(Unit.building, Unit.id)
        .where(Unit.building.is_in(Building.select(Building.id).where(Building.estate == estate_id)))
        .order_by(Unit.building.label)
        .order_by(Unit.label)
    )
    return [(as_uuid(row["building"]), as_uuid(row["id"])) for row in rows]


async def residents_in(audience: str, target_id: uuid.UUID) -> list[uuid.UUID]:
    """Who says they live in a community, an estate, an alliance's estates or a grid's estates and
    buildings (``audience`` names which): for telling them something meant for them."""
    if audience == "community":
        where = Residence.estate.community == target_id
    elif audience == "estate":
        where = Residence.estate == target_id
    elif audience == "alliance":
        where = Residence.estate.is_in(
            AllianceMember.select(AllianceMember.estate).where(AllianceMember.alliance == target_id)
        )
    else:
        areas = await GridArea.select(GridArea.estate, GridArea.building).where(GridArea.grid == target_id)
        estates = [row["estate"] for row in areas if row["building"] is None]
        buildings = [row["building"] for row in areas if row["building"] is not None]
        if not estates and not buildings:
            return []
        if estates and buildings:
            where = Residence.estate.is_in(estates) | Residence.building.is_in(buildings)
        else:
            where = Residence.estate.is_in(estates) if estates else Residence.building.is_in(buildings)
    rows = await Residence.select(Residence.user).where(where)
    return sorted({as_uuid(row["user"]) for row in rows})
