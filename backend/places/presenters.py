"""Places' rows as the API's answers, in the reader's language."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any, cast

from backend.core.i18n import pick, pick_content
from backend.core.values import as_uuid, mask_name
from backend.places import queries
from backend.places.api import EstateMonthFigures
from backend.places.schemas import (
    AllianceListItem,
    AllianceMemberRead,
    AllianceRead,
    BuildingHeadRead,
    BuildingRead,
    DocumentBrief,
    DocumentRead,
    EstateAcknowledgements,
    EstateAlliance,
    EstateKindCode,
    EstateMonthRead,
    EstateRead,
    EstateResidentsRead,
    GridAreaRead,
    GridRead,
    OrganisationBrief,
    PlaceBrief,
    ResidenceCount,
    ResidenceRead,
    StaffBrief,
    UnitRead,
)


def _text(content: Mapping[str, str] | None) -> str:
    return pick(content)[0]


def _body(ref: Any) -> OrganisationBrief | None:
    return OrganisationBrief(id=ref.id, name=_text(ref.name)) if ref is not None else None


def estates(rows: list[dict[str, Any]], details: dict[str, Any]) -> list[EstateRead]:
    return [estate(row, details) for row in rows]


def estate(row: dict[str, Any], details: dict[str, Any]) -> EstateRead:
    member = details["members"].get(row["id"])
    bodies = details["bodies"]
    return EstateRead(
        id=as_uuid(row["id"]),
        community_id=as_uuid(row["community"]),
        name=_text(row["name"]),
        names=dict(row["name"] or {}),
        address=_text(row["address"]),
        kind=cast(EstateKindCode, row["kind"]),
        latitude=row["latitude"],
        longitude=row["longitude"],
        year_built=row["year_built"],
        households=row["households"],
        property_company=_body(bodies.get(row["property_company"])),
        owners_committee=_body(bodies.get(row["owners_committee"])),
        has_owners_committee=bool(row["has_owners_committee"]),
        buildings=details["buildings"][row["id"]],
        alliance=EstateAlliance(
            id=as_uuid(member["alliance"]), name=_text(member["alliance_name"]), role=member["role"]
        )
        if member
        else None,
    )


def buildings(rows: list[dict[str, Any]]) -> list[BuildingRead]:
    return [BuildingRead(id=r["id"], estate_id=r["estate"], label=r["label"], units=r["units"]) for r in rows]


def units(rows: list[dict[str, Any]]) -> list[UnitRead]:
    return [UnitRead(id=r["id"], building_id=r["building"], label=r["label"], floor_area=r["floor_area"]) for r in rows]


def residents(found: dict[str, Any]) -> EstateResidentsRead:
    labels: dict[Any, str] = found["labels"]
    cells = [
        ResidenceCount(building_id=b, label=labels.get(b) if b else None, residents=queries.suppressed(n))
        for b, n in sorted(found["by_building"].items(), key=lambda item: labels.get(item[0], ""))
    ]
    return EstateResidentsRead(
        estate_id=found["estate_id"], residents=queries.suppressed(found["residents"]), by_building=cells
    )


def grid(found: dict[str, Any]) -> GridRead:
    return GridRead(
        id=found["grid"].id,
        community_id=found["community_id"],
        name=_text(found["grid"].name),
        areas=[
            GridAreaRead(
                estate_id=a["estate"],
                estate_name=_text(a["estate_name"]),
                building_id=a["building"],
                building_label=a["building_label"],
            )
            for a in found["areas"]
        ],
        workers=[StaffBrief(user_id=w["user_id"], display_name=w["display_name"]) for w in found["workers"]],
    )


def heads(rows: list[dict[str, Any]]) -> list[BuildingHeadRead]:
    return [
        BuildingHeadRead(user_id=r["user"], display_name=mask_name(r["display_name"]), appointed_at=r["appointed_at"])
        for r in rows
    ]


def residence(row: dict[str, Any]) -> ResidenceRead:
    return ResidenceRead(
        estate=PlaceBrief(id=row["estate"], name=_text(row["estate_name"])),
        community_id=row["community"],
        building=PlaceBrief(id=row["building"], name=row["building_label"]) if row["building"] else None,
        unit=PlaceBrief(id=row["unit"], name=row["unit_label"]) if row["unit"] else None,
        consented_at=row["consented_at"],
        updated_at=row["updated_at"],
    )


def alliances(rows: list[dict[str, Any]]) -> list[AllianceListItem]:
    return [
        AllianceListItem(id=r["id"], community_id=r["community"], name=_text(r["name"]), members=r["members"])
        for r in rows
    ]


def _participation(figures: Sequence[EstateMonthFigures], estate_id: Any) -> list[EstateMonthRead]:
    return [
        EstateMonthRead(
            month=f.month, residents=f.residents, participants=f.participants, participation_rate=f.participation_rate
        )
        for f in figures
        if f.estate_id == estate_id
    ]


def alliance(page: dict[str, Any], figures: Sequence[EstateMonthFigures] = ()) -> AllianceRead:
    """The page; ``figures``: the member estates' participation where the app counts it."""
    row = page["alliance"]
    return AllianceRead(
        id=row["id"],
        community_id=row["community"],
        name=_text(row["name"]),
        names=dict(row["name"] or {}),
        members=[
            AllianceMemberRead(
                estate_id=m["estate"],
                name=_text(m["name"]),
                kind=m["kind"],
                role=m["role"],
                participation=_participation(figures, as_uuid(m["estate"])),
            )
            for m in page["members"]
        ],
        shared_property_company=_body(page["shared"]),
        documents=[
            DocumentBrief(id=d["id"], title=_text(d["title"]), version=d["current_version"]) for d in page["documents"]
        ],
        events_url=f"/api/v1/events?alliance={row['id']}",
        fellowship_events_url=f"/api/v1/events?alliance={row['id']}&fellowship=true",
        teams_url=f"/api/v1/teams?alliance={row['id']}",
    )


def document(found: dict[str, Any]) -> DocumentRead:
    row, version = found["document"], found["version"]
    text = pick_content(version["body"])
    per_estate: dict[uuid.UUID, int] = found["per_estate"]
    return DocumentRead(
        id=row["id"],
        alliance_id=row["alliance"],
        title=_text(row["title"]),
        version=version["number"],
        body=text.text,
        locale=text.locale,
        converted=text.converted,
        published_at=version["published_at"],
        acknowledged_by_me=found["mine"],
        acknowledgements=[
            EstateAcknowledgements(
                estate_id=m["estate"], name=_text(m["name"]), acknowledged=queries.suppressed(per_estate[m["estate"]])
            )
            for m in found["members"]
        ],
    )
