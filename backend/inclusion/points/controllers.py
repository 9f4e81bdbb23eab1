"""HTTP for points: the caller's own points, and the rules a community's residents earn by."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, get, put
from litestar.params import JSONBody, Parameter
from litestar.types import ControllerRouterHandler

from backend.core.auth import requires_login
from backend.core.context import Principal
from backend.core.openapi import problems
from backend.inclusion.points import presenters, queries, rules
from backend.inclusion.points.schemas import PointRuleRead, PointRulesReplace, PointsRead

BEARER: list[dict[str, list[str]]] = [{"bearer": []}]


class MyPointsController(Controller):
    path = "/api/v1/me"
    tags = ["inclusion"]
    guards = [requires_login]
    security = BEARER

    @get(
        "/points",
        operation_id="get_my_points",
        summary="The caller's points: balance, soon expiring, entries newest first",
        responses=problems(401),
    )
    async def my_points(
        self,
        caller: Principal,
        limit: Annotated[int, Parameter(ge=1, le=queries.MAX_PAGE)] = 20,
        offset: Annotated[int, Parameter(ge=0, le=1_000_000)] = 0,
    ) -> PointsRead:
        return presenters.points_read(await queries.my_points(user_id=caller.id, limit=limit, offset=offset))


class PointRuleController(Controller):
    path = "/api/v1/communities/{community_id:uuid}/point-rules"
    tags = ["inclusion"]

    @get(
        operation_id="get_point_rules",
        summary="How residents of a community earn points (public)",
        responses=problems(404),
    )
    async def get_rules(self, community_id: uuid.UUID) -> list[PointRuleRead]:
        return presenters.rules_read(await rules.community_rules(community_id=community_id))

    @put(
        operation_id="replace_point_rules",
        summary="Set a community's own point rules (staff who manage rewards there; the city's id sets city-wide rules)",
        guards=[requires_login],
        security=BEARER,
        responses=problems(401, 403, 404, 422),
    )
    async def replace_rules(
        self, caller: Principal, community_id: uuid.UUID, data: JSONBody[PointRulesReplace]
    ) -> list[PointRuleRead]:
        replaced = await rules.replace_rules(user_id=caller.id, community_id=community_id, rules=data.rules)
        return presenters.rules_read(replaced)


CONTROLLERS: list[ControllerRouterHandler] = [MyPointsController, PointRuleController]
