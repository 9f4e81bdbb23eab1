"""HTTP for the monthly figures beside participation: age bands, volunteer hours, points earned
and spent (staff who may read statistics, in their scope), as JSON or a spreadsheet."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from litestar import Controller, Response, get
from litestar.params import Parameter
from litestar.types import ControllerRouterHandler

from backend.core.auth import requires_login
from backend.core.context import Principal
from backend.core.openapi import problems
from backend.inclusion.insight import monthly
from backend.inclusion.insight.controllers import MONTH_PATTERN
from backend.inclusion.insight.monthly_presenters import MonthlyRead, monthly_csv, monthly_read


class MonthlyStatisticsController(Controller):
    path = "/api/v1/stats"
    tags = ["inclusion"]
    guards = [requires_login]
    security = [{"bearer": []}]

    @get(
        "/monthly",
        operation_id="monthly_statistics",
        summary="Per community and month: participants by age band, volunteer hours, points earned and spent; cells under 5 people suppressed",
        responses=problems(400, 401, 403, 422),
    )
    async def monthly_figures(
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
    ) -> Response[MonthlyRead]:
        if format == "csv":  # the file leaves the system: reading it is audited
            report = await monthly.monthly_export(
                user_id=caller.id, organisation_id=community_id, month_from=month_from, month_to=month_to
            )
            return Response(
                monthly_csv(report),  # type: ignore[arg-type]  # the CSV variant; the schema documents the JSON
                media_type="text/csv",
                headers={"Content-Disposition": f'attachment; filename="monthly-{community_id}.csv"'},
            )
        report = await monthly.monthly_report(
            user_id=caller.id, organisation_id=community_id, month_from=month_from, month_to=month_to
        )
        return Response(monthly_read(report))


CONTROLLERS: list[ControllerRouterHandler] = [MonthlyStatisticsController]
