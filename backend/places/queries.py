"""Reading places: estates of a community, an estate with its buildings and units, grids, a
resident's own residence, alliances and their documents. Counts of residents are never below
five (``SMALL_CELL``), like the participation statistics."""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

from backend.accounts.api import Permission, Role, may, organisations, role_holders, scope_paths
from backend.accounts.api import people as people_of
from backend.core.errors import Forbidden
from backend.places import access, errors
from backend.places.alliances import alliance_row, document_row
from backend.places.estates import building_row, estate_row
from backend.places.grids import community_of_grid, grid_of
from backend.places.tables import (
    Acknowledgement,
    Alliance,
    AllianceDocument,
    AllianceMember,
    Building,
    BuildingHead,
    DocumentVersion,
    Estate,
    GridArea,
    Residence,
    Unit,
)

SMALL_CELL = 5


def suppressed(count: int) -> int | None:
    """Counts of people under five are not shown (zero is: it names nobody)."""
    return count if count == 0 or count >= SMALL_CELL else None


async def list_estates(*, community_id: uuid.UUID | None, kind: str | None, limit: int) -> list[dict[str, Any]]:
    query = Estate.select().output(load_json=True).order_by(Estate.created_at).limit(limit)
    if community_id is not None:
        query = query.where(Estate.community == community_id)
    if kind is not None:
        query = query.where(Estate.kind == kind)
    return await query


