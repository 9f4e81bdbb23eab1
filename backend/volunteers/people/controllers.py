"""HTTP for volunteer profiles: signing up with consent, the caller's profile, erasing identity."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.openapi import ResponseSpec
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED
from litestar.types import ControllerRouterHandler

from backend.core.auth import principal_of, requires_login
from backend.core.openapi import problems
from backend.settings import Settings
from backend.volunteers.people import services as profiles
from backend.volunteers.people.schemas import VolunteerProfileRead, VolunteerProfileWrite

BEARER = [{"bearer": []}]


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
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[VolunteerProfileWrite],
        settings: NamedDependency[Settings],
    ) -> Response[VolunteerProfileRead]:
        profile, created = await profiles.save_profile(
            user_id=principal_of(request).id, data=data, secret_key=settings.secret_key
        )
        return Response(profiles.profile_read(profile), status_code=HTTP_201_CREATED if created else HTTP_200_OK)

    @get(
        "/me",
        operation_id="get_my_volunteer_profile",
        summary="The caller's volunteer profile, identity masked",
        responses=problems(401, 404),
    )
    async def me(self, request: Request[Any, Any, Any]) -> VolunteerProfileRead:
        return profiles.profile_read(await profiles.get_profile(user_id=principal_of(request).id))

    @delete(
        "/me/identity",
        operation_id="erase_my_volunteer_identity",
        summary="Erase the real name and identity document from the caller's volunteer profile",
        status_code=HTTP_200_OK,
        responses=problems(401, 404),
    )
    async def erase_identity(self, request: Request[Any, Any, Any]) -> VolunteerProfileRead:
        return profiles.profile_read(await profiles.erase_identity(user_id=principal_of(request).id))


CONTROLLERS: list[ControllerRouterHandler] = [VolunteerController]
