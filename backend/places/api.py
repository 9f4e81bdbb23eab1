"""What other domains may use of places: where a resident lives, what an estate, grid or alliance
is, and which of them a point on the map falls in. Everything else in the package is private."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from backend.core.errors import DomainError
from backend.core.geo import distance_m
from backend.core.i18n import N_, _
from backend.core.values import as_uuid, as_uuid_or_none
from backend.places.tables import Alliance, AllianceMember, Building, Estate, EstateKind, GridArea

# --- reports and counts ---------------------------------------------------------------------------
#
# A point falls in the nearest estate of the community whose recorded location (its gate or
# centre, GCJ-02) is within ESTATE_RADIUS_M. Estates carry a point, not an outline: the city's
# registers give an address and a point, an outline would be drawn by hand for every estate, and
# in 南园 the demo estates' gates lie 500 metres or more apart, so the nearest one within 350 metres
# is the right one for a report made on the spot. A reporter who knows better names the estate or
# building, which always wins over the point.

ESTATE_RADIUS_M = 350.0
ESTATE_KINDS: tuple[str, ...] = tuple(kind.value for kind in EstateKind)
_KIND_NAMES = {
    EstateKind.commercial.value: N_("Commercial housing"),
    EstateKind.affordable.value: N_("Affordable housing"),
    EstateKind.improved.value: N_("Improved housing"),
    EstateKind.resettlement.value: N_("Resettlement housing"),
}


def estate_kind_name(kind: str) -> str:
    """商品房, 保障型, 改善型, 拆迁安置 in the reader's language."""
    return _(_KIND_NAMES[kind])


@dataclass(frozen=True)
class PlaceOfReport:
    """Where a report fell: its estate and the grid that covers it (``None`` when none does),
    the estate's property company and owners' committee, and how the estate was found
    (``building``, ``estate`` or ``point``)."""

    estate_id: uuid.UUID
    estate_name: dict[str, str]
    estate_kind: str
    building_id: uuid.UUID | None
    grid_id: uuid.UUID | None
    property_company_id: uuid.UUID | None
    owners_committee_id: uuid.UUID | None
    found_by: str
    distance_m: float | None = None


def _place_not_in_community() -> DomainError:
    return DomainError(
        "place_not_in_community", N_("This estate or building is not in the community reported to."), status=422
    )


async def _grid_of(estate_id: uuid.UUID, building_id: uuid.UUID | None) -> uuid.UUID | None:
    """The grid covering the building, else the one covering the whole estate; for an estate whose
    buildings are split between grids and no building named, the grid only when there is one."""
    areas = await GridArea.select(GridArea.grid, GridArea.building).where(GridArea.estate == estate_id)
    if building_id is not None:
        for area in areas:
            if area["building"] == building_id:
                return as_uuid(area["grid"])
    whole = [area["grid"] for area in areas if area["building"] is None]
    if whole:
        return as_uuid(whole[0])
    grids = {as_uuid(area["grid"]) for area in areas}
    return grids.pop() if building_id is None and len(grids) == 1 else None


def _place(row: dict[str, Any], building_id: uuid.UUID | None, grid: uuid.UUID | None, **how: Any) -> PlaceOfReport:
    return PlaceOfReport(
        estate_id=as_uuid(row["id"]),
        estate_name=dict(row["name"] or {}),
        estate_kind=row["kind"],
        building_id=building_id,
        grid_id=grid,
        property_company_id=as_uuid_or_none(row["property_company"]),
        owners_committee_id=as_uuid_or_none(row["owners_committee"]) if row["has_owners_committee"] else None,
        **how,
    )


