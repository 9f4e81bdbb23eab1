"""Copying a week of shifts in the coordinators' room (``/console/volunteers/shifts/copy``): choose
the team and the two weeks, see what would be made (the API's ``copy_week`` with ``preview``),
then copy. The same service as ``POST /api/v1/teams/{id}/shifts/copy-week``: coordinators only
(403), the same week refused (422), a shift already planned in the other week or one that would
start in the past skipped — asking twice makes nothing twice."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import Provide
from litestar.response import Template

from backend.core.context import Principal
from backend.core.errors import DomainError
from backend.core.i18n import N_, pick
from backend.volunteers import api as volunteers
from backend.web.console.account_controllers import Form
from backend.web.console.edge import form_values, go, page, parse_form, provide_me, signed_in
from backend.web.console.volunteers_controllers import requires_coordination, week_start

ROOT = "/console/volunteers/shifts"
REASONS: Mapping[str, str] = {
    "already_there": N_("Already planned in that week"),
    "in_the_past": N_("Would start in the past"),
}


class CopyWeekController(Controller):
    path = "/volunteers/shifts/copy"  # under the console router's /console
    include_in_schema = False
    guards = [signed_in, requires_coordination]
    dependencies = {"me": Provide(provide_me, sync_to_thread=False)}

    @get("/")
    async def form(self, request: Request[Any, Any, Any], me: Principal) -> Template:
        """The form; with a team and both weeks given, the preview of what copying would make."""
        query = request.query_params
        source = week_start(query.get("week") or query.get("from_week"))
        values = {
            "team_id": query.get("team") or query.get("team_id") or "",
            "from_week": source.isoformat(),
            "to_week": query.get("to_week") or (source + timedelta(days=7)).isoformat(),
        }
        preview = None
        if query.get("preview") and values["team_id"]:
            team_id, body = _parsed(values, preview=True)
            preview = await volunteers.copy_week(user_id=me.id, team_id=team_id, data=body)
        return await _page(request, me, values, preview)

    @post("/")
    async def copy(self, request: Request[Any, Any, Any], me: Principal, data: Form) -> Response[Any]:
        values = form_values(data)
        team_id, body = _parsed(values, preview=False)
        done = await volunteers.copy_week(user_id=me.id, team_id=team_id, data=body)
        return go(request, f"{ROOT}?week={done.to_week}&team={team_id}&done=shifts_copied")


def _parsed(values: Mapping[str, Any], *, preview: bool) -> tuple[uuid.UUID, volunteers.WeekCopy]:
    try:
        team_id = uuid.UUID(str(values.get("team_id", "")))
    except ValueError:
        raise DomainError("team_required", N_("Choose one of your teams."), status=422) from None
    body = {k: values[k] for k in ("from_week", "to_week") if k in values}
    return team_id, parse_form({**body, "preview": preview}, volunteers.WeekCopy)


async def _page(
    request: Request[Any, Any, Any], me: Principal, values: Mapping[str, Any], preview: volunteers.WeekCopied | None
) -> Template:
    teams = await volunteers.coordinated_teams(user_id=me.id)
    return await page(
        request,
        "console/volunteers/copy_week.html",
        teams=[(t.id, pick(t.name)[0]) for t in teams],
        values=values,
        preview=preview,
        reasons={code: REASONS[code] for code in REASONS},
        tab="shifts",
    )
