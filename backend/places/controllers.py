"""HTTP for places: estates and their buildings and units, grids, where I live, alliances and
their documents. Reading estates, buildings, units and alliances is public (a resident picks
where they live from them); what residents said is counted for staff only."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, delete, get, patch, post, put
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, JSONBody, Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT
from litestar.types import ControllerRouterHandler

from backend.core.auth import requires_login
from backend.core.context import Principal
from backend.core.openapi import problems
from backend.places import alliances, estates, grids, presenters, queries, residences
from backend.places.api import ESTATE_FIGURES_STATE, EstateFigures
from backend.places.schemas import (
    AcknowledgementRead,
    AllianceCreate,
    AllianceListItem,
    AllianceRead,
    BuildingCreate,
    BuildingHeadRead,
    BuildingRead,
    DocumentCreate,
    DocumentRead,
    EstateCreate,
    EstateKindCode,
    EstateRead,
    EstateResidentsRead,
    EstateUpdate,
    GridAreasPut,
    GridCreate,
    GridRead,
    ImportRead,
    MemberPut,
    ResidencePut,
    ResidenceRead,
    UnitCreate,
    UnitRead,
    VersionCreate,
)
from backend.settings import Settings

LOGIN: dict[str, Any] = {"guards": [requires_login], "security": [{"bearer": []}]}


class UnitsUpload(msgspec.Struct):
    """A CSV file: a header ``building,unit,floor_area`` (or 楼栋,门牌,面积; floor area optional),
    then a line per unit; UTF-8 with or without a byte-order mark, as Excel saves it."""

    file: UploadFile


async def _estate(estate_id: uuid.UUID) -> EstateRead:
    row = await queries.estate(estate_id)
    return presenters.estate(row, await queries.estate_details([row]))


async def _grid(grid_id: uuid.UUID, user_id: uuid.UUID) -> GridRead:
    return presenters.grid(await queries.grid(grid_id, user_id=user_id))


async def _document(document_id: uuid.UUID, user_id: uuid.UUID | None) -> DocumentRead:
    return presenters.document(await queries.document(document_id, user_id=user_id))


class EstateController(Controller):
    path = "/api/v1/estates"
    tags = ["places"]

    @get(operation_id="list_estates", summary="Estates (小区), of a community or of a kind")
    async def list_estates(
        self,
        community_id: uuid.UUID | None = None,
        kind: EstateKindCode | None = None,
        limit: Annotated[int, Parameter(ge=1, le=500)] = 200,
    ) -> list[EstateRead]:
        rows = await queries.list_estates(community_id=community_id, kind=kind, limit=limit)
        return presenters.estates(rows, await queries.estate_details(rows))

    @post(
        operation_id="create_estate",
        summary="Add an estate to a community (its community staff)",
        status_code=HTTP_201_CREATED,
        responses=problems(401, 403, 422),
        **LOGIN,
    )
    async def create(self, caller: Principal, data: JSONBody[EstateCreate]) -> EstateRead:
        return await _estate(await estates.create_estate(user_id=caller.id, data=data))

    @get("/{estate_id:uuid}", operation_id="get_estate", summary="An estate", responses=problems(404))
    async def get_estate(self, estate_id: uuid.UUID) -> EstateRead:
        return await _estate(estate_id)

    @patch(
        "/{estate_id:uuid}",
        operation_id="update_estate",
        summary="Change an estate's details, kind, property company or owners' committee",
        responses=problems(401, 403, 404, 422),
        **LOGIN,
    )
    async def update(self, caller: Principal, estate_id: uuid.UUID, data: JSONBody[EstateUpdate]) -> EstateRead:
        await estates.update_estate(user_id=caller.id, estate_id=estate_id, changes=msgspec.structs.asdict(data))
        return await _estate(estate_id)

    @get(
        "/{estate_id:uuid}/buildings",
        operation_id="list_buildings",
        summary="An estate's buildings (楼栋)",
        responses=problems(404),
    )
    async def list_buildings(self, estate_id: uuid.UUID) -> list[BuildingRead]:
        return presenters.buildings(await queries.buildings(estate_id))

    @post(
        "/{estate_id:uuid}/buildings",
        operation_id="add_building",
        summary="Add a building to an estate",
        status_code=HTTP_201_CREATED,
        responses=problems(401, 403, 404, 409, 422),
        **LOGIN,
    )
    async def add_building(
        self, caller: Principal, estate_id: uuid.UUID, data: JSONBody[BuildingCreate]
    ) -> BuildingRead:
        building_id = await estates.add_building(user_id=caller.id, estate_id=estate_id, label=data.label)
        return BuildingRead(id=building_id, estate_id=estate_id, label=data.label, units=0)

    @post(
        "/{estate_id:uuid}/units/import",
        operation_id="import_units",
        summary="Import buildings and units from a CSV file, all or nothing, with a problem per line",
        status_code=HTTP_200_OK,
        responses=problems(401, 403, 404, 413, 422),
        **LOGIN,
    )
    async def import_units(
        self,
        caller: Principal,
        estate_id: uuid.UUID,
        data: Annotated[UnitsUpload, Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> ImportRead:
        content = await _read(data.file, estates.MAX_IMPORT_BYTES)
        done = await estates.import_units(user_id=caller.id, estate_id=estate_id, data=content)
        return ImportRead(done.buildings_added, done.units_added, done.units_updated)

    @get(
        "/{estate_id:uuid}/residents",
        operation_id="count_estate_residents",
        summary="How many residents say they live here, per building (staff whose role needs it)",
        responses=problems(401, 403, 404),
        **LOGIN,
    )
    async def residents(self, caller: Principal, estate_id: uuid.UUID) -> EstateResidentsRead:
        return presenters.residents(await queries.residents_of_estate(user_id=caller.id, estate_id=estate_id))


async def _read(upload: UploadFile, limit: int) -> bytes:
    """At most one byte past the limit: enough to know it is too large."""
    try:
        return await upload.read(limit + 1)
    finally:
        await upload.close()


class BuildingController(Controller):
    path = "/api/v1/buildings"
    tags = ["places"]

    @get(
        "/{building_id:uuid}/units",
        operation_id="list_units",
        summary="A building's units (门牌)",
        responses=problems(404),
    )
    async def list_units(self, building_id: uuid.UUID) -> list[UnitRead]:
        return presenters.units(await queries.units(building_id))

    @post(
        "/{building_id:uuid}/units",
        operation_id="add_unit",
        summary="Add a unit to a building",
        status_code=HTTP_201_CREATED,
        responses=problems(401, 403, 404, 409, 422),
        **LOGIN,
    )
    async def add_unit(self, caller: Principal, building_id: uuid.UUID, data: JSONBody[UnitCreate]) -> UnitRead:
        unit_id = await estates.add_unit(
            user_id=caller.id, building_id=building_id, label=data.label, floor_area=data.floor_area
        )
        return UnitRead(id=unit_id, building_id=building_id, label=data.label, floor_area=data.floor_area)

    @get(
        "/{building_id:uuid}/heads",
        operation_id="list_building_heads",
        summary="A building's heads (楼道长), names masked",
        responses=problems(401, 403, 404),
        **LOGIN,
    )
    async def heads(self, caller: Principal, building_id: uuid.UUID) -> list[BuildingHeadRead]:
        return presenters.heads(await queries.building_heads(user_id=caller.id, building_id=building_id))

    @put(
        "/{building_id:uuid}/heads/{user_id:uuid}",
        operation_id="appoint_building_head",
        summary="Appoint a resident head of a building",
        status_code=HTTP_200_OK,
        responses=problems(401, 403, 404),
        **LOGIN,
    )
    async def appoint(self, caller: Principal, building_id: uuid.UUID, user_id: uuid.UUID) -> list[BuildingHeadRead]:
        await grids.appoint_building_head(user_id=caller.id, building_id=building_id, head_id=user_id)
        return presenters.heads(await queries.building_heads(user_id=caller.id, building_id=building_id))

    @delete(
        "/{building_id:uuid}/heads/{user_id:uuid}",
        operation_id="dismiss_building_head",
        summary="A building's head steps down",
        status_code=HTTP_204_NO_CONTENT,
        responses=problems(401, 403, 404),
        **LOGIN,
    )
    async def dismiss(self, caller: Principal, building_id: uuid.UUID, user_id: uuid.UUID) -> None:
        await grids.dismiss_building_head(user_id=caller.id, building_id=building_id, head_id=user_id)


class GridController(Controller):
    path = "/api/v1/grids"
    tags = ["places"]

    @post(
        operation_id="create_grid",
        summary="Make a grid (网格) of a community's estates or buildings",
        status_code=HTTP_201_CREATED,
        responses=problems(401, 403, 404, 409, 422),
        **LOGIN,
    )
    async def create(self, caller: Principal, data: JSONBody[GridCreate]) -> GridRead:
        grid_id = await grids.create_grid(
            user_id=caller.id, community_id=data.community_id, name=data.name, areas=data.areas
        )
        return await _grid(grid_id, caller.id)

    @get(
        "/{grid_id:uuid}",
        operation_id="get_grid",
        summary="A grid: what it covers, its grid workers (community staff and its workers)",
        responses=problems(401, 403, 404),
        **LOGIN,
    )
    async def get_grid(self, caller: Principal, grid_id: uuid.UUID) -> GridRead:
        return await _grid(grid_id, caller.id)

    @put(
        "/{grid_id:uuid}/areas",
        operation_id="replace_grid_areas",
        summary="Replace what a grid covers",
        status_code=HTTP_200_OK,
        responses=problems(401, 403, 404, 409, 422),
        **LOGIN,
    )
    async def areas(self, caller: Principal, grid_id: uuid.UUID, data: JSONBody[GridAreasPut]) -> GridRead:
        await grids.replace_areas(user_id=caller.id, grid_id=grid_id, areas=data.areas)
        return await _grid(grid_id, caller.id)

    @put(
        "/{grid_id:uuid}/workers/{user_id:uuid}",
        operation_id="appoint_grid_worker",
        summary="Make a staff member a grid worker (网格员) here",
        status_code=HTTP_200_OK,
        responses=problems(401, 403, 404),
        **LOGIN,
    )
    async def appoint(self, caller: Principal, grid_id: uuid.UUID, user_id: uuid.UUID) -> GridRead:
        await grids.appoint_worker(user_id=caller.id, grid_id=grid_id, worker_id=user_id)
        return await _grid(grid_id, caller.id)

    @delete(
        "/{grid_id:uuid}/workers/{user_id:uuid}",
        operation_id="dismiss_grid_worker",
        summary="A grid worker leaves this grid",
        status_code=HTTP_204_NO_CONTENT,
        responses=problems(401, 403, 404),
        **LOGIN,
    )
    async def dismiss(self, caller: Principal, grid_id: uuid.UUID, user_id: uuid.UUID) -> None:
        await grids.dismiss_worker(user_id=caller.id, grid_id=grid_id, worker_id=user_id)


class ResidenceController(Controller):
    path = "/api/v1/me/residence"
    tags = ["places"]

    @get(operation_id="get_my_residence", summary="Where I said I live", responses=problems(401, 404), **LOGIN)
    async def get_residence(self, caller: Principal) -> ResidenceRead:
        return presenters.residence(await residences.my_residence(caller.id))

    @put(
        operation_id="set_my_residence",
        summary="Say where I live (with my consent): the estate, optionally building and unit",
        status_code=HTTP_200_OK,
        responses=problems(401, 404, 422),
        **LOGIN,
    )
    async def set_residence(self, caller: Principal, data: JSONBody[ResidencePut]) -> ResidenceRead:
        await residences.set_residence(user_id=caller.id, data=data)
        return presenters.residence(await residences.my_residence(caller.id))

    @delete(
        operation_id="clear_my_residence",
        summary="Forget where I live",
        status_code=HTTP_204_NO_CONTENT,
        responses=problems(401),
        **LOGIN,
    )
    async def clear(self, caller: Principal) -> None:
        await residences.clear_residence(user_id=caller.id)


class AllianceController(Controller):
    path = "/api/v1/alliances"
    tags = ["places"]

    @get(operation_id="list_alliances", summary="Estate alliances (小区联盟)")
    async def list_alliances(self, community_id: uuid.UUID | None = None) -> list[AllianceListItem]:
        return presenters.alliances(await queries.list_alliances(community_id=community_id))

    @post(
        operation_id="create_alliance",
        summary="Found a community's estate alliance with its flagship, partner and allied estates",
        status_code=HTTP_201_CREATED,
        responses=problems(401, 403, 404, 409, 422),
        **LOGIN,
    )
    async def create(self, caller: Principal, data: JSONBody[AllianceCreate]) -> AllianceRead:
        alliance_id = await alliances.create_alliance(
            user_id=caller.id, community_id=data.community_id, name=data.name, members=data.members
        )
        return presenters.alliance(await queries.alliance_page(alliance_id))

    @get(
        "/{alliance_id:uuid}",
        operation_id="get_alliance",
        summary="An alliance's page: members with their participation (suppressed where small), shared property "
        "company, documents",
        responses=problems(404),
    )
    async def get_alliance(self, request: Request[Any, Any, Any], alliance_id: uuid.UUID) -> AllianceRead:
        page = await queries.alliance_page(alliance_id)
        # Inclusion counts the member estates' participation (an app hook puts the function here).
        figures_of: EstateFigures | None = request.app.state.get(ESTATE_FIGURES_STATE)
        estates = [member["estate"] for member in page["members"]]
        figures = await figures_of(estates) if figures_of is not None and estates else []
        return presenters.alliance(page, figures)

    @put(
        "/{alliance_id:uuid}/members/{estate_id:uuid}",
        operation_id="set_alliance_member",
        summary="An estate joins the alliance, or changes its role",
        status_code=HTTP_200_OK,
        responses=problems(401, 403, 404, 409, 422),
        **LOGIN,
    )
    async def set_member(
        self, caller: Principal, alliance_id: uuid.UUID, estate_id: uuid.UUID, data: JSONBody[MemberPut]
    ) -> AllianceRead:
        await alliances.set_member(user_id=caller.id, alliance_id=alliance_id, estate_id=estate_id, role=data.role)
        return presenters.alliance(await queries.alliance_page(alliance_id))

    @delete(
        "/{alliance_id:uuid}/members/{estate_id:uuid}",
        operation_id="remove_alliance_member",
        summary="An estate leaves the alliance",
        status_code=HTTP_204_NO_CONTENT,
        responses=problems(401, 403, 404),
        **LOGIN,
    )
    async def remove_member(self, caller: Principal, alliance_id: uuid.UUID, estate_id: uuid.UUID) -> None:
        await alliances.remove_member(user_id=caller.id, alliance_id=alliance_id, estate_id=estate_id)

    @post(
        "/{alliance_id:uuid}/documents",
        operation_id="create_alliance_document",
        summary="Share a document, such as a joint owners' convention (共同业主公约)",
        status_code=HTTP_201_CREATED,
        responses=problems(401, 403, 404, 422),
        **LOGIN,
    )
    async def create_document(
        self, caller: Principal, alliance_id: uuid.UUID, data: JSONBody[DocumentCreate]
    ) -> DocumentRead:
        document_id = await alliances.create_document(
            user_id=caller.id, alliance_id=alliance_id, title=data.title, body=data.body
        )
        return await _document(document_id, caller.id)


class DocumentController(Controller):
    path = "/api/v1/alliance-documents"
    tags = ["places"]

    @get(
        "/{document_id:uuid}",
        operation_id="get_alliance_document",
        summary="A shared document's current version and its acknowledgements per estate",
        responses=problems(404),
    )
    async def get_document(self, visitor: Principal | None, document_id: uuid.UUID) -> DocumentRead:
        return await _document(document_id, visitor.id if visitor else None)

    @post(
        "/{document_id:uuid}/versions",
        operation_id="publish_document_version",
        summary="Publish a new version of a shared document's text",
        status_code=HTTP_201_CREATED,
        responses=problems(401, 403, 404, 422),
        **LOGIN,
    )
    async def publish(self, caller: Principal, document_id: uuid.UUID, data: JSONBody[VersionCreate]) -> DocumentRead:
        await alliances.publish_version(user_id=caller.id, document_id=document_id, body=data.body, title=data.title)
        return await _document(document_id, caller.id)

    @post(
        "/{document_id:uuid}/acknowledgements",
        operation_id="acknowledge_document",
        summary="I have read the current version and acknowledge it (residents of member estates)",
        status_code=HTTP_200_OK,
        responses=problems(401, 403, 404),
        **LOGIN,
    )
    async def acknowledge(self, caller: Principal, document_id: uuid.UUID) -> AcknowledgementRead:
        version, at = await alliances.acknowledge(user_id=caller.id, document_id=document_id)
        return AcknowledgementRead(document_id=document_id, version=version, acknowledged_at=at)


def routes(settings: Settings) -> Sequence[ControllerRouterHandler]:
    return (
        EstateController,
        BuildingController,
        GridController,
        ResidenceController,
        AllianceController,
        DocumentController,
    )
