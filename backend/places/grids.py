"""Grids (网格): an organisation of kind ``grid`` under a community, covering estates or buildings
of that community, with grid workers holding the ``grid_worker`` role there (so the one guard,
``require``, answers for them as for everyone), and building heads (楼道长) appointed per building.

A building head is a places-level assignment, not an organisation with a role: a community has
hundreds of buildings, and a building head is a resident who helps, with no staff permission."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from backend.accounts.api import (
    OrganisationKind,
    Role,
    create_organisation,
    grant_role,
    organisation,
    person,
    revoke_role,
)
from backend.core import clock
from backend.core.db import UNIQUE_VIOLATIONS, lock_row, transaction
from backend.core.values import as_uuid, mask_name
from backend.places import access, errors, trail
from backend.places.estates import building_row
from backend.places.schemas import GridAreaIn
from backend.places.tables import Building, BuildingHead, Estate, GridArea


async def grid_of(grid_id: uuid.UUID) -> Any:
    found = await organisation(grid_id)
    if found is None or found.kind != OrganisationKind.grid.value:
        raise errors.grid_not_found()
    return found


def community_of_grid(grid: Any) -> uuid.UUID:
    """A grid's community is its parent: the second-last part of its path."""
    return uuid.UUID(grid.path.strip("/").split("/")[-2])


async def _areas(community_id: uuid.UUID, areas: Sequence[GridAreaIn]) -> list[tuple[uuid.UUID, uuid.UUID | None]]:
    wanted = list(dict.fromkeys((a.estate_id, a.building_id) for a in areas))
    estates = {
        row["id"]: row["community"]
        for row in await Estate.select(Estate.id, Estate.community).where(
            Estate.id.is_in([e for e, _ in wanted] or [uuid.uuid4()])
        )
    }
    for estate_id, building_id in wanted:
        if estates.get(estate_id) != community_id:
            raise errors.area_outside_community()
        if building_id is not None:
            await building_row(building_id, estate_id)
    return wanted


async def _save_areas(grid_id: uuid.UUID, wanted: list[tuple[uuid.UUID, uuid.UUID | None]]) -> None:
    await GridArea.delete().where(GridArea.grid == grid_id)
    for estate_id, building_id in wanted:
        taken = GridArea.exists().where((GridArea.estate == estate_id) & (GridArea.grid != grid_id))
        if building_id is not None:
            taken = taken.where(GridArea.building.is_null() | (GridArea.building == building_id))
        if await taken:
            raise errors.area_taken()
    if wanted:
        try:
            await GridArea.insert(*(GridArea(grid=grid_id, estate=e, building=b) for e, b in wanted))
        except UNIQUE_VIOLATIONS:
            raise errors.area_taken() from None


def _shown(wanted: list[tuple[uuid.UUID, uuid.UUID | None]]) -> list[dict[str, Any]]:
    return [{"estate": e, "building": b} for e, b in wanted]


async def create_grid(
    *, user_id: uuid.UUID | None, community_id: uuid.UUID, name: Mapping[Any, str], areas: Sequence[GridAreaIn]
) -> uuid.UUID:
    """A grid under a community the caller manages places of, covering some of its estates."""
    community = await access.community_of(community_id)
    await access.require_manage(user_id, community.id)
    wanted = await _areas(community.id, areas)
    async with transaction(GridArea._meta.db):
        # The grid organisation's creation is accounts' entry; what it covers is ours, if anything.
        grid = await create_organisation(kind=OrganisationKind.grid, name=name, parent_id=community.id)
        await _save_areas(grid.id, wanted)
        if wanted:
            await trail.record(
                "grid_areas_replaced",
                community_id=community.id,
                object_type="grid",
                object_id=grid.id,
                before={"areas": []},
                after={"areas": _shown(wanted)},
            )
    return as_uuid(grid.id)


async def replace_areas(*, user_id: uuid.UUID | None, grid_id: uuid.UUID, areas: Sequence[GridAreaIn]) -> None:
    """What the grid covers, replaced as a whole."""
    grid = await grid_of(grid_id)
    community_id = community_of_grid(grid)
    await access.require_manage(user_id, community_id)
    wanted = await _areas(community_id, areas)
    async with transaction(GridArea._meta.db):
        await lock_row(GridArea._meta.db, "account_organisation", grid_id)
        before = await GridArea.select(GridArea.estate, GridArea.building).where(GridArea.grid == grid_id)
        await _save_areas(grid_id, wanted)
        await trail.record(
            "grid_areas_replaced",
            community_id=community_id,
            object_type="grid",
            object_id=grid_id,
            before={"areas": before},
            after={"areas": _shown(wanted)},
        )


async def appoint_worker(*, user_id: uuid.UUID | None, grid_id: uuid.UUID, worker_id: uuid.UUID) -> None:
    """A staff account becomes a grid worker (网格员) of this grid: the role, held there."""
    grid = await grid_of(grid_id)
    community_id = community_of_grid(grid)
    await access.require_manage(user_id, community_id)
    worker = await person(worker_id)
    if worker is None or worker.deleted or not worker.is_staff:
        raise errors.not_staff()
    # The role granted is accounts' audit entry (accounts.role_granted, filed under the grid).
    await grant_role(user_id=worker_id, organisation_id=grid_id, role=Role.grid_worker)


async def dismiss_worker(*, user_id: uuid.UUID | None, grid_id: uuid.UUID, worker_id: uuid.UUID) -> None:
    grid = await grid_of(grid_id)
    community_id = community_of_grid(grid)
    await access.require_manage(user_id, community_id)
    # Like any role taken away: accounts.role_revoked, and the worker's sessions end.
    await revoke_role(user_id=worker_id, organisation_id=grid_id, role=Role.grid_worker)


async def appoint_building_head(*, user_id: uuid.UUID | None, building_id: uuid.UUID, head_id: uuid.UUID) -> None:
    """A resident looks after a building (楼道长); appointing them twice changes nothing."""
    building = await building_row(building_id)
    await access.require_manage(user_id, building["community"])
    head = await person(head_id)
    if head is None or head.deleted:
        raise errors.not_resident()
    async with transaction(BuildingHead._meta.db):
        inserted = await BuildingHead.insert(
            BuildingHead(building=building_id, user=head_id, appointed_at=clock.now())
        ).on_conflict(target=(BuildingHead.building, BuildingHead.user), action="DO NOTHING")
        if inserted:
            await trail.record(
                "building_head_appointed",
                community_id=building["community"],
                object_type="building",
                object_id=building_id,
                after={"head": mask_name(head.display_name)},
            )


async def dismiss_building_head(*, user_id: uuid.UUID | None, building_id: uuid.UUID, head_id: uuid.UUID) -> None:
    building = await building_row(building_id)
    await access.require_manage(user_id, building["community"])
    async with transaction(BuildingHead._meta.db):
        removed = (
            await BuildingHead.delete()
            .where((BuildingHead.building == building_id) & (BuildingHead.user == head_id))
            .returning(BuildingHead.id)
        )
        if removed:
            await trail.record(
                "building_head_dismissed",
                community_id=building["community"],
                object_type="building",
                object_id=building_id,
                before={"head": head_id},
            )


async def buildings_of(estate_id: uuid.UUID) -> list[dict[str, Any]]:
    return await Building.select(Building.id, Building.label).where(Building.estate == estate_id)
