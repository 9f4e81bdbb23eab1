"""HTTP for teams and their members, patrol routes and checkpoint plates."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, Response, delete, get, patch, post, put
from litestar.openapi import ResponseSpec
from litestar.openapi.spec import SecurityRequirement
from litestar.params import JSONBody, Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED
from litestar.types import ControllerRouterHandler

from backend.core.auth import requires_login
from backend.core.context import Principal
from backend.core.openapi import problems
from backend.volunteers.teams import plates_pdf, presenters, queries, routes, services
from backend.volunteers.teams.schemas import (
    CheckpointsReplace,
    JoinRead,
    MemberRead,
    RouteCreate,
    RouteRead,
    RouteUpdate,
    TeamCreate,
    TeamRead,
    TeamUpdate,
)
from backend.volunteers.teams.tables import MemberStatus, TeamKind

BEARER: list[SecurityRequirement] = [{"bearer": []}]


class TeamController(Controller):
    path = "/api/v1/teams"
    tags = ["volunteers"]

    @get(operation_id="list_teams", summary="Volunteer teams, optionally of a community (or street) and kind")
    async def list_teams(
        self,
        visitor: Principal | None,
        community_id: Annotated[
            uuid.UUID | None, Parameter(description="a community, or a street and its communities")
        ] = None,
        kind: TeamKind | None = None,
        alliance_id: Annotated[
            uuid.UUID | None, Parameter(query="alliance", description="teams for an estate alliance's estates")
        ] = None,
        limit: Annotated[int, Parameter(ge=1, le=200)] = 50,
        offset: Annotated[int, Parameter(ge=0, le=100_000)] = 0,
    ) -> list[TeamRead]:
        found = await queries.list_teams(
            viewer_id=visitor.id if visitor else None,
            community_id=community_id,
            kind=kind,
            limit=limit,
            offset=offset,
            alliance_id=alliance_id,
        )
        return [presenters.team_read(summary) for summary in found]

    @post(
        operation_id="create_team",
        summary="Start a team (staff who coordinate volunteers in the community)",
        guards=[requires_login],
        security=BEARER,
        status_code=HTTP_201_CREATED,
        responses=problems(401, 403, 404, 422),
    )
    async def create(self, caller: Principal, data: JSONBody[TeamCreate]) -> TeamRead:
        team = await services.create_team(user_id=caller.id, data=data)
        return presenters.team_read(await queries.team_summary(viewer_id=caller.id, team_id=team.id))

    @get(
        "/{team_id:uuid}",
        operation_id="get_team",
        summary="One team, in the caller's language",
        responses=problems(404),
    )
    async def get_one(self, visitor: Principal | None, team_id: uuid.UUID) -> TeamRead:
        return presenters.team_read(
            await queries.team_summary(viewer_id=visitor.id if visitor else None, team_id=team_id)
        )

    @patch(
        "/{team_id:uuid}",
        operation_id="update_team",
        summary="Change a team's name, description or how people join (its coordinators)",
        guards=[requires_login],
        security=BEARER,
        responses=problems(401, 403, 404, 422),
    )
    async def update(self, caller: Principal, team_id: uuid.UUID, data: JSONBody[TeamUpdate]) -> TeamRead:
        await services.update_team(user_id=caller.id, team_id=team_id, data=data)
        return presenters.team_read(await queries.team_summary(viewer_id=caller.id, team_id=team_id))


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
            **problems(401, 403, 404, 409),
            200: ResponseSpec(JoinRead, description="Already asked: nothing changed"),
        },
    )
    async def join(self, caller: Principal, team_id: uuid.UUID) -> Response[JoinRead]:
        member, changed = await services.join_team(user_id=caller.id, team_id=team_id)
        return Response(presenters.join_read(member), status_code=HTTP_201_CREATED if changed else HTTP_200_OK)

    @delete(
        "/members/me",
        operation_id="leave_team",
        summary="Leave a team",
        status_code=HTTP_200_OK,
        responses=problems(401, 404),
    )
    async def leave(self, caller: Principal, team_id: uuid.UUID) -> JoinRead:
        return presenters.join_read(await services.leave_team(user_id=caller.id, team_id=team_id))

    @get(
        "/members",
        operation_id="list_team_members",
        summary="A team's members, names and phones masked (its coordinators)",
        responses=problems(401, 403, 404),
    )
    async def members(
        self, caller: Principal, team_id: uuid.UUID, status: MemberStatus | None = None
    ) -> list[MemberRead]:
        rows = await queries.list_members(user_id=caller.id, team_id=team_id, status=status)
        return [presenters.member_read(row) for row in rows]

    @post(
        "/members/{user_id:uuid}/approve",
        operation_id="approve_team_member",
        summary="Accept a request to join (the team's coordinators)",
        status_code=HTTP_200_OK,
        responses=problems(401, 403, 404, 409),
    )
    async def approve(self, caller: Principal, team_id: uuid.UUID, user_id: uuid.UUID) -> MemberRead:
        row = await services.decide_member(user_id=caller.id, team_id=team_id, member_id=user_id, approve=True)
        return presenters.member_read(row)

    @post(
        "/members/{user_id:uuid}/reject",
        operation_id="reject_team_member",
        summary="Turn down a request to join (the team's coordinators)",
        status_code=HTTP_200_OK,
        responses=problems(401, 403, 404, 409),
    )
    async def reject(self, caller: Principal, team_id: uuid.UUID, user_id: uuid.UUID) -> MemberRead:
        row = await services.decide_member(user_id=caller.id, team_id=team_id, member_id=user_id, approve=False)
        return presenters.member_read(row)

    @put(
        "/coordinators/{user_id:uuid}",
        operation_id="appoint_team_coordinator",
        summary="Make an active member of the team, or staff of its community, a coordinator of it",
        responses=problems(401, 403, 404, 422),
    )
    async def appoint(self, caller: Principal, team_id: uuid.UUID, user_id: uuid.UUID) -> MemberRead:
        row = await services.appoint_coordinator(user_id=caller.id, team_id=team_id, member_id=user_id)
        return presenters.member_read(row)

    @delete(
        "/coordinators/{user_id:uuid}",
        operation_id="dismiss_team_coordinator",
        summary="A coordinator goes back to being a member",
        status_code=HTTP_200_OK,
        responses=problems(401, 403, 404),
    )
    async def dismiss(self, caller: Principal, team_id: uuid.UUID, user_id: uuid.UUID) -> MemberRead:
        row = await services.dismiss_coordinator(user_id=caller.id, team_id=team_id, member_id=user_id)
        return presenters.member_read(row)


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
    async def create(self, caller: Principal, team_id: uuid.UUID, data: JSONBody[RouteCreate]) -> RouteRead:
        return presenters.route_read(await routes.create_route(user_id=caller.id, team_id=team_id, data=data))

    @get(
        "/teams/{team_id:uuid}/routes",
        operation_id="list_patrol_routes",
        summary="A team's patrol routes (its members; checkpoint codes for coordinators only)",
        responses=problems(401, 403, 404),
    )
    async def list_routes(self, caller: Principal, team_id: uuid.UUID) -> list[RouteRead]:
        return [presenters.route_read(view) for view in await queries.list_routes(user_id=caller.id, team_id=team_id)]

    @get(
        "/routes/{route_id:uuid}",
        operation_id="get_patrol_route",
        summary="One patrol route with its checkpoints",
        responses=problems(401, 404),
    )
    async def get_one(self, caller: Principal, route_id: uuid.UUID) -> RouteRead:
        return presenters.route_read(await queries.read_route(user_id=caller.id, route_id=route_id))

    @patch(
        "/routes/{route_id:uuid}",
        operation_id="update_patrol_route",
        summary="Rename a route or change its description (the team's coordinators; codes unchanged)",
        responses=problems(401, 403, 404, 422),
    )
    async def update(self, caller: Principal, route_id: uuid.UUID, data: JSONBody[RouteUpdate]) -> RouteRead:
        view = await routes.update_route(user_id=caller.id, route_id=route_id, data=data)
        return presenters.route_read(view)

    @put(
        "/routes/{route_id:uuid}/checkpoints",
        operation_id="replace_route_checkpoints",
        summary="Replace a route's checkpoints, with new codes; refused once any was scanned",
        responses=problems(401, 403, 404, 409, 422),
    )
    async def replace(self, caller: Principal, route_id: uuid.UUID, data: JSONBody[CheckpointsReplace]) -> RouteRead:
        view = await routes.replace_checkpoints(user_id=caller.id, route_id=route_id, checkpoints=data.checkpoints)
        return presenters.route_read(view)

    @get(
        "/routes/{route_id:uuid}/checkpoints/{checkpoint_id:uuid}/plate.png",
        operation_id="get_checkpoint_plate",
        summary="A printable plate for a checkpoint: its code as a QR code (the team's coordinators)",
        media_type="image/png",
        responses=problems(401, 403, 404),
    )
    async def plate(self, caller: Principal, route_id: uuid.UUID, checkpoint_id: uuid.UUID) -> Response[bytes]:
        png = await routes.checkpoint_plate(user_id=caller.id, route_id=route_id, checkpoint_id=checkpoint_id)
        return Response(content=png, media_type="image/png", headers={"Cache-Control": "private, no-store"})

    @get(
        "/routes/{route_id:uuid}/plates.pdf",
        operation_id="get_route_plates_pdf",
        summary="Every plate of a route on A4 sheets to print (PDF; the team's coordinators)",
        media_type="application/pdf",
        responses=problems(401, 403, 404),
    )
    async def plates(self, caller: Principal, route_id: uuid.UUID) -> Response[bytes]:
        return await plates_answer(caller.id, route_id)


async def plates_answer(user_id: uuid.UUID, route_id: uuid.UUID) -> Response[bytes]:
    """The plates' PDF as a download (the API's and the console's answer alike)."""
    body, _count = await plates_pdf.route_plates_pdf(user_id=user_id, route_id=route_id)
    return Response(
        content=body,
        media_type="application/pdf",
        headers={
            "Cache-Control": "private, no-store",
            "Content-Disposition": f'attachment; filename="plates-{route_id}.pdf"',
        },
    )


CONTROLLERS: list[ControllerRouterHandler] = [TeamController, MemberController, RouteController]
