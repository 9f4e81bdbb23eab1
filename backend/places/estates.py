"""Estates, their buildings and units, as community staff keep them, and the units' CSV import.
Reading them is in ``queries.py``. Every change is one audit entry in its transaction."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import msgspec
from piccolo.columns import Column

from backend.accounts.api import OrganisationKind, organisation
from backend.core import clock
from backend.core.db import UNIQUE_VIOLATIONS, lock_row, transaction
from backend.core.i18n import N_, _
from backend.core.values import as_uuid
from backend.places import access, errors, trail
from backend.places.schemas import EstateCreate
from backend.places.tables import Building, Estate, Unit

AUDITED = (
    "name",
    "address",
    "kind",
    "latitude",
    "longitude",
    "year_built",
    "households",
    "property_company",
    "owners_committee",
    "has_owners_committee",
)
MAX_IMPORT_LINES = 5000
MAX_IMPORT_BYTES = 2 * 1024 * 1024
LABEL_LIMIT = 32


async def estate_row(estate_id: uuid.UUID) -> dict[str, Any]:
    row = await Estate.select().where(Estate.id == estate_id).output(load_json=True).first()
    if row is None:
        raise errors.estate_not_found()
    return row


async def _estate_for_staff(user_id: uuid.UUID | None, estate_id: uuid.UUID) -> dict[str, Any]:
    row = await estate_row(estate_id)
    await access.require_manage(user_id, row["community"])
    return row


async def _check_body(field: str, body_id: uuid.UUID | None, kind: OrganisationKind, community_path: str) -> None:
    """A property company or owners' committee of that kind, in the community or above it."""
    if body_id is None:
        return
    body = await organisation(body_id)
    if body is None or body.kind != kind.value:
        raise errors.organisation_kind_wrong(field, kind.value)
    parent_path = body.path[: -len(f"{body.id}/")]
    if not community_path.startswith(parent_path):
        raise errors.organisation_kind_wrong(field, kind.value)


def _audited(values: Mapping[str, Any]) -> dict[str, Any]:
    return {name: values[name] for name in AUDITED if name in values}


async def create_estate(*, user_id: uuid.UUID | None, data: EstateCreate) -> uuid.UUID:
    """A new estate in a community the caller manages places of."""
    community = await access.community_of(data.community_id)
    await access.require_manage(user_id, community.id)
    await _check_body(
        "property_company_id", data.property_company_id, OrganisationKind.property_company, community.path
    )
    await _check_body(
        "owners_committee_id", data.owners_committee_id, OrganisationKind.owners_committee, community.path
    )
    now = clock.now()
    estate = Estate(
        community=community.id,
        name=dict(data.name),
        address=dict(data.address),
        latitude=data.latitude,
        longitude=data.longitude,
        kind=data.kind,
        year_built=data.year_built,
        households=data.households,
        property_company=data.property_company_id,
        owners_committee=data.owners_committee_id,
        has_owners_committee=data.has_owners_committee or data.owners_committee_id is not None,
        created_at=now,
        updated_at=now,
    )
    async with transaction(Estate._meta.db):
        await estate.save()
        await trail.record(
            "estate_created",
            community_id=community.id,
            object_type="estate",
            object_id=estate.id,
            after=_audited(estate.to_dict()),
        )
    return as_uuid(estate.id)


