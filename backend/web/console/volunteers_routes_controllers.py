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
from contextlib import suppress
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import Provide
from litestar.response import Template

from backend.core.context import Principal
from backend.core.errors import NotFound, PendingFieldProblem, field_problem
from backend.core.i18n import N_, _
from backend.settings import Settings
from backend.volunteers import api as volunteers
from backend.web.console.account_controllers import Form
from backend.web.console.edge import FormRefused, form_values, go, page, parse_form, provide_me, signed_in
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

    # --- drawing and editing ----------------------------------------------------------------------------

    @get("/{team_id:uuid}/routes/new")
    async def new_route(self, request: Request[Any, Any, Any], me: Principal, team_id: uuid.UUID) -> Template:
        """A new route for the team (``create_route``: its coordinators)."""
        team = await _coordinated_team(me, team_id)
        rows = _blank_rows(0, _more(request, 5))
        return await page(
            request, "console/volunteers/route_form.html", team=team, route=None, rows=rows, values={}, tab="teams"
        )

    @post("/{team_id:uuid}/routes/new")
    async def create_route(
        self, request: Request[Any, Any, Any], me: Principal, team_id: uuid.UUID, data: Form
    ) -> Response[Any]:
        values = form_values(data)
        checkpoints = checkpoint_rows(values)
        body: volunteers.RouteCreate = parse_form(
            {"name": values.get("name", {}), "description": values.get("description", {}), "checkpoints": checkpoints},
            volunteers.RouteCreate,
        )
        view = await volunteers.create_route(user_id=me.id, team_id=team_id, data=body)
        return go(request, f"{ROUTES}/{view.route['id']}?done=route_created")

    @get("/routes/rows")
    async def more_rows(self, request: Request[Any, Any, Any], me: Principal) -> Template:
        """Empty checkpoint rows for a route form (htmx appends them; the button comes back)."""
        start = 0
        with suppress(ValueError):
            start = max(0, min(int(request.query_params.get("start", 0)), MAX_ROWS))
        return await page(
            request,
            "console/volunteers/_route_rows.html",
            start=start,
            rows=_blank_rows(start, BLANK_ROWS),
            more=True,
            oob=True,
            max_rows=MAX_ROWS,
        )

    @get("/routes/{route_id:uuid}/edit")
    async def edit_route(self, request: Request[Any, Any, Any], me: Principal, route_id: uuid.UUID) -> Template:
        view = await volunteers.read_route(user_id=me.id, route_id=route_id)
        team = await _coordinated_team(me, view.route["team"])
        stops = [
            {
                "order": row["position"],
                "name": row["name"] or {},
                "latitude": row["latitude"],
                "longitude": row["longitude"],
                "existing": True,
            }
            for row in view.checkpoints
        ]
        rows = stops + _blank_rows(len(stops), _more(request, BLANK_ROWS))
        return await page(
            request,
            "console/volunteers/route_form.html",
            team=team,
            route=volunteers.route_read(view),
            rows=rows,
            values={"name": view.route["name"] or {}, "description": view.route["description"] or {}},
            tab="teams",
        )

    @post("/routes/{route_id:uuid}/edit")
    async def rename_route(
        self, request: Request[Any, Any, Any], me: Principal, route_id: uuid.UUID, data: Form
    ) -> Response[Any]:
        values = form_values(data)
        body: volunteers.RouteUpdate = parse_form(
            {"name": values.get("name", {}), "description": values.get("description", {})}, volunteers.RouteUpdate
        )
        await volunteers.update_route(user_id=me.id, route_id=route_id, data=body)
        return go(request, f"{ROUTES}/{route_id}?done=route_renamed")

    @post("/routes/{route_id:uuid}/checkpoints")
    async def replace_checkpoints(
        self, request: Request[Any, Any, Any], me: Principal, route_id: uuid.UUID, data: Form
    ) -> Response[Any]:
        body: volunteers.CheckpointsReplace = parse_form(
            {"checkpoints": checkpoint_rows(form_values(data))}, volunteers.CheckpointsReplace
        )
        await volunteers.replace_checkpoints(user_id=me.id, route_id=route_id, checkpoints=body.checkpoints)
        return go(request, f"{ROUTES}/{route_id}?done=checkpoints_replaced")


# --- the checkpoint rows of a form ----------------------------------------------------------------------


def _more(request: Request[Any, Any, Any], default: int) -> int:
    """Empty rows to offer (``?rows=``: "more rows" without a script)."""
    wanted = default
    with suppress(ValueError):
        wanted = int(request.query_params.get("rows", default))
    return max(0, min(wanted, MAX_ROWS))


def _blank_rows(filled: int, count: int) -> list[dict[str, Any]]:
    count = max(0, min(count, MAX_ROWS - filled))
    return [{"order": filled + n + 1, "name": {}, "latitude": "", "longitude": ""} for n in range(count)]


def checkpoint_rows(values: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The form's checkpoint rows (``cp-<i>-…``) as the API's list, in the order the "order" boxes
    give (rows with the same number keep their place on the form); a row left empty or ticked for
    removal is not a checkpoint. Each row goes through the API's ``CheckpointWrite``: a refusal
    names the row's own box."""
    found: list[tuple[float, int, dict[str, Any]]] = []
    problems: list[PendingFieldProblem] = []
    for index in range(MAX_ROWS + 1):
        prefix = f"cp-{index}-"
        name, latitude, longitude = (values.get(prefix + part) for part in ("name", "latitude", "longitude"))
        if values.get(prefix + "remove") or not (name or latitude or longitude):
            continue
        row = {
            "name": name if isinstance(name, dict) else {},
            **({"latitude": latitude} if latitude is not None else {}),
            **({"longitude": longitude} if longitude is not None else {}),
        }
        try:
            msgspec.convert(row, volunteers.CheckpointWrite, strict=False)
        except msgspec.ValidationError as error:
            problem = field_problem(error)
            field = problem.field or "name"
            where = prefix + ("name.zh-Hans" if field.startswith("name") else field)
            problems.append(
                PendingFieldProblem(field=where, message=problem.message, code=problem.code, params=problem.params)
            )
            continue
        order: float = index + 1
        with suppress(ValueError, TypeError):
            order = float(values.get(prefix + "order", order))
        found.append((order, index, row))
    if problems:
        raise FormRefused(problems)
    return [row for _order, _index, row in sorted(found, key=lambda item: (item[0], item[1]))]


async def _coordinated_team(me: Principal, team_id: uuid.UUID) -> volunteers.TeamRead:
    """The team, for one of its coordinators (the API's member list answers 403/404 for others)."""
    await volunteers.list_members(user_id=me.id, team_id=team_id, status=None)
    return volunteers.team_read(await volunteers.team_summary(viewer_id=me.id, team_id=team_id))
