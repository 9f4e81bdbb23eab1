"""HTTP for volunteer profiles: signing up with consent, the caller's profile, erasing identity."""

from __future__ import annotations

from litestar import Controller, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.openapi import ResponseSpec
from litestar.openapi.spec import SecurityRequirement
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED
from litestar.types import ControllerRouterHandler

from backend.core.auth import requires_login
from backend.core.context import Principal
from backend.core.openapi import problems
from backend.settings import Settings
from backend.volunteers.people import presenters, queries, services
from backend.volunteers.people.schemas import VolunteerProfileRead, VolunteerProfileWrite

BEARER: list[SecurityRequirement] = [{"bearer": []}]


class VolunteerController(Controller):
    path = "/api/v1/volunteers"
    tags = ["volunteers"]
    guards = [requires_login]
    security = BEARER

    @post(
        operation_id="save_volunteer_profile",
        summary="Sign up as a volunteer (with consent), or change one's volunteer profile",
        status_code=HTTP_201_CREATED,
        responses={**problems(401, 422), 200: ResponseSpec(VolunteerProfileRead, description="The profile, changed")},
    )
    async def save(
        self, caller: Principal, data: JSONBody[VolunteerProfileWrite], settings: NamedDependency[Settings]
    ) -> Response[VolunteerProfileRead]:
        profile, created = await services.save_profile(user_id=caller.id, data=data, keys=settings.sealing_keys)
        return Response(presenters.profile_read(profile), status_code=HTTP_201_CREATED if created else HTTP_200_OK)

    @get(
        "/me",
        operation_id="get_my_volunteer_profile",
        summary="The caller's volunteer profile, identity masked",
        responses=problems(401, 404),
    )
    async def me(self, caller: Principal) -> VolunteerProfileRead:
        return presenters.profile_read(await queries.get_profile(user_id=caller.id))

    @delete(
        "/me/identity",
        operation_id="erase_my_volunteer_identity",
        summary="Erase the real name and identity document from the caller's volunteer profile",
        status_code=HTTP_200_OK,
        responses=problems(401, 404),
    )
    async def erase_identity(self, caller: Principal) -> VolunteerProfileRead:
        return presenters.profile_read(await services.erase_identity(user_id=caller.id))


CONTROLLERS: list[ControllerRouterHandler] = [VolunteerController]
