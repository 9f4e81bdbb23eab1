"""Patrol routes in the coordinators' room (``/console/volunteers/teams/routes/…``): a route's page
(checkpoints in walking order with their coordinates, each plate, all plates on A4, and a map
where a tile source is configured), drawing a new route for a team, renaming one and editing its
checkpoints (reorder, add, remove).

Every handler calls what the API's route controllers call (``volunteers.api``: ``read_route``,
``create_route``, ``update_route``, ``replace_checkpoints``, ``route_map_png``) with the coordinator
as the caller, so the same checks answer: a route outside one's teams 404, a member who does not
coordinate 403, checkpoints already scanned 409, a form the schema refuses 422 naming the field."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.di import Provide
from litestar.response import Template

from backend.core.context import Principal
from backend.core.errors import NotFound
from backend.core.i18n import N_, _
from backend.settings import Settings
from backend.volunteers import api as volunteers
from backend.web.console.edge import page, provide_me, signed_in
from backend.web.console.volunteers_controllers import requires_coordination

TEAMS = "/console/volunteers/teams"
ROUTES = f"{TEAMS}/routes"
BLANK_ROWS = 3  # empty checkpoint rows a form offers for adding
MAX_ROWS = 50  # the API's most checkpoints on a route
DONE: Mapping[str, str] = {
    "route_created": N_("The route is drawn. Print its plates and fix them at the checkpoints."),
    "route_renamed": N_("The route's name is saved."),
    "checkpoints_replaced": N_("The checkpoints are saved, with new codes: print the plates again."),
}


class RoutesController(Controller):
    path = "/volunteers/teams"  # under the console router's /console
    include_in_schema = False
    guards = [signed_in, requires_coordination]
    dependencies = {"me": Provide(provide_me, sync_to_thread=False)}

    @get("/routes/{route_id:uuid}")
    async def route(
        self, request: Request[Any, Any, Any], me: Principal, route_id: uuid.UUID, settings: Settings
    ) -> Template:
        """The API's route (``read_route``: 404 outside the team, codes for coordinators)."""
        view = await volunteers.read_route(user_id=me.id, route_id=route_id)
        route = volunteers.route_read(view)
        team = volunteers.team_read(await volunteers.team_summary(viewer_id=me.id, team_id=route.team_id))
        said = DONE.get(request.query_params.get("done", ""))
        return await page(
            request,
            "console/volunteers/route.html",
            route=route,
            team=team,
            coordinator=view.with_codes,
            mapped=bool(settings.map_tiles) and bool(route.checkpoints),
            done=_(said) if said else None,
            tab="teams",
        )

    @get("/routes/{route_id:uuid}/map.png")
    async def map(self, me: Principal, route_id: uuid.UUID, settings: Settings) -> Response[bytes]:
        """The route drawn on the configured tiles (``route_map_png``); 404 without a tile source."""
        png = await volunteers.route_map_png(
            user_id=me.id, route_id=route_id, tiles=settings.map_tiles, attribution=settings.map_attribution
        )
        if png is None:
            raise NotFound("map_not_configured", N_("No map source is configured."))
        return Response(content=png, media_type="image/png", headers={"Cache-Control": "private, max-age=300"})
