"""HTTP for incidents: report with a photo, follow, move on, and each community's routing."""

from __future__ import annotations

import uuid
from typing import Annotated

import msgspec
from litestar import Controller, get, patch, post, put
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.openapi.spec import SecurityRequirement
from litestar.params import Body, JSONBody, Parameter
from litestar.response import File
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED
from litestar.types import ControllerRouterHandler

from backend.core.auth import requires_login
from backend.core.context import Principal
from backend.core.images import ImageLimits
from backend.core.media import media_type_of
from backend.core.openapi import problems
from backend.core.stores import rate_limit
from backend.core.wechat import WechatClient
from backend.governance.incidents import presenters, queries, routing, services
from backend.governance.incidents.answers import incident_answer
from backend.governance.incidents.schemas import (
    IncidentCreate,
    IncidentPage,
    IncidentPhotoRead,
    IncidentRead,
    IncidentRoutingPut,
    IncidentScope,
    IncidentUpdate,
    RoutingRead,
)
from backend.governance.incidents.tables import IncidentStatus
from backend.settings import Settings
from backend.volunteers.api import private_store, public_store

BEARER: list[SecurityRequirement] = [{"bearer": []}]
HOUR = 3600
# Each report asks WeChat to check its text and notifies its party: a resident may send a few an hour.
REPORT_RATE = rate_limit("incident_report", setting="incident_rate_limit", per_user=True, window=HOUR)
PHOTO_RATE = rate_limit("incident_photo", setting="incident_photo_rate_limit", per_user=True, window=HOUR)
Rendition = Annotated[
    str, Parameter(min_length=1, max_length=32, description="a key of the incident's photo_urls, e.g. w480.webp")
]


class IncidentPhotoUpload(msgspec.Struct):
    file: UploadFile


async def _read_upload(upload: UploadFile, limit: int) -> bytes:
    """At most one byte past the limit: enough to know it is too large, never the whole file."""
    try:
        return await upload.read(limit + 1)
    finally:
        await upload.close()


class IncidentController(Controller):
    path = "/api/v1/incidents"
    tags = ["incidents"]
    guards = [requires_login]
    security = BEARER

    @post(
        operation_id="report_incident",
        summary="Report an incident in a community; it goes to the party its routing names",
        guards=[REPORT_RATE],
        status_code=HTTP_201_CREATED,
        responses=problems(401, 404, 422, 429),
    )
    async def report(
        self, caller: Principal, data: JSONBody[IncidentCreate], wechat: NamedDependency[WechatClient]
    ) -> IncidentRead:
        incident_id = await services.report_incident(user_id=caller.id, data=data, wechat=wechat)
        return await incident_answer(await queries.read_incident(user_id=caller.id, incident_id=incident_id))

    @get(
        operation_id="list_incidents",
        summary="My reports, the incidents I coordinate, or those handed to my organisations",
        responses=problems(401),
    )
    async def list_incidents(
        self,
        caller: Principal,
        list_scope: Annotated[
            IncidentScope,
            Parameter(
                query="scope", description="mine: reported by me; coordinating; assigned: forwarded to my organisations"
            ),
        ] = "mine",
        status: IncidentStatus | None = None,
        community_id: uuid.UUID | None = None,
        limit: Annotated[int, Parameter(ge=1, le=100)] = 20,
        offset: Annotated[int, Parameter(ge=0, le=100_000)] = 0,
    ) -> IncidentPage:
        listing = await queries.list_incidents(
            user_id=caller.id, scope=list_scope, status=status, community_id=community_id, limit=limit, offset=offset
        )
        return presenters.incident_page(listing, limit=limit, offset=offset)

    @get(
        "/{incident_id:uuid}",
        operation_id="get_incident",
        summary="One incident and its history, as the caller may see it",
        responses=problems(401, 404),
    )
    async def get_incident(self, caller: Principal, incident_id: uuid.UUID) -> IncidentRead:
        return await incident_answer(await queries.read_incident(user_id=caller.id, incident_id=incident_id))

    @patch(
        "/{incident_id:uuid}",
        operation_id="update_incident",
        summary="Acknowledge, forward or resolve an incident, with a note",
        responses=problems(401, 403, 404, 409, 422),
    )
    async def update(self, caller: Principal, incident_id: uuid.UUID, data: JSONBody[IncidentUpdate]) -> IncidentRead:
        await services.change_incident_status(user_id=caller.id, incident_id=incident_id, change=data)
        return await incident_answer(await queries.read_incident(user_id=caller.id, incident_id=incident_id))

    @post(
        "/{incident_id:uuid}/photo",
        operation_id="upload_incident_photo",
        summary="The reporter adds a photo (JPEG, PNG, WebP or GIF), stored privately without EXIF or GPS",
        guards=[PHOTO_RATE],
        status_code=HTTP_200_OK,
        responses=problems(401, 403, 404, 409, 413, 422, 429),
    )
    async def photo(
        self,
        caller: Principal,
        incident_id: uuid.UUID,
        data: Annotated[IncidentPhotoUpload, Body(media_type=RequestEncodingType.MULTI_PART)],
        settings: NamedDependency[Settings],
    ) -> IncidentPhotoRead:
        limits = ImageLimits(max_bytes=settings.max_image_bytes)
        image = await _read_upload(data.file, limits.max_bytes)
        photo = await services.set_incident_photo(
            user_id=caller.id, incident_id=incident_id, data=image, store=private_store(settings), limits=limits
        )
        return presenters.photo_read(incident_id, photo)

    @get(
        "/{incident_id:uuid}/photo/{rendition:str}",
        operation_id="get_incident_photo",
        summary="One rendition of an incident's photo, for its reporter, its coordinators and the party it went to",
        media_type="application/octet-stream",
        responses=problems(401, 404),
    )
    async def photo_file(
        self, caller: Principal, incident_id: uuid.UUID, rendition: Rendition, settings: NamedDependency[Settings]
    ) -> File:
        found = await services.incident_photo(
            user_id=caller.id,
            incident_id=incident_id,
            rendition=rendition,
            private=private_store(settings),
            public=public_store(settings),
        )
        return File(
            path=found,
            filename=f"incident-{rendition}",
            media_type=media_type_of(found),
            content_disposition_type="inline",
            headers={"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"},
        )


class IncidentRoutingController(Controller):
    path = "/api/v1/communities/{community_id:uuid}/incident-routing"
    tags = ["incidents"]
    guards = [requires_login]
    security = BEARER

    @get(
        operation_id="get_incident_routing",
        summary="Which party acts on each kind of incident in a community",
        responses=problems(401, 403, 404),
    )
    async def get_routing(self, caller: Principal, community_id: uuid.UUID) -> list[RoutingRead]:
        rules = await routing.incident_routing(user_id=caller.id, community_id=community_id)
        return [presenters.routing_read(rule) for rule in rules]

    @put(
        operation_id="set_incident_routing",
        summary="Set the party for each kind of incident (coordinators of the community)",
        status_code=HTTP_200_OK,
        responses=problems(401, 403, 404, 409, 422),
    )
    async def set_routing(
        self, caller: Principal, community_id: uuid.UUID, data: JSONBody[IncidentRoutingPut]
    ) -> list[RoutingRead]:
        rules = await routing.set_incident_routing(user_id=caller.id, community_id=community_id, rules=data.routes)
        return [presenters.routing_read(rule) for rule in rules]


CONTROLLERS: list[ControllerRouterHandler] = [IncidentController, IncidentRoutingController]
