"""HTTP for participation by estate and estate kind, and the hook that gives the alliance page
(places, an earlier domain) its member estates' figures."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from litestar import Controller, Response, get
from litestar.config.app import AppConfig
from litestar.params import Parameter
from litestar.types import ControllerRouterHandler

from backend.core.auth import requires_login
from backend.core.context import Principal
from backend.core.openapi import problems
from backend.inclusion.insight import by_place, place_presenters
from backend.inclusion.insight.controllers import MONTH_PATTERN
from backend.inclusion.insight.place_schemas import PlaceParticipationRead
from backend.places.api import ESTATE_FIGURES_STATE


class PlaceStatisticsController(Controller):
    path = "/api/v1/stats/participation/by-place"
    tags = ["inclusion"]
    guards = [requires_login]
    security = [{"bearer": []}]

    @get(
        operation_id="participation_by_place",
        summary="Participation per estate and per estate kind and month in a community (its staff; a property "
        "company's staff for their estates); cells under 5 people suppressed",
        responses=problems(400, 401, 403, 422),
    )
    async def by_place(
        self,
        caller: Principal,
        community_id: Annotated[uuid.UUID, Parameter(description="a community")],
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
    ) -> Response[PlaceParticipationRead]:
        if format == "csv":  # the file leaves the system: reading it is audited
            report = await by_place.place_export(
                user_id=caller.id, community_id=community_id, month_from=month_from, month_to=month_to
            )
            return Response(
                place_presenters.place_csv(report),  # type: ignore[arg-type]  # the CSV variant; the schema documents the JSON
                media_type="text/csv",
                headers={"Content-Disposition": f'attachment; filename="participation-by-place-{community_id}.csv"'},
            )
        report = await by_place.place_report(
            user_id=caller.id, community_id=community_id, month_from=month_from, month_to=month_to
        )
        return Response(place_presenters.place_read(report))


def provide_estate_figures(app_config: AppConfig) -> AppConfig:
    """The manifest's app hook: the alliance page reads its member estates' figures from here."""
    app_config.state[ESTATE_FIGURES_STATE] = by_place.alliance_figures
    return app_config


CONTROLLERS: list[ControllerRouterHandler] = [PlaceStatisticsController]
