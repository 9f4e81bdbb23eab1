"""A volunteer's ledger in the coordinators' room (``/console/volunteers/teams/{team}/members/{user}``),
reached from the team's member list and the hours queue: a page of the volunteer's entries in the
team, newest first (verified, waiting, rejected, and the corrections of each, each entry with its
balance after corrections and each correction with the date it corrects, wherever the other is
listed), "Older entries" by the API's cursor and "Newest" back; the team's sums, and their totals
and milestone level over all teams as the API computes them, whole on every page; a verified
entry corrected by a signed number of minutes with a reason, back on the page it was made from.

The same services as the API (``volunteers.api``: ``volunteer_ledger`` + ``ledger_read`` — a
sensitive read on the audit trail, as ``GET /api/v1/teams/{id}/members/{user}/hours`` —
``correct_entry`` as ``POST /api/v1/hours/{id}/corrections``): another team's volunteer 403, an
entry that is not verified 409, a correction below zero or of one's own hours refused as there.
Each correction form carries its own idempotency key, so a double click corrects once."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import Provide
from litestar.response import Template

from backend.core.context import Principal
from backend.core.i18n import N_, _, format_hours
from backend.settings import Settings
from backend.volunteers import api as volunteers
from backend.web.console.account_controllers import Form
from backend.web.console.edge import form_values, go, page, parse_form, provide_me, signed_in
from backend.web.console.volunteers_controllers import requires_coordination

ROOT = "/console/volunteers/teams"
DONE = {"corrected": N_("The correction is recorded and counts at once.")}


class LedgerController(Controller):
    path = "/volunteers/teams/{team_id:uuid}/members/{user_id:uuid}"  # under the console router's /console
    include_in_schema = False
    guards = [signed_in, requires_coordination]
    dependencies = {"me": Provide(provide_me, sync_to_thread=False)}

    @get("/")
    async def ledger(
        self,
        request: Request[Any, Any, Any],
        me: Principal,
        team_id: uuid.UUID,
        user_id: uuid.UUID,
        settings: Settings,
        before: uuid.UUID | None = None,
    ) -> Template:
        found = await volunteers.volunteer_ledger(
            user_id=me.id, team_id=team_id, volunteer_id=user_id, milestones=settings.milestone_hours, before=before
        )
        ledger = volunteers.ledger_read(found)
        entries = [
            {
                "row": item,
                "hours": _signed_hours(item.minutes) if item.kind == "correction" else format_hours(item.minutes),
                "balance": format_hours(item.balance_minutes) if item.balance_minutes is not None else None,
                "correctable": item.status == "verified" and item.kind != "correction" and user_id != me.id,
                "key": uuid.uuid4().hex,
            }
            for item in ledger.items
        ]
        said = DONE.get(request.query_params.get("done", ""))
        here = f"{ROOT}/{team_id}/members/{user_id}"
        return await page(
            request,
            "console/volunteers/ledger.html",
            ledger=ledger,
            entries=entries,
            before=before,
            newest_url=here if before is not None else None,
            older_url=f"{here}?before={ledger.next_before}" if ledger.next_before else None,
            team_hours={
                "verified": format_hours(ledger.team_totals.verified_minutes),
                "pending": format_hours(ledger.team_totals.pending_minutes),
                "rejected": format_hours(ledger.team_totals.rejected_minutes),
                "all": format_hours(ledger.totals.verified_minutes),
                "to_next": format_hours(round((ledger.totals.hours_to_next or 0) * 60)),
            },
            done=_(said) if said else None,
            tab="teams",
        )

    @post("/hours/{entry_id:uuid}/correct")
    async def correct(
        self,
        request: Request[Any, Any, Any],
        me: Principal,
        team_id: uuid.UUID,
        user_id: uuid.UUID,
        entry_id: uuid.UUID,
        data: Form,
    ) -> Response[Any]:
        values = form_values(data)
        key = str(values.pop("key", "") or "")[:100] or None
        before = _cursor(values.pop("before", None))  # back to the page the form was on
        body: volunteers.HoursCorrectionCreate = parse_form(values, volunteers.HoursCorrectionCreate)
        await volunteers.correct_entry(
            user_id=me.id, entry_id=entry_id, minutes=body.minutes, reason=body.reason, idempotency_key=key
        )
        on_page = f"&before={before}" if before is not None else ""
        return go(request, f"{ROOT}/{team_id}/members/{user_id}?done=corrected{on_page}#entry-{entry_id}")


def _cursor(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


def _signed_hours(minutes: int) -> str:
    return ("+" if minutes > 0 else "−") + format_hours(abs(minutes))
