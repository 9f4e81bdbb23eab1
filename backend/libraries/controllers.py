"""HTTP for library branches: find one open near me, read one, and staff writes."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Annotated

import msgspec
from litestar import Controller, delete, get, patch, post, put
from litestar.di import NamedDependency
from litestar.params import JSONBody, Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT

from backend.core import clock
from backend.core.auth import requires_login
from backend.core.context import Principal
from backend.core.geo import parse_point
from backend.core.i18n import as_city_time
from backend.core.openapi import problems
from backend.events.api import MAX_RADIUS_M
from backend.libraries import presenters, queries, services
from backend.libraries.schemas import (
    BranchCreate,
    BranchListItem,
    BranchRead,
    BranchUpdate,
    ExceptionPut,
    OccupancyPut,
    RoomCreate,
    ServiceCode,
)
from backend.settings import Settings


def _moment(at: datetime | None) -> datetime:
    """``at`` lets a resident plan ("open on Saturday at 10:00?"); no offset means Suzhou time."""
    return as_city_time(at) if at is not None else clock.now()


def _fresh(settings: Settings) -> timedelta:
    return timedelta(minutes=settings.occupancy_fresh_minutes)


async def _read(branch_id: uuid.UUID, settings: Settings, at: datetime | None = None) -> BranchRead:
    moment = _moment(at)
    detail = await queries.get_branch(branch_id=branch_id, at=moment, stale_after=_fresh(settings))
    return presenters.branch_read(detail, moment)


class LibraryController(Controller):
    path = "/api/v1/library-branches"
    tags = ["libraries"]

    @get(
        operation_id="list_library_branches",
        summary="Find branches: near a point, open now, with a service or free e-reading seats",
    )
    async def list_branches(
        self,
        settings: NamedDependency[Settings],
        near: Annotated[str | None, Parameter(description="lat,lng (GCJ-02); sorts by distance")] = None,
        radius_m: Annotated[int, Parameter(ge=100, le=MAX_RADIUS_M)] = 5000,
        open_now: Annotated[bool, Parameter(description="open at `at` (default: now)")] = False,
        at: Annotated[
            datetime | None, Parameter(description="the moment to check; without an offset, Suzhou time")
        ] = None,
        service: ServiceCode | None = None,
        has_free_seats: Annotated[bool, Parameter(description="a fresh report of free e-reading seats")] = False,
        community_id: uuid.UUID | None = None,
        limit: Annotated[int, Parameter(ge=1, le=200)] = 50,
    ) -> list[BranchListItem]:
        moment = _moment(at)
        filters = queries.BranchFilters(
            near=parse_point(near),
            radius_m=radius_m,
            open_now=open_now,
            service=service,
            has_free_seats=has_free_seats,
            community_id=community_id,
        )
        found = await queries.find_branches(filters=filters, at=moment, stale_after=_fresh(settings))
        return [presenters.list_item(branch, moment) for branch in found[:limit]]

    @get(
        "/{branch_id:uuid}",
        operation_id="get_library_branch",
        summary="A branch: the week's hours, today's status, seats, events",
        responses=problems(404),
    )
    async def get_branch(
        self, branch_id: uuid.UUID, settings: NamedDependency[Settings], at: datetime | None = None
    ) -> BranchRead:
        return await _read(branch_id, settings, at)

    @post(
        operation_id="create_library_branch",
        summary="Add a branch (library staff or admins of its scope)",
        status_code=HTTP_201_CREATED,
        responses=problems(401, 403, 404, 422),
        guards=[requires_login],
        security=[{"bearer": []}],
    )
    async def create(
        self, caller: Principal, data: JSONBody[BranchCreate], settings: NamedDependency[Settings]
    ) -> BranchRead:
        branch = await services.create_branch(user_id=caller.id, data=data)
        return await _read(branch.id, settings)

    @patch(
        "/{branch_id:uuid}",
        operation_id="update_library_branch",
        summary="Change details, weekly hours or holiday rules",
        responses=problems(401, 403, 404, 422),
        guards=[requires_login],
        security=[{"bearer": []}],
    )
    async def update(
        self,
        caller: Principal,
        branch_id: uuid.UUID,
        data: JSONBody[BranchUpdate],
        settings: NamedDependency[Settings],
    ) -> BranchRead:
        await services.update_branch(user_id=caller.id, branch_id=branch_id, changes=msgspec.structs.asdict(data))
        return await _read(branch_id, settings)

    @put(
        "/{branch_id:uuid}/exceptions/{day:str}",
        operation_id="put_library_exception",
        summary="Close a date, or give it special hours",
        status_code=HTTP_200_OK,
        responses=problems(401, 403, 404, 422),
        guards=[requires_login],
        security=[{"bearer": []}],
    )
    async def put_exception(
        self,
        caller: Principal,
        branch_id: uuid.UUID,
        day: date,
        data: JSONBody[ExceptionPut],
        settings: NamedDependency[Settings],
        room_id: uuid.UUID | None = None,
    ) -> BranchRead:
        await services.put_exception(user_id=caller.id, branch_id=branch_id, day=day, data=data, room_id=room_id)
        return await _read(branch_id, settings)

    @delete(
        "/{branch_id:uuid}/exceptions/{day:str}",
        operation_id="delete_library_exception",
        summary="Back to the usual hours on a date",
        status_code=HTTP_204_NO_CONTENT,
        responses=problems(401, 403, 404),
        guards=[requires_login],
        security=[{"bearer": []}],
    )
    async def delete_exception(self, caller: Principal, branch_id: uuid.UUID, day: date) -> None:
        await services.delete_exception(user_id=caller.id, branch_id=branch_id, day=day)

    @post(
        "/{branch_id:uuid}/rooms",
        operation_id="add_library_room",
        summary="Add a room; without hours of its own it keeps the branch's",
        status_code=HTTP_201_CREATED,
        responses=problems(401, 403, 404, 422),
        guards=[requires_login],
        security=[{"bearer": []}],
    )
    async def add_room(
        self,
        caller: Principal,
        branch_id: uuid.UUID,
        data: JSONBody[RoomCreate],
        settings: NamedDependency[Settings],
    ) -> BranchRead:
        await services.add_room(user_id=caller.id, branch_id=branch_id, data=data)
        return await _read(branch_id, settings)

    @put(
        "/{branch_id:uuid}/occupancy",
        operation_id="set_library_occupancy",
        summary="Report how many e-reading seats are free now",
        status_code=HTTP_200_OK,
        responses=problems(401, 403, 404, 422),
        guards=[requires_login],
        security=[{"bearer": []}],
    )
    async def occupancy(
        self,
        caller: Principal,
        branch_id: uuid.UUID,
        data: JSONBody[OccupancyPut],
        settings: NamedDependency[Settings],
    ) -> BranchRead:
        await services.set_occupancy(user_id=caller.id, branch_id=branch_id, free_seats=data.free_seats)
        return await _read(branch_id, settings)
