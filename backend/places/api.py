"""What other domains may use of places: where a resident lives, what an estate, grid or alliance
is, and which of them a point on the map falls in. Everything else in the package is private."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

import msgspec
from babel.lists import format_list
from piccolo.query.functions.aggregate import Count, Sum

from backend.accounts.api import OrganisationKind, organisation, organisations
from backend.core.errors import DomainError
from backend.core.geo import distance_m
from backend.core.i18n import N_, _, babel_locale, pick
from backend.core.values import as_uuid, as_uuid_or_none
from backend.places.queries import SMALL_CELL as SMALL_CELL
from backend.places.queries import suppressed as suppressed
from backend.places.residences import set_residence as set_residence
from backend.places.schemas import ResidencePut as ResidencePut
from backend.places.tables import Alliance, AllianceMember, Building, Estate, EstateKind, GridArea, Residence, Unit

# --- aiming (events, teams, shifts) ---------------------------------------------------------------
#
# An event, a team or a shift may be open to everyone, or aimed at residents of given estates, of
# an alliance's estates or of what a grid covers. The aiming domain keeps the aim (kind and ids);
# places says what the ids are, whether they lie within the organiser's reach, and where a
# resident lives, so eligibility is decided the same way everywhere.

AIM_KINDS = ("everyone", "estates", "alliance", "grid")


@dataclass(frozen=True)
class Home:
    """Where a resident lives, as aiming needs it: never shown to anyone else."""

    estate_id: uuid.UUID
    building_id: uuid.UUID | None
    community_id: uuid.UUID
    alliance_id: uuid.UUID | None
    grid_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)
    unit_id: uuid.UUID | None = None  # the household (门牌), where they gave it


@dataclass(frozen=True)
class Aim:
    """What an event, team or shift is aimed at."""

    kind: str = "everyone"
    estate_ids: tuple[uuid.UUID, ...] = ()
    alliance_id: uuid.UUID | None = None
    grid_id: uuid.UUID | None = None


@dataclass(frozen=True)
class AimChecked:
    """An aim found valid: its community and the estates it reaches (for seats per estate)."""

    community_id: uuid.UUID | None
    estate_ids: frozenset[uuid.UUID]


_HOME_SQL = """
SELECT r.estate AS estate, r.building AS building, r.unit AS unit, e.community AS community,
       m.alliance AS alliance, g.grid AS grid
FROM places_residence r
JOIN places_estate e ON e.id = r.estate
LEFT JOIN places_alliance_member m ON m.estate = r.estate
LEFT JOIN places_grid_area g ON g.estate = r.estate AND (g.building IS NULL OR g.building = r.building)
WHERE r."user" = {}
"""


async def home_of(user_id: uuid.UUID) -> Home | None:
    """The resident's estate, building, community, alliance and grids, in one query; None when
    they have not said where they live."""
    rows = await Residence.raw(_HOME_SQL, user_id)
    if not rows:
        return None
    first = rows[0]
    return Home(
        estate_id=as_uuid(first["estate"]),
        building_id=as_uuid(first["building"]) if first["building"] is not None else None,
        community_id=as_uuid(first["community"]),
        alliance_id=as_uuid(first["alliance"]) if first["alliance"] is not None else None,
        grid_ids=frozenset(as_uuid(row["grid"]) for row in rows if row["grid"] is not None),
        unit_id=as_uuid(first["unit"]) if first["unit"] is not None else None,
    )


def lives_within(home: Home | None, aim: Aim) -> bool:
    """Whether someone living at ``home`` is among an aim's residents."""
    if aim.kind == "everyone":
        return True
    if home is None:
        return False
    if aim.kind == "estates":
        return home.estate_id in aim.estate_ids
    if aim.kind == "alliance":
        return aim.alliance_id is not None and home.alliance_id == aim.alliance_id
    return aim.grid_id is not None and aim.grid_id in home.grid_ids


def aim_place_unknown(place_id: uuid.UUID) -> DomainError:
    return DomainError(
        "aim_place_unknown",
        N_("There is no such estate, alliance or grid: {place_id}."),
        params={"place_id": str(place_id)},
        status=422,
    )


def aim_out_of_reach() -> DomainError:
    return DomainError(
        "aim_out_of_reach",
        N_("You can aim only at estates, an alliance or a grid of the organiser's own community."),
        status=422,
    )


def aim_incomplete() -> DomainError:
    return DomainError(
        "aim_incomplete",
        N_("Name the estates, the alliance or the grid this is for (and nothing else)."),
        status=422,
    )