def _values(changes: Mapping[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, value in changes.items():
        if value is msgspec.UNSET:
            continue
        column = {"property_company_id": "property_company", "owners_committee_id": "owners_committee"}.get(name, name)
        values[column] = dict(value) if name in ("name", "address") else value
    if values.get("owners_committee") is not None:
        values["has_owners_committee"] = True
    return values


async def update_estate(*, user_id: uuid.UUID | None, estate_id: uuid.UUID, changes: Mapping[str, Any]) -> None:
    """Details, kind, the property company and owners' committee attached."""
    values = _values(changes)
    async with transaction(Estate._meta.db):
        await lock_row(Estate._meta.db, Estate._meta.tablename, estate_id)
        row = await _estate_for_staff(user_id, estate_id)
        community = await access.community_of(row["community"])
        if "property_company" in values:
            kind = OrganisationKind.property_company
            await _check_body("property_company_id", values["property_company"], kind, community.path)
        if "owners_committee" in values:
            kind = OrganisationKind.owners_committee
            await _check_body("owners_committee_id", values["owners_committee"], kind, community.path)
        if values:
            columns: dict[Column | str, Any] = {Estate._meta.get_column_by_name(k): v for k, v in values.items()}
            await Estate.update({**columns, Estate.updated_at: clock.now()}).where(Estate.id == estate_id)
        before = _audited(row)
        await trail.record(
            "estate_changed",
            community_id=row["community"],
            object_type="estate",
            object_id=estate_id,
            before=before,
            after={**before, **_audited(values)},
        )


async def add_building(*, user_id: uuid.UUID | None, estate_id: uuid.UUID, label: str) -> uuid.UUID:
    building = Building(estate=estate_id, label=label, created_at=clock.now())
    async with transaction(Building._meta.db):
        row = await _estate_for_staff(user_id, estate_id)
        if await Building.exists().where((Building.estate == estate_id) & (Building.label == label)):
            raise errors.label_taken(label)
        try:
            await building.save()
        except UNIQUE_VIOLATIONS:
            raise errors.label_taken(label) from None
        await trail.record(
            "building_added",
            community_id=row["community"],
            object_type="building",
            object_id=building.id,
            after={"estate": estate_id, "label": label},
        )
    return as_uuid(building.id)


async def building_row(building_id: uuid.UUID, estate_id: uuid.UUID | None = None) -> dict[str, Any]:
    query = Building.select(
        Building.id, Building.estate, Building.label, Building.estate.community.as_alias("community")
    )
    row = await query.where(Building.id == building_id).first()
    if row is None or (estate_id is not None and row["estate"] != estate_id):
        raise errors.building_not_found()
    return row


async def add_unit(
    *, user_id: uuid.UUID | None, building_id: uuid.UUID, label: str, floor_area: float | None
) -> uuid.UUID:
    unit = Unit(building=building_id, label=label, floor_area=floor_area)
    async with transaction(Unit._meta.db):
        building = await building_row(building_id)
        await access.require_manage(user_id, building["community"])
        if await Unit.exists().where((Unit.building == building_id) & (Unit.label == label)):
            raise errors.label_taken(label)
        try:
            await unit.save()
        except UNIQUE_VIOLATIONS:
            raise errors.label_taken(label) from None
        await trail.record(
            "unit_added",
            community_id=building["community"],
            object_type="unit",
            object_id=unit.id,
            after={"building": building_id, "label": label, "floor_area": floor_area},
        )
    return as_uuid(unit.id)


# --- the CSV import ---------------------------------------------------------------------------------

HEADERS = {
    "building": "building",
    "楼栋": "building",
    "unit": "unit",
    "门牌": "unit",
    "floor_area": "floor_area",
    "面积": "floor_area",
}


@dataclass(frozen=True)
class ImportLine:
    line: int
    building: str
    unit: str
    floor_area: float | None


@dataclass(frozen=True)
class Imported:
    buildings_added: int
    units_added: int
    units_updated: int


def _problem(line: int, message: str, **params: Any) -> dict[str, Any]:
    # Said in the caller's language here: the edge translates only the error's own message.
    return {"line": line, "problem": _(message).format(**params)}


def _columns(header: list[str]) -> dict[str, int] | None:
    named = {HEADERS.get(cell.strip().lower()): i for i, cell in enumerate(header)}
    named.pop(None, None)
    return {str(k): v for k, v in named.items()} if {"building", "unit"} <= set(named) else None


def _parse_line(number: int, cells: list[str], columns: dict[str, int]) -> ImportLine | dict[str, Any]:
    def cell(name: str) -> str:
        index = columns.get(name)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    building, unit, area = cell("building"), cell("unit"), cell("floor_area")
    if not building or not unit:
        return _problem(number, N_("a building and a unit are both needed"))
    if len(building) > LABEL_LIMIT or len(unit) > LABEL_LIMIT:
        return _problem(number, N_("a label is longer than {limit} characters"), limit=LABEL_LIMIT)
    floor_area = None
    if area:
        try:
            floor_area = float(area)
        except ValueError:
            return _problem(number, N_("“{value}” is not a floor area in square metres"), value=area[:40])
        if not 0 < floor_area <= 100_000:
            return _problem(number, N_("“{value}” is not a floor area in square metres"), value=area[:40])
    return ImportLine(number, building, unit, floor_area)


def parse_units_csv(data: bytes) -> list[ImportLine]:
    """Every line, or ``import_invalid`` naming each line that is wrong: nothing half-imported."""
    if len(data) > MAX_IMPORT_BYTES:
        raise errors.file_too_large(MAX_IMPORT_BYTES // (1024 * 1024))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise errors.import_invalid([_problem(1, N_("the file is not UTF-8 text"))]) from None
    rows = list(csv.reader(io.StringIO(text, newline="")))
    columns = _columns(rows[0]) if rows else None
    if columns is None:
        raise errors.import_invalid([_problem(1, N_("the first line must name the columns building, unit"))])
    if len(rows) - 1 > MAX_IMPORT_LINES:
        raise errors.import_invalid([_problem(len(rows), N_("at most {limit} lines"), limit=MAX_IMPORT_LINES)])
    lines: list[ImportLine] = []
    problems: list[dict[str, Any]] = []
    seen: dict[tuple[str, str], int] = {}
    for number, cells in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        parsed = _parse_line(number, cells, columns)
        if isinstance(parsed, dict):
            problems.append(parsed)
        elif (parsed.building, parsed.unit) in seen:
            problems.append(
                _problem(number, N_("the same unit as line {other}"), other=seen[parsed.building, parsed.unit])
            )
        else:
            seen[parsed.building, parsed.unit] = number
            lines.append(parsed)
    if problems:
        raise errors.import_invalid(problems)
    if not lines:
        raise errors.import_invalid([_problem(2, N_("there are no units in the file"))])
    return lines


async def import_units(*, user_id: uuid.UUID | None, estate_id: uuid.UUID, data: bytes) -> Imported:
    """Buildings and units from a CSV, all or nothing: new buildings and units are added, a
    known unit's floor area is updated."""
    lines = parse_units_csv(data)
    async with transaction(Unit._meta.db):
        await lock_row(Estate._meta.db, Estate._meta.tablename, estate_id)
        estate = await _estate_for_staff(user_id, estate_id)
        buildings = {
            row["label"]: row["id"]
            for row in await Building.select(Building.id, Building.label).where(Building.estate == estate_id)
        }
        now = clock.now()
        new_buildings = [
            Building(estate=estate_id, label=label, created_at=now)
            for label in dict.fromkeys(line.building for line in lines)
            if label not in buildings
        ]
        if new_buildings:
            await Building.insert(*new_buildings)
            buildings.update({b.label: b.id for b in new_buildings})
        units = {
            (row["building"], row["label"]): row
            for row in await Unit.select(Unit.id, Unit.building, Unit.label, Unit.floor_area).where(
                Unit.building.is_in(list(buildings.values()))
            )
        }
        added, updated = [], 0
        for line in lines:
            known = units.get((buildings[line.building], line.unit))
            if known is None:
                added.append(Unit(building=buildings[line.building], label=line.unit, floor_area=line.floor_area))
            elif line.floor_area is not None and known["floor_area"] != line.floor_area:
                await Unit.update({Unit.floor_area: line.floor_area}).where(Unit.id == known["id"])
                updated += 1
        if added:
            await Unit.insert(*added)
        result = Imported(len(new_buildings), len(added), updated)
        await trail.record(
            "units_imported",
            community_id=estate["community"],
            object_type="estate",
            object_id=estate_id,
            after={
                "buildings_added": result.buildings_added,
                "units_added": result.units_added,
                "units_updated": result.units_updated,
            },
        )
    return result
