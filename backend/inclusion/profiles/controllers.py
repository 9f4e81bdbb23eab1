"""HTTP for the caller's resident profile and the children linked to their account."""

from __future__ import annotations

import uuid

from litestar import Controller, Response, delete, get, post, put
from litestar.openapi import ResponseSpec
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT
from litestar.types import ControllerRouterHandler

from backend.core.auth import requires_login
from backend.core.context import Principal
from backend.core.openapi import problems
from backend.inclusion.profiles import presenters, queries, services
from backend.inclusion.profiles.schemas import DependantCreate, DependantRead, ResidentProfileRead, ResidentProfileWrite

BEARER: list[dict[str, list[str]]] = [{"bearer": []}]


class ResidentController(Controller):
    path = "/api/v1/me"
    tags = ["inclusion"]
    guards = [requires_login]
    security = BEARER

    @get(
        "/resident-profile",
        operation_id="get_my_resident_profile",
        summary="The caller's resident profile",
        responses=problems(401, 404),
    )
    async def get_profile(self, caller: Principal) -> ResidentProfileRead:
        return presenters.profile_read(await services.get_profile(user_id=caller.id))

    @put(
        "/resident-profile",
        operation_id="save_my_resident_profile",
        summary="Fill in or replace the caller's resident profile (optional, self-declared, with consent)",
        responses={
            **problems(401, 422),
            201: ResponseSpec(ResidentProfileRead, description="The profile, filled in for the first time"),
        },
    )
    async def save_profile(
        self, caller: Principal, data: JSONBody[ResidentProfileWrite]
    ) -> Response[ResidentProfileRead]:
        profile, created = await services.save_profile(user_id=caller.id, data=data)
        return Response(presenters.profile_read(profile), status_code=HTTP_201_CREATED if created else HTTP_200_OK)

    @delete(
        "/resident-profile",
        operation_id="delete_my_resident_profile",
        summary="Withdraw consent: the resident profile is deleted (points stay)",
        status_code=HTTP_204_NO_CONTENT,
        responses=problems(401, 404),
    )
    async def delete_profile(self, caller: Principal) -> None:
        await services.delete_profile(user_id=caller.id)

    @post(
        "/dependants",
        operation_id="add_my_dependant",
        summary="Link a child under 14 to the caller's account (the child has no login)",
        status_code=HTTP_201_CREATED,
        responses=problems(401, 422),
    )
    async def add_dependant(self, caller: Principal, data: JSONBody[DependantCreate]) -> DependantRead:
        return presenters.dependant_read(await services.add_dependant(user_id=caller.id, data=data))

    @get(
        "/dependants",
        operation_id="list_my_dependants",
        summary="The children linked to the caller's account",
        responses=problems(401),
    )
    async def list_dependants(self, caller: Principal) -> list[DependantRead]:
        return [presenters.dependant_read(d) for d in await queries.list_dependants(user_id=caller.id)]

    @delete(
        "/dependants/{dependant_id:uuid}",
        operation_id="remove_my_dependant",
        summary="Unlink one of the caller's children",
        status_code=HTTP_204_NO_CONTENT,
        responses=problems(401, 404),
    )
    async def remove_dependant(self, caller: Principal, dependant_id: uuid.UUID) -> None:
        await services.remove_dependant(user_id=caller.id, dependant_id=dependant_id)


CONTROLLERS: list[ControllerRouterHandler] = [ResidentController]
