"""Teams in the coordinators' room (``/console/volunteers/teams``): the teams one coordinates, a
team's members (masked as the API shows them to coordinators), its requests to join approved or
turned down, and its patrol routes with their checkpoints in walking order and printable plates.

Every handler calls what the API's team controllers call (``volunteers.api``: ``team_summary``,
``list_members``, ``decide_member``, ``list_routes``, ``checkpoint_plate``) with the coordinator as
the caller, so the same checks answer: no such team 404, someone else's team 403, a request
already decided 409."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import Provide
from litestar.response import Template

from backend.core.context import Principal
from backend.core.i18n import N_, _, pick
from backend.volunteers import api as volunteers
from backend.web.console.account_controllers import Form
from backend.web.console.edge import form_values, go, page, parse_form, provide_me, signed_in
from backend.web.console.listing import Listing
from backend.web.console.volunteers_controllers import requires_coordination

ROOT = "/console/volunteers/teams"
SORTS = ("name", "members", "waiting")
DONE: Mapping[str, str] = {
    "team_created": N_("The team is started. Invite volunteers to join it."),
    "team_changed": N_("The team's details are saved."),
    "approved": N_("The request is approved: the volunteer is now a member of the team."),
    "rejected": N_("The request is turned down."),
}
ROLE_NAMES: Mapping[str, str] = {"member": N_("Member"), "coordinator": N_("Coordinator")}
STATUS_NAMES: Mapping[str, str] = {
    "pending": N_("Waiting"),
    "active": N_("Active"),
    "rejected": N_("Turned down"),
    "left": N_("Left"),
}


class TeamsController(Controller):
    path = "/volunteers/teams"  # under the console router's /console
    include_in_schema = False
    guards = [signed_in, requires_coordination]
    dependencies = {"me": Provide(provide_me, sync_to_thread=False)}

    @get("/")
    async def teams(self, request: Request[Any, Any, Any], me: Principal) -> Template:
        """The teams one coordinates (``coordinated_teams``), each as the API's GET shows it."""
        listing = Listing.read(ROOT, request.query_params, sorts=SORTS, default_sort="name", filters=("q",))
        rows: list[dict[str, Any]] = []
        for team in await volunteers.coordinated_teams(user_id=me.id):
            read = volunteers.team_read(await volunteers.team_summary(viewer_id=me.id, team_id=team.id))
            members = await volunteers.list_members(user_id=me.id, team_id=team.id, status=None)
            rows.append({"team": read, "waiting": sum(1 for m in members if m["status"] == "pending")})
        text = listing.filters.get("q", "").casefold()
        if text:
            rows = [r for r in rows if text in r["team"].name.casefold() or text in r["team"].community.name.casefold()]
        rows.sort(key=_SORT_KEYS[listing.key], reverse=listing.descending)
        listing.total = len(rows)
        return await page(
            request,
            "console/volunteers/teams.html",
            may_start=bool(await volunteers.routing_communities(me.id)),
            listing=listing,
            rows=rows[listing.offset : listing.offset + listing.size],
            tab="teams",
        )

    @get("/new")
    async def new_team(self, request: Request[Any, Any, Any], me: Principal) -> Template:
        """A new team in one of the communities one coordinates volunteers in (``create_team``)."""
        return await _team_form(request, me, None, {"kind": "patrol", "join_mode": "approval"})

    @post("/new")
    async def create_team(self, request: Request[Any, Any, Any], me: Principal, data: Form) -> Response[Any]:
        values = form_values(data)
        body: volunteers.TeamCreate = parse_form(values, volunteers.TeamCreate)
        team = await volunteers.create_team(user_id=me.id, data=body)
        return go(request, f"{ROOT}/{team.id}?done=team_created")

    @get("/{team_id:uuid}/edit")
    async def edit_team(self, request: Request[Any, Any, Any], me: Principal, team_id: uuid.UUID) -> Template:
        """The team's name, description and how people join (``update_team``: its coordinators)."""
        await volunteers.list_members(user_id=me.id, team_id=team_id, status=None)  # the API's 403/404 first
        summary = await volunteers.team_summary(viewer_id=me.id, team_id=team_id)
        row = summary.row
        values = {"name": row["name"] or {}, "description": row["description"] or {}, "join_mode": row["join_mode"]}
        return await _team_form(request, me, volunteers.team_read(summary), values)

    @post("/{team_id:uuid}/edit")
    async def update_team(
        self, request: Request[Any, Any, Any], me: Principal, team_id: uuid.UUID, data: Form
    ) -> Response[Any]:
        values = form_values(data)
        values.setdefault("name", {})  # every name box emptied: the schema refuses it, naming the field
        values.setdefault("description", {})  # every description box emptied: no description
        body: volunteers.TeamUpdate = parse_form(values, volunteers.TeamUpdate)
        await volunteers.update_team(user_id=me.id, team_id=team_id, data=body)
        return go(request, f"{ROOT}/{team_id}?done=team_changed")

    @get("/{team_id:uuid}")
    async def team(self, request: Request[Any, Any, Any], me: Principal, team_id: uuid.UUID) -> Template:
        """A team: its members and requests (the API's member list: 403 for someone else's team),
        and its routes with checkpoints in order (the API's route list, codes for coordinators)."""
        found = await volunteers.list_members(user_id=me.id, team_id=team_id, status=None)
        members = [volunteers.member_read(row) for row in found]
        team = volunteers.team_read(await volunteers.team_summary(viewer_id=me.id, team_id=team_id))
        routes = [volunteers.route_read(view) for view in await volunteers.list_routes(user_id=me.id, team_id=team_id)]
        said = DONE.get(request.query_params.get("done", ""))
        return await page(
            request,
            "console/volunteers/teams_team.html",
            team=team,
            waiting=[m for m in members if m.status == "pending"],
            active=[_member(m) for m in members if m.status == "active"],
            former=[_member(m) for m in members if m.status in {"left", "rejected"}],
            routes=routes,
            done=_(said) if said else None,
            tab="teams",
        )

    @post("/{team_id:uuid}/members/{user_id:uuid}/approve")
    async def approve(
        self, request: Request[Any, Any, Any], me: Principal, team_id: uuid.UUID, user_id: uuid.UUID, data: Form
    ) -> Response[Any]:
        await volunteers.decide_member(user_id=me.id, team_id=team_id, member_id=user_id, approve=True)
        return go(request, f"{ROOT}/{team_id}?done=approved")

    @post("/{team_id:uuid}/members/{user_id:uuid}/reject")
    async def reject(
        self, request: Request[Any, Any, Any], me: Principal, team_id: uuid.UUID, user_id: uuid.UUID, data: Form
    ) -> Response[Any]:
        await volunteers.decide_member(user_id=me.id, team_id=team_id, member_id=user_id, approve=False)
        return go(request, f"{ROOT}/{team_id}?done=rejected")

    @get("/routes/{route_id:uuid}/checkpoints/{checkpoint_id:uuid}/plate.png")
    async def plate(self, me: Principal, route_id: uuid.UUID, checkpoint_id: uuid.UUID) -> Response[bytes]:
        """The API's plate (``checkpoint_plate``: coordinators only), under /console where the
        session's cookie is read."""
        png = await volunteers.checkpoint_plate(user_id=me.id, route_id=route_id, checkpoint_id=checkpoint_id)
        return Response(content=png, media_type="image/png", headers={"Cache-Control": "private, no-store"})

    @get("/routes/{route_id:uuid}/plates.pdf")
    async def plates(self, me: Principal, route_id: uuid.UUID) -> Response[bytes]:
        """The API's sheet of every plate of the route (``route_plates_pdf``: coordinators only)."""
        body, _count = await volunteers.route_plates_pdf(user_id=me.id, route_id=route_id)
        return Response(
            content=body,
            media_type="application/pdf",
            headers={
                "Cache-Control": "private, no-store",
                "Content-Disposition": f'attachment; filename="plates-{route_id}.pdf"',
            },
        )