async def place_of_report(
    *,
    community_id: uuid.UUID,
    latitude: float | None = None,
    longitude: float | None = None,
    estate_id: uuid.UUID | None = None,
    building_id: uuid.UUID | None = None,
) -> PlaceOfReport | None:
    """The estate (and grid) a report in ``community_id`` falls in: the building or estate it
    names (422 ``place_not_in_community`` when that is elsewhere), else the nearest estate within
    ``ESTATE_RADIUS_M`` of its point; ``None`` when it names nothing and its point is in no estate."""
    columns = (
        Estate.id,
        Estate.community,
        Estate.name,
        Estate.kind,
        Estate.latitude,
        Estate.longitude,
        Estate.property_company,
        Estate.owners_committee,
        Estate.has_owners_committee,
    )
    if building_id is not None:
        building = await Building.select(Building.estate).where(Building.id == building_id).first()
        if building is None or (estate_id is not None and as_uuid(building["estate"]) != estate_id):
            raise _place_not_in_community()
        estate_id = as_uuid(building["estate"])
    if estate_id is not None:
        row = await Estate.select(*columns).where(Estate.id == estate_id).output(load_json=True).first()
        if row is None or as_uuid(row["community"]) != community_id:
            raise _place_not_in_community()
        found_by = "building" if building_id is not None else "estate"
        return _place(row, building_id, await _grid_of(estate_id, building_id), found_by=found_by)
    if latitude is None or longitude is None:
        return None
    rows = (
        await Estate.select(*columns)
        .where((Estate.community == community_id) & Estate.latitude.is_not_null() & Estate.longitude.is_not_null())
        .output(load_json=True)
    )
    measured = sorted(
        ((distance_m(latitude, longitude, r["latitude"], r["longitude"]), str(r["id"]), r) for r in rows),
        key=lambda item: (item[0], item[1]),
    )
    if not measured or measured[0][0] > ESTATE_RADIUS_M:
        return None
    distance, _, row = measured[0]
    return _place(row, None, await _grid_of(as_uuid(row["id"]), None), found_by="point", distance_m=round(distance))


@dataclass(frozen=True)
class EstateBrief:
    id: uuid.UUID
    community_id: uuid.UUID
    name: dict[str, str]
    kind: str
    property_company_id: uuid.UUID | None


async def estates_of_community(community_id: uuid.UUID) -> list[EstateBrief]:
    """Every estate of the community, by name."""
    rows = (
        await Estate.select(Estate.id, Estate.community, Estate.name, Estate.kind, Estate.property_company)
        .where(Estate.community == community_id)
        .output(load_json=True)
    )
    return _briefs(rows)


async def estates_by_id(estate_ids: Iterable[uuid.UUID]) -> list[EstateBrief]:
    """Those of the estates that exist, by name."""
    wanted = list(set(estate_ids))
    if not wanted:
        return []
    rows = (
        await Estate.select(Estate.id, Estate.community, Estate.name, Estate.kind, Estate.property_company)
        .where(Estate.id.is_in(wanted))
        .output(load_json=True)
    )
    return _briefs(rows)


def _briefs(rows: list[dict[str, Any]]) -> list[EstateBrief]:
    found = [
        EstateBrief(
            as_uuid(r["id"]),
            as_uuid(r["community"]),
            dict(r["name"] or {}),
            r["kind"],
            as_uuid_or_none(r["property_company"]),
        )
        for r in rows
    ]
    return sorted(found, key=lambda e: (e.name.get("zh-Hans", ""), str(e.id)))


async def estate_names(estate_ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, dict[str, str]]:
    """{estate id: {locale: name}} of those that exist."""
    wanted = list({i for i in estate_ids if i is not None})
    if not wanted:
        return {}
    rows = await Estate.select(Estate.id, Estate.name).where(Estate.id.is_in(wanted)).output(load_json=True)
    return {as_uuid(r["id"]): dict(r["name"] or {}) for r in rows}


@dataclass(frozen=True)
class AllianceEstates:
    alliance_id: uuid.UUID
    community_id: uuid.UUID
    estate_ids: list[uuid.UUID]


async def alliance_estates(alliance_id: uuid.UUID) -> AllianceEstates | None:
    alliance = await Alliance.select(Alliance.community).where(Alliance.id == alliance_id).first()
    if alliance is None:
        return None
    rows = await AllianceMember.select(AllianceMember.estate).where(AllianceMember.alliance == alliance_id)
    return AllianceEstates(alliance_id, as_uuid(alliance["community"]), [as_uuid(r["estate"]) for r in rows])


# The alliance page's participation per member estate is counted by inclusion, a later domain:
# places names the figures' shape and the app state key, inclusion's manifest puts the function
# there (an app hook), and the page shows no figures in an app without it.
ESTATE_FIGURES_STATE = "places_estate_figures"


@dataclass(frozen=True)
class EstateMonthFigures:
    """One member estate's month: residents who said they live there, how many of them took part,
    the share; ``None`` where a cell is under five people (suppressed)."""

    estate_id: uuid.UUID
    month: str
    residents: int | None
    participants: int | None
    participation_rate: float | None


EstateFigures = Callable[[Sequence[uuid.UUID]], Awaitable[list[EstateMonthFigures]]]
