"""HTTP for participation statistics (staff, in their scope), a resident's recommendations and the
opt-in leaderboards."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from litestar import Controller, Response, get
from litestar.params import Parameter
from litestar.types import ControllerRouterHandler

from backend.core.auth import requires_login
from backend.core.context import Principal
from backend.core.geo import parse_point
from backend.core.openapi import problems
from backend.inclusion.insight import leaderboards, presenters, recommendations, statistics
from backend.inclusion.insight.schemas import (
    LeaderboardKind,
    LeaderboardRead,
    ParticipationRead,
    RecommendationList,
)

Month = Annotated[
    str | None, Parameter(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM; this month by default", examples=[])
]
MONTH_PATTERN = r"^(19|20)\d{2}-(0[1-9]|1[0-2])$"


class InsightController(Controller):
    path = "/api/v1"
    tags = ["inclusion"]
    guards = [requires_login]
    security = [{"bearer": []}]

    @get(
        "/stats/participation",
        operation_id="participation_statistics",
        summary="Participation per community and month (organisers and admins, in their scope); cells under 5 people suppressed",
        responses=problems(400, 401, 403, 422),
    )
    async def participation(
        self,
        caller: Principal,
        community_id: Annotated[uuid.UUID, Parameter(description="a community, street, district or the city")],
        month_from: Annotated[
            str | None,
            Parameter(
                query="from", pattern=MONTH_PATTERN, description="first month, YYYY-MM; default five months before `to`"
            ),
        ] = None,
        month_to: Annotated[
            str | None,
            Parameter(query="to", pattern=MONTH_PATTERN, description="last month, YYYY-MM; default this month"),
        ] = None,
        format: Annotated[
            Literal["json", "csv"], Parameter(description="csv: UTF-8 with BOM, suppressed cells as <5")
        ] = "json",
    ) -> Response[ParticipationRead]:
        if format == "csv":  # the file leaves the system: reading it is audited
            report = await statistics.participation_export(
                user_id=caller.id, organisation_id=community_id, month_from=month_from, month_to=month_to
            )
            disposition = f'attachment; filename="participation-{community_id}.csv"'
            return Response(
                presenters.report_csv(report),  # type: ignore[arg-type]  # the CSV variant; the schema documents the JSON
                media_type="text/csv",
                headers={"Content-Disposition": disposition},
            )
        report = await statistics.participation_report(
            user_id=caller.id, organisation_id=community_id, month_from=month_from, month_to=month_to
        )
        return Response(presenters.participation_read(report))

    @get(
        "/recommendations",
        operation_id="list_recommendations",
        summary="Upcoming events for the caller, best fit first, each with short reasons",
        responses=problems(400, 401),
    )
    async def recommend(
        self,
        caller: Principal,
        near: Annotated[
            str | None, Parameter(description="lat,lng (GCJ-02); else the profile's home", examples=[])
        ] = None,
        limit: Annotated[int, Parameter(ge=1, le=recommendations.MAX_LIMIT)] = 10,
    ) -> RecommendationList:
        found, personalised = await recommendations.recommend_events(
            user_id=caller.id, near=parse_point(near), limit=limit
        )
        return await presenters.recommendations_read(found, personalised)


class LeaderboardController(Controller):
    path = "/api/v1/leaderboards"
    tags = ["inclusion"]

    @get(
        "/{kind:str}",
        operation_id="get_leaderboard",
        summary="A community's monthly board of points or volunteer hours; only residents who opted in",
        responses=problems(400, 404, 422),
    )
    async def board(
        self,
        visitor: Principal | None,
        kind: LeaderboardKind,
        community_id: uuid.UUID,
        month: Month = None,
        limit: Annotated[int, Parameter(ge=1, le=leaderboards.MAX_LIMIT)] = 20,
    ) -> LeaderboardRead:
        board = await leaderboards.leaderboard(
            kind=kind, community_id=community_id, month=month, limit=limit, user_id=visitor.id if visitor else None
        )
        return presenters.leaderboard_read(board)


CONTROLLERS: list[ControllerRouterHandler] = [InsightController, LeaderboardController]
