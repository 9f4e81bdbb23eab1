"""What other domains may use of places: where a resident lives, what an estate, grid or alliance
is, and which of them a point on the map falls in. Everything else in the package is private."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from backend.core.values import as_uuid
from backend.places.tables import AllianceMember, Estate, GridArea, Residence

# --- estates, and where a resident lives (governance meetings: audiences and participation) ----


@dataclass(frozen=True)
class EstateRef:
    id: uuid.UUID
    community_id: uuid.UUID
    name: dict[str, str]
    kind: str  # an EstateKind value: commercial, affordable, improved, resettlement


def _estate(row: dict[str, Any]) -> EstateRef:
    return EstateRef(
        id=as_uuid(row["id"]), community_id=as_uuid(row["community"]), name=row["name"] or {}, kind=row["kind"]
    )


_ESTATE_COLUMNS = (Estate.id, Estate.community, Estate.name, Estate.kind)


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