async def estate_details(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """What a list of estates shows besides their own columns: bodies' names, building counts,
    alliance membership."""
    ids = [row["id"] for row in rows]
    bodies = await organisations(
        [row[c] for row in rows for c in ("property_company", "owners_committee") if row[c] is not None]
    )
    counts = Counter(
        row["estate"] for row in await Building.select(Building.estate).where(Building.estate.is_in(ids or [None]))
    )
    members = {
        row["estate"]: row
        for row in await AllianceMember.select(
            AllianceMember.estate,
            AllianceMember.role,
            AllianceMember.alliance,
            AllianceMember.alliance.name.as_alias("alliance_name"),
        )
        .where(AllianceMember.estate.is_in(ids or [None]))
        .output(load_json=True)
    }
    return {"bodies": bodies, "buildings": counts, "members": members}


async def estate(estate_id: uuid.UUID) -> dict[str, Any]:
    return await estate_row(estate_id)


async def buildings(estate_id: uuid.UUID) -> list[dict[str, Any]]:
    await estate_row(estate_id)
    rows = await Building.select(Building.id, Building.estate, Building.label).where(Building.estate == estate_id)
    counts = Counter(
        row["building"]
        for row in await Unit.select(Unit.building).where(Unit.building.is_in([r["id"] for r in rows] or [None]))
    )
    return sorted(({**row, "units": counts[row["id"]]} for row in rows), key=lambda r: (len(r["label"]), r["label"]))


async def units(building_id: uuid.UUID) -> list[dict[str, Any]]:
    if not await Building.exists().where(Building.id == building_id):
        raise errors.building_not_found()
    rows = await Unit.select(Unit.id, Unit.building, Unit.label, Unit.floor_area).where(Unit.building == building_id)
    return sorted(rows, key=lambda r: (len(r["label"]), r["label"]))


async def residents_of_estate(*, user_id: uuid.UUID, estate_id: uuid.UUID) -> dict[str, Any]:
    """How many residents say they live here, per building (staff whose role needs it only)."""
    row = await estate_row(estate_id)
    if not await access.may_read_estate(user_id, row):
        raise Forbidden()
    homes = await Residence.select(Residence.building).where(Residence.estate == estate_id)
    per_building = Counter(home["building"] for home in homes)
    labels = {
        b["id"]: b["label"]
        for b in await Building.select(Building.id, Building.label).where(Building.estate == estate_id)
    }
    return {"estate_id": estate_id, "residents": len(homes), "by_building": per_building, "labels": labels}


async def grid(grid_id: uuid.UUID, *, user_id: uuid.UUID) -> dict[str, Any]:
    """A grid, for community staff and its own grid workers."""
    found = await grid_of(grid_id)
    community_id = community_of_grid(found)
    if not await may(user_id=user_id, permission=Permission.view_places, organisation_id=grid_id):
        await access.require_manage(user_id, community_id)
    areas = (
        await GridArea.select(
            GridArea.estate,
            GridArea.estate.name.as_alias("estate_name"),
            GridArea.building,
            GridArea.building.label.as_alias("building_label"),
        )
        .where(GridArea.grid == grid_id)
        .output(load_json=True)
    )
    workers = await grid_workers(grid_id)
    return {"grid": found, "community_id": community_id, "areas": areas, "workers": workers}


async def grid_workers(grid_id: uuid.UUID) -> list[dict[str, Any]]:
    """The grid workers: staff, named in full (they act for the community)."""
    holders = await role_holders(grid_id, Role.grid_worker)
    names = await people_of(holders)
    return [{"user_id": h, "display_name": names[h].display_name} for h in holders if h in names]


async def building_heads(*, user_id: uuid.UUID, building_id: uuid.UUID) -> list[dict[str, Any]]:
    building = await building_row(building_id)
    await access.require_manage(user_id, building["community"])
    rows = await BuildingHead.select(BuildingHead.user, BuildingHead.appointed_at).where(
        BuildingHead.building == building_id
    )
    names = await people_of(row["user"] for row in rows)
    return [{**row, "display_name": names[row["user"]].display_name if row["user"] in names else ""} for row in rows]


# --- alliances --------------------------------------------------------------------------------------


async def list_alliances(*, community_id: uuid.UUID | None) -> list[dict[str, Any]]:
    query = Alliance.select().output(load_json=True).order_by(Alliance.created_at)
    if community_id is not None:
        query = query.where(Alliance.community == community_id)
    rows = await query
    counts = Counter(
        row["alliance"]
        for row in await AllianceMember.select(AllianceMember.alliance).where(
            AllianceMember.alliance.is_in([r["id"] for r in rows] or [None])
        )
    )
    return [{**row, "members": counts[row["id"]]} for row in rows]


async def alliance_page(alliance_id: uuid.UUID) -> dict[str, Any]:
    alliance = await alliance_row(alliance_id)
    members = (
        await AllianceMember.select(
            AllianceMember.estate,
            AllianceMember.role,
            AllianceMember.estate.name.as_alias("name"),
            AllianceMember.estate.kind.as_alias("kind"),
            AllianceMember.estate.property_company.as_alias("property_company"),
        )
        .where(AllianceMember.alliance == alliance_id)
        .output(load_json=True)
    )
    order = {"flagship": 0, "partner": 1, "allied": 2}
    members.sort(key=lambda m: order.get(m["role"], 3))
    companies = {m["property_company"] for m in members}
    shared = next(iter(companies)) if len(companies) == 1 and None not in companies else None
    documents = (
        await AllianceDocument.select(AllianceDocument.id, AllianceDocument.title, AllianceDocument.current_version)
        .where(AllianceDocument.alliance == alliance_id)
        .order_by(AllianceDocument.created_at)
        .output(load_json=True)
    )
    bodies = await organisations([shared] if shared else [])
    return {
        "alliance": alliance,
        "members": members,
        "shared": bodies.get(shared) if shared else None,
        "documents": documents,
    }


async def document(document_id: uuid.UUID, *, user_id: uuid.UUID | None) -> dict[str, Any]:
    """The current version's text and its acknowledgements per member estate (counts only)."""
    row = await document_row(document_id)
    version = (
        await DocumentVersion.select()
        .where((DocumentVersion.document == document_id) & (DocumentVersion.number == row["current_version"]))
        .output(load_json=True)
        .first()
    )
    if version is None:
        raise errors.document_not_found()
    acks = await Acknowledgement.select(Acknowledgement.estate, Acknowledgement.user).where(
        Acknowledgement.version == version["id"]
    )
    per_estate = Counter(a["estate"] for a in acks)
    members = (
        await AllianceMember.select(AllianceMember.estate, AllianceMember.estate.name.as_alias("name"))
        .where(AllianceMember.alliance == row["alliance"])
        .output(load_json=True)
    )
    mine = user_id is not None and any(a["user"] == user_id for a in acks)
    return {"document": row, "version": version, "per_estate": per_estate, "members": members, "mine": mine}


async def my_scope(user_id: uuid.UUID) -> list[str]:
    """Subtrees where the person manages places (for the console's lists)."""
    return await scope_paths(user_id=user_id, permission=Permission.manage_places)