async def _estate_communities(estate_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    rows = await Estate.select(Estate.id, Estate.community).where(Estate.id.is_in(list(estate_ids) or [None]))
    return {as_uuid(row["id"]): as_uuid(row["community"]) for row in rows}


async def _aim_community_and_estates(aim: Aim) -> AimChecked:
    if aim.kind == "estates":
        found = await _estate_communities(aim.estate_ids)
        for estate_id in aim.estate_ids:
            if estate_id not in found:
                raise aim_place_unknown(estate_id)
        if len(set(found.values())) != 1:
            raise aim_out_of_reach()
        return AimChecked(next(iter(found.values())), frozenset(found))
    if aim.kind == "alliance":
        assert aim.alliance_id is not None
        row = await Alliance.select(Alliance.community).where(Alliance.id == aim.alliance_id).first()
        if row is None:
            raise aim_place_unknown(aim.alliance_id)
        members = await AllianceMember.select(AllianceMember.estate).where(AllianceMember.alliance == aim.alliance_id)
        return AimChecked(as_uuid(row["community"]), frozenset(as_uuid(m["estate"]) for m in members))
    assert aim.grid_id is not None
    grid = await organisation(aim.grid_id)
    if grid is None or grid.kind != OrganisationKind.grid.value:
        raise aim_place_unknown(aim.grid_id)
    areas = await GridArea.select(GridArea.estate).where(GridArea.grid == aim.grid_id)
    return AimChecked(uuid.UUID(grid.path.strip("/").split("/")[-2]), frozenset(as_uuid(a["estate"]) for a in areas))


async def check_aim(aim: Aim, *, organiser_id: uuid.UUID) -> AimChecked:
    """The aim's places exist and lie in the organiser's reach: its community is the organising
    organisation, above it or below it (a street's station may aim at its communities' estates;
    a community at its own, not a neighbour's). 422 otherwise."""
    if aim.kind not in AIM_KINDS:
        raise aim_incomplete()
    named = (bool(aim.estate_ids), aim.alliance_id is not None, aim.grid_id is not None)
    expected = {
        "everyone": (False, False, False),
        "estates": (True, False, False),
        "alliance": (False, True, False),
        "grid": (False, False, True),
    }
    if named != expected[aim.kind]:
        raise aim_incomplete()
    if aim.kind == "everyone":
        return AimChecked(None, frozenset())
    checked = await _aim_community_and_estates(aim)
    found = await organisations([organiser_id, checked.community_id] if checked.community_id else [organiser_id])
    organiser, community = found.get(organiser_id), found.get(checked.community_id) if checked.community_id else None
    if organiser is None or community is None:
        raise aim_out_of_reach()
    if not (community.path.startswith(organiser.path) or organiser.path.startswith(community.path)):
        raise aim_out_of_reach()
    return checked


@dataclass(frozen=True)
class AimNames:
    """{id: {locale: name}} of the estates, alliances and grids named by some aims."""

    estates: Mapping[uuid.UUID, Mapping[str, str]]
    alliances: Mapping[uuid.UUID, Mapping[str, str]]
    grids: Mapping[uuid.UUID, Mapping[str, str]]


async def aim_names(
    *, estate_ids: Iterable[uuid.UUID] = (), alliance_ids: Iterable[uuid.UUID] = (), grid_ids: Iterable[uuid.UUID] = ()
) -> AimNames:
    """Names for answers, at most three queries however many aims are shown."""
    estates_wanted, alliances_wanted = list(set(estate_ids)), list(set(alliance_ids))
    estates: dict[uuid.UUID, Any] = {}
    alliances: dict[uuid.UUID, Any] = {}
    if estates_wanted:
        rows = await Estate.select(Estate.id, Estate.name).where(Estate.id.is_in(estates_wanted)).output(load_json=True)
        estates = {as_uuid(r["id"]): r["name"] or {} for r in rows}
    if alliances_wanted:
        rows = (
            await Alliance.select(Alliance.id, Alliance.name)
            .where(Alliance.id.is_in(alliances_wanted))
            .output(load_json=True)
        )
        alliances = {as_uuid(r["id"]): r["name"] or {} for r in rows}
    grids = {ref.id: ref.name for ref in (await organisations(grid_ids)).values()}
    return AimNames(estates=estates, alliances=alliances, grids=grids)


async def alliance_exists(alliance_id: uuid.UUID) -> bool:
    return await Alliance.exists().where(Alliance.id == alliance_id)


# Teams and shifts embed these (events have their own, with seats per estate).
AimKindCode = Literal["everyone", "estates", "alliance", "grid"]


class AimIn(msgspec.Struct, forbid_unknown_fields=True):
    """Who may join or sign up, by where they live (said in their profile, with consent):
    everyone, residents of given estates, of an alliance's estates, or of what a grid covers."""

    kind: Annotated[AimKindCode, msgspec.Meta(examples=["estates"])] = "everyone"
    estate_ids: Annotated[list[uuid.UUID], msgspec.Meta(max_length=50, description="with kind estates")] = []
    alliance_id: Annotated[uuid.UUID | None, msgspec.Meta(description="with kind alliance")] = None
    grid_id: Annotated[uuid.UUID | None, msgspec.Meta(description="with kind grid")] = None

    def aim(self) -> Aim:
        return Aim(
            kind=self.kind,
            estate_ids=tuple(dict.fromkeys(self.estate_ids)),
            alliance_id=self.alliance_id,
            grid_id=self.grid_id,
        )


class PlaceName(msgspec.Struct):
    id: uuid.UUID
    name: str


class AimRead(msgspec.Struct):
    """Whom something is for, by where they live; never anyone's residence."""

    kind: AimKindCode
    label: Annotated[
        str, msgspec.Meta(description="for people, in the reader's language", examples=["For residents of 南园·锦绣苑"])
    ]
    estates: list[PlaceName]
    alliance: PlaceName | None
    grid: PlaceName | None


def aim_of(row: Mapping[str, Any]) -> Aim:
    """An aim stored as columns ``aim``, ``aim_estates`` (a JSON list), ``aim_alliance``, ``aim_grid``."""
    estates = row.get("aim_estates") or ()
    if isinstance(estates, str | bytes):  # a row read without load_json holds the JSON text
        estates = msgspec.json.decode(estates)
    return Aim(
        kind=row["aim"] or "everyone",
        estate_ids=tuple(as_uuid(e) for e in estates),
        alliance_id=as_uuid(row["aim_alliance"]) if row.get("aim_alliance") else None,
        grid_id=as_uuid(row["aim_grid"]) if row.get("aim_grid") else None,
    )


def aim_columns(aim: Aim) -> dict[str, Any]:
    return {
        "aim": aim.kind,
        "aim_estates": [str(e) for e in aim.estate_ids],
        "aim_alliance": aim.alliance_id,
        "aim_grid": aim.grid_id,
    }


async def names_for(aims: Iterable[Aim]) -> AimNames:
    aims = list(aims)
    return await aim_names(
        estate_ids=[e for a in aims for e in a.estate_ids],
        alliance_ids=[a.alliance_id for a in aims if a.alliance_id],
        grid_ids=[a.grid_id for a in aims if a.grid_id],
    )


def aim_words(aim: Aim, names: AimNames, locale: str | None = None) -> str:
    """Whom an aim is for, in the reader's language: "南园·安置小区 and 南园·锦绣苑" (estates in
    name order), an alliance's or a grid's name."""
    if aim.kind == "estates":
        estates = sorted(pick(names.estates.get(e, {}))[0] for e in aim.estate_ids)
        return format_list(estates, locale=babel_locale(locale))
    if aim.kind == "alliance" and aim.alliance_id:
        return pick(names.alliances.get(aim.alliance_id, {}))[0]
    if aim.grid_id:
        return pick(names.grids.get(aim.grid_id, {}))[0]
    return ""


def aim_read(aim: Aim, names: AimNames) -> AimRead:
    if aim.kind == "everyone":
        label = _("Open to everyone")
    elif aim.kind == "alliance":
        label = _("For residents of the estates of {alliance}").format(alliance=aim_words(aim, names))
    elif aim.kind == "grid":
        label = _("For residents of the grid {grid}").format(grid=aim_words(aim, names))
    else:
        label = _("For residents of {estates}").format(estates=aim_words(aim, names))
    return AimRead(
        kind=aim.kind,  # type: ignore[arg-type]  # one of AIM_KINDS, checked when it was set
        label=label,
        estates=sorted(
            (PlaceName(id=e, name=pick(names.estates.get(e, {}))[0]) for e in aim.estate_ids), key=lambda p: p.name
        ),
        alliance=PlaceName(id=aim.alliance_id, name=pick(names.alliances.get(aim.alliance_id, {}))[0])
        if aim.alliance_id
        else None,
        grid=PlaceName(id=aim.grid_id, name=pick(names.grids.get(aim.grid_id, {}))[0]) if aim.grid_id else None,
    )


_REFUSALS = {
    # (what, has a residence): the reason, said so that the resident knows what to do
    ("team", False): N_("This team is for residents of {places}; set where you live in your profile."),
    ("team", True): N_("This team is for residents of {places}."),
    ("shift", False): N_("This shift is for residents of {places}; set where you live in your profile."),
    ("shift", True): N_("This shift is for residents of {places}."),
}


async def require_resident(*, user_id: uuid.UUID, aim: Aim, what: Literal["team", "shift"]) -> None:
    """403 with the reason unless the person lives where the aim says: ``residence_required``
    when they have not said where they live, ``not_for_your_estate`` when they live elsewhere."""
    if aim.kind == "everyone":
        return
    home = await home_of(user_id)
    if lives_within(home, aim):
        return
    places = aim_words(aim, await names_for([aim]))
    raise DomainError(
        "residence_required" if home is None else "not_for_your_estate",
        _REFUSALS[(what, home is not None)],
        params={"places": places},
        status=403,
    )


# --- estates, and where a resident lives (governance meetings: audiences and participation) ----


@dataclass(frozen=True)
class EstateRef:
    id: uuid.UUID
    community_id: uuid.UUID
    name: dict[str, str]
    kind: str  # an EstateKind value: commercial, affordable, improved, resettlement
    property_company_id: uuid.UUID | None = None


def _estate(row: dict[str, Any]) -> EstateRef:
    return EstateRef(
        id=as_uuid(row["id"]),
        community_id=as_uuid(row["community"]),
        name=row["name"] or {},
        kind=row["kind"],
        property_company_id=as_uuid(row["property_company"]) if row["property_company"] else None,
    )


_ESTATE_COLUMNS = (Estate.id, Estate.community, Estate.name, Estate.kind, Estate.property_company)


async def estates(estate_ids: list[uuid.UUID]) -> dict[uuid.UUID, EstateRef]:
    """The estates among these ids that exist, by id."""
    if not estate_ids:
        return {}
    rows = await Estate.select(*_ESTATE_COLUMNS).where(Estate.id.is_in(list(set(estate_ids)))).output(load_json=True)
    return {ref.id: ref for ref in map(_estate, rows)}


async def estates_of_community(community_id: uuid.UUID) -> list[EstateRef]:
    rows = await Estate.select(*_ESTATE_COLUMNS).where(Estate.community == community_id).output(load_json=True)
    return [_estate(row) for row in rows]


async def alliance_estates(alliance_id: uuid.UUID) -> list[EstateRef]:
    """The member estates of an alliance (none for an unknown one)."""
    rows = await AllianceMember.select(AllianceMember.estate).where(AllianceMember.alliance == alliance_id)
    return list((await estates([as_uuid(row["estate"]) for row in rows])).values())


async def grid_estates(grid_id: uuid.UUID) -> list[EstateRef]:
    """The estates a grid covers, wholly or in part (none for an unknown grid)."""
    rows = await GridArea.select(GridArea.estate).where(GridArea.grid == grid_id)
    return list((await estates([as_uuid(row["estate"]) for row in rows])).values())


@dataclass(frozen=True)
class ResidenceRef:
    """Where a resident says they live (with consent): the estate, its community and kind."""

    user_id: uuid.UUID
    estate_id: uuid.UUID
    community_id: uuid.UUID
    estate_kind: str


async def residence_of(user_id: uuid.UUID) -> ResidenceRef | None:
    row = (
        await Residence.select(
            Residence.estate, Residence.estate.community.as_alias("community"), Residence.estate.kind.as_alias("kind")
        )
        .where(Residence.user == user_id)
        .first()
    )
    if row is None:
        return None
    return ResidenceRef(
        user_id=user_id,
        estate_id=as_uuid(row["estate"]),
        community_id=as_uuid(row["community"]),
        estate_kind=row["kind"],
    )


# --- for governance surveys: who may answer, and an estate's units for owners' polls ---------------


@dataclass(frozen=True)
class UnitTotals:
    """An estate's imported units: how many, how many have a floor area, and the area's sum."""

    units: int
    with_area: int
    area: float


async def estate_ref(estate_id: uuid.UUID) -> EstateRef | None:
    return (await estates([estate_id])).get(estate_id)


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


async def estate_briefs_of_community(community_id: uuid.UUID) -> list[EstateBrief]:
    """Every estate of the community with its property company, by name."""
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


async def community_alliances(community_id: uuid.UUID) -> list[tuple[uuid.UUID, dict[str, str]]]:
    """The community's estate alliance (one at most), as (id, {locale: name}): a survey may be for it."""
    rows = (
        await Alliance.select(Alliance.id, Alliance.name)
        .where(Alliance.community == community_id)
        .output(load_json=True)
    )
    return [(as_uuid(row["id"]), row["name"] or {}) for row in rows]