_SORT_KEYS: Mapping[str, Any] = {
    "name": lambda r: r["team"].name,
    "members": lambda r: r["team"].member_count,
    "waiting": lambda r: r["waiting"],
}


def _member(member: volunteers.MemberRead) -> dict[str, Any]:
    return {
        "member": member,
        "role": _(ROLE_NAMES.get(member.role, member.role)),
        "status": _(STATUS_NAMES.get(member.status, member.status)),
    }


JOIN_MODE_NAMES: Mapping[str, str] = {
    "open": N_("Anyone joins at once"),
    "approval": N_("A coordinator approves each request"),
}


async def _team_form(
    request: Request[Any, Any, Any], me: Principal, team: volunteers.TeamRead | None, values: Mapping[str, Any]
) -> Template:
    """The form of a new team (team None: community and kind asked too) or of a team's details."""
    communities = [(ref.id, pick(ref.name)[0]) for ref in await volunteers.routing_communities(me.id)]
    return await page(
        request,
        "console/volunteers/team_form.html",
        team=team,
        communities=communities,
        kinds=[(kind.value, _(name)) for kind, name in volunteers.TEAM_KIND_NAMES.items()],
        join_modes=[(mode, _(name)) for mode, name in JOIN_MODE_NAMES.items()],
        values=values,
        tab="teams",
    )
