"""HTTP for teams and their members, patrol routes and checkpoint plates."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, patch, post, put
from litestar.openapi import ResponseSpec
from litestar.params import JSONBody, Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED
from litestar.types import ControllerRouterHandler

from backend.core.auth import principal_of, requires_login
from backend.core.openapi import problems
from backend.volunteers.teams import members as teams_members
from backend.volunteers.teams import routes
from backend.volunteers.teams import services as teams
from backend.volunteers.teams.schemas import (
    CheckpointsReplace,
    JoinRead,
    MemberRead,
    RouteCreate,
    RouteRead,
    TeamCreate,
    TeamRead,
    TeamUpdate,
)
from backend.volunteers.teams.tables import MemberStatus, TeamKind

BEARER = [{"bearer": []}]


def _user_id(request: Request[Any, Any, Any]) -> uuid.UUID | None:
    user = request.scope.get("user")
    return user.id if user is not None else None


class TeamController(Controller):
    path = "/api/v1/teams"
    tags = ["volunteers"]

    @get(operation_id="list_teams", summary="Volunteer teams, optionally of a community (or street) and kind")
    async def list_teams(
        self,
        request: Request[Any, Any, Any],
        community_id: Annotated[
            uuid.UUID | None, Parameter(description="a community, or a street and its communities")
        ] = None,
        kind: TeamKind | None = None,
        limit: Annotated[int, Parameter(ge=1, le=200)] = 50,
        offset: Annotated[int, Parameter(ge=0, le=100_000)] = 0,
    ) -> list[TeamRead]:
        return await teams.list_teams(
            user_id=_user_id(request), community_id=community_id, kind=kind, limit=limit, offset=offset
        )

    @post(
        operation_id="create_team",
        summary="Start a team (staff who coordinate volunteers in the community)",
        guards=[requires_login],
        security=BEARER,
        status_code=HTTP_201_CREATED,
        responses=problems(401, 403, 404, 422),
    )
    async def create(self, request: Request[Any, Any, Any], data: JSONBody[TeamCreate]) -> TeamRead:
        team = await teams.create_team(user_id=principal_of(request).id, data=data)
        return await teams.read_team(user_id=principal_of(request).id, team_id=team.id)

    @get(
        "/{team_id:uuid}",
        operation_id="get_team",
        summary="One team, in the caller's language",
        responses=problems(404),
    )
    async def get_one(self, request: Request[Any, Any, Any], team_id: uuid.UUID) -> TeamRead:
        return await teams.read_team(user_id=_user_id(request), team_id=team_id)

    @patch(
        "/{team_id:uuid}",
        operation_id="update_team",
        summary="Change a team's name, description or how people join (its coordinators)",
        guards=[requires_login],
        security=BEARER,
        responses=problems(401, 403, 404, 422),
    )
    async def update(self, request: Request[Any, Any, Any], team_id: uuid.UUID, data: JSONBody[TeamUpdate]) -> TeamRead:
        await teams.update_team(user_id=principal_of(request).id, team_id=team_id, data=data)
        return await teams.read_team(user_id=principal_of(request).id, team_id=team_id)


class MemberController(Controller):
    path = "/api/v1/teams/{team_id:uuid}"
    tags = ["volunteers"]
    guards = [requires_login]
    security = BEARER

    @post(
        "/members",
        operation_id="join_team",
        summary="Join a team (active at once, or pending where coordinators approve); asking twice changes nothing",
        status_code=HTTP_201_CREATED,
        responses={
            **problems(401, 404, 409),
            200: ResponseSpec(JoinRead, description="Already asked: nothing changed"),
        },
    )
    async def join(self, request: Request[Any, Any, Any], team_id: uuid.UUID) -> Response[JoinRead]:
        member, changed = await teams_members.join_team(user_id=principal_of(request).id, team_id=team_id)
        return Response(teams_members.join_read(member), status_code=HTTP_201_CREATED if changed else HTTP_200_OK)

    @delete(
        "/members/me",
        operation_id="leave_team",
        summary="Leave a team",
        status_code=HTTP_200_OK,
        responses=problems(401, 404),
    )
    async def leave(self, request: Request[Any, Any, Any], team_id: uuid.UUID) -> JoinRead:
        return teams_members.join_read(
            await teams_members.leave_team(user_id=principal_of(request).id, team_id=team_id)
        )

    @get(
        "/members",
        operation_id="list_team_members",
        summary="A team's members, names and phones masked (its coordinators)",
        responses=problems(401, 403, 404),
    )
    async def members(
        self, request: Request[Any, Any, Any], team_id: uuid.UUID, status: MemberStatus | None = None
    ) -> list[MemberRead]:
        return await teams_members.list_members(user_id=principal_of(request).id, team_id=team_id, status=status)

    @post(
        "/members/{user_id:uuid}/approve",
        operation_id="approve_team_member",
        summary="Accept a request to join (the team's coordinators)",
        status_code=HTTP_200_OK,
        responses=problems(401, 403, 404, 409),
    )
    async def approve(self, request: Request[Any, Any, Any], team_id: uuid.UUID, user_id: uuid.UUID) -> MemberRead:
        return await teams_members.decide_member(
            user_id=principal_of(request).id, team_id=team_id, member_id=user_id, approve=True
        )

    @post(
        "/members/{user_id:uuid}/reject",
        operation_id="reject_team_member",
        summary="Turn down a request to join (the team's coordinators)",
        status_code=HTTP_200_OK,
        responses=problems(401, 403, 404, 409),
    )
    async def reject(self, request: Request[Any, Any, Any], team_id: uuid.UUID, user_id: uuid.UUID) -> MemberRead:
        return await teams_members.decide_member(
            user_id=principal_of(request).id, team_id=team_id, member_id=user_id, approve=False
        )

    @put(
        "/coordinators/{user_id:uuid}",
        operation_id="appoint_team_coordinator",
        summary="Make a member, or anyone with an account, a coordinator of this team",
        responses=problems(401, 403, 404),
    )
    async def appoint(self, request: Request[Any, Any, Any], team_id: uuid.UUID, user_id: uuid.UUID) -> MemberRead:
        return await teams_members.appoint_coordinator(
            user_id=principal_of(request).id, team_id=team_id, member_id=user_id
        )

    @delete(
        "/coordinators/{user_id:uuid}",
        operation_id="dismiss_team_coordinator",
        summary="A coordinator goes back to being a member",
        status_code=HTTP_200_OK,
        responses=problems(401, 403, 404),
    )
    async def dismiss(self, request: Request[Any, Any, Any], team_id: uuid.UUID, user_id: uuid.UUID) -> MemberRead:
        return await teams_members.dismiss_coordinator(
            user_id=principal_of(request).id, team_id=team_id, member_id=user_id
        )


class RouteController(Controller):
    path = "/api/v1"
    tags = ["volunteers"]
    guards = [requires_login]
    security = BEARER

    @post(
        "/teams/{team_id:uuid}/routes",
        operation_id="create_patrol_route",
        summary="Draw a patrol route with its checkpoints (the team's coordinators)",
        status_code=HTTP_201_CREATED,
        responses=problems(401, 403, 404, 422),
    )
    async def create(
        self, request: Request[Any, Any, Any], team_id: uuid.UUID, data: JSONBody[RouteCreate]
    ) -> RouteRead:
        return await routes.create_route(user_id=principal_of(request).id, team_id=team_id, data=data)

    @get(
        "/teams/{team_id:uuid}/routes",
        operation_id="list_patrol_routes",
        summary="A team's patrol routes (its members; checkpoint codes for coordinators only)",
        responses=problems(401, 403, 404),
    )
    async def list_routes(self, request: Request[Any, Any, Any], team_id: uuid.UUID) -> list[RouteRead]:
        return await routes.list_routes(user_id=principal_of(request).id, team_id=team_id)

    @get(
        "/routes/{route_id:uuid}",
        operation_id="get_patrol_route",
        summary="One patrol route with its checkpoints",
        responses=problems(401, 404),
    )
    async def get_one(self, request: Request[Any, Any, Any], route_id: uuid.UUID) -> RouteRead:
        return await routes.read_route(user_id=principal_of(request).id, route_id=route_id)

    @put(
        "/routes/{route_id:uuid}/checkpoints",
        operation_id="replace_route_checkpoints",
        summary="Replace a route's checkpoints, with new codes; refused once any was scanned",
        responses=problems(401, 403, 404, 409, 422),
    )
    async def replace(
        self, request: Request[Any, Any, Any], route_id: uuid.UUID, data: JSONBody[CheckpointsReplace]
    ) -> RouteRead:
        return await routes.replace_checkpoints(
            user_id=principal_of(request).id, route_id=route_id, checkpoints=data.checkpoints
        )

    @get(
        "/routes/{route_id:uuid}/checkpoints/{checkpoint_id:uuid}/plate.png",
        operation_id="get_checkpoint_plate",
        summary="A printable plate for a checkpoint: its code as a QR code (the team's coordinators)",
        media_type="image/png",
        responses=problems(401, 403, 404),
    )
    async def plate(
        self, request: Request[Any, Any, Any], route_id: uuid.UUID, checkpoint_id: uuid.UUID
    ) -> Response[bytes]:
        png = await routes.checkpoint_plate(
            user_id=principal_of(request).id, route_id=route_id, checkpoint_id=checkpoint_id
        )
        return Response(content=png, media_type="image/png", headers={"Cache-Control": "private, no-store"})


CONTROLLERS: list[ControllerRouterHandler] = [TeamController, MemberController, RouteController]
