"""The organisers' room, after sign-up opens: who signed up (masked, as the API shows staff; its
CSV the same audited read), and the door (``/console/events/{id}/door``), where tickets are
checked in by camera or by typing, through the API's check-in service."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import Provide
from litestar.response import Template

from backend.core.cache import VersionedCache
from backend.core.context import Principal
from backend.core.errors import DomainError, explain
from backend.core.i18n import _
from backend.events.api import (
    REGISTRATION_STATUS_NAMES,
    attendee_list,
    attendees_csv,
    check_in,
    check_in_read,
    door,
    editable,
)
from backend.settings import Settings
from backend.web.console.account_controllers import Form
from backend.web.console.edge import page, provide_me
from backend.web.console.events_controllers import manages_events

# How a door answer looks: a welcome is green, a repeat amber, anything refused red.
REPEAT_CODES = frozenset({"check_in_not_open"})


class SignUpsController(Controller):
    path = "/events/{event_id:uuid}"
    include_in_schema = False
    guards = [manages_events]
    dependencies = {"me": Provide(provide_me, sync_to_thread=False)}

    @get("/signups")
    async def signups(
        self, request: Request[Any, Any, Any], me: Principal, event_id: uuid.UUID, status: str = ""
    ) -> Template:
        """``GET /api/v1/events/{id}/registrations``: masked, counted, an audited read."""
        event = await editable(user_id=me.id, event_id=event_id)
        attendees, counts = await attendee_list(user_id=me.id, event_id=event_id, format="json")
        people = dict.fromkeys(counts, 0)
        for attendee in attendees:
            people[attendee.status] += attendee.party_size
        chosen = status if status in counts else ""
        shown = [a for a in attendees if not chosen or a.status == chosen]
        statuses = [(code, _(REGISTRATION_STATUS_NAMES[code])) for code in counts]
        return await page(
            request,
            "console/events/signups.html",
            event=event,
            attendees=shown,
            counts=counts,
            people=people,
            statuses=statuses,
            status_names=dict(statuses),
            chosen=chosen,
        )

    @get("/signups.csv")
    async def signups_csv(self, me: Principal, event_id: uuid.UUID) -> Response[bytes]:
        """The API's CSV (``?format=csv``), audited the same way."""
        attendees, _counts = await attendee_list(user_id=me.id, event_id=event_id, format="csv")
        return Response(
            content=attendees_csv(attendees),
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="registrations-{event_id}.csv"'},
        )


class DoorController(Controller):
    path = "/events/{event_id:uuid}/door"
    include_in_schema = False
    guards = [manages_events]
    dependencies = {"me": Provide(provide_me, sync_to_thread=False)}

    @get("/")
    async def door_page(self, request: Request[Any, Any, Any], me: Principal, event_id: uuid.UUID) -> Template:
        return await page(request, "console/events/door.html", event=await door(user_id=me.id, event_id=event_id))

    @post("/", status_code=200)
    async def scan(
        self,
        request: Request[Any, Any, Any],
        me: Principal,
        event_id: uuid.UUID,
        data: Form,
        settings: Settings,
        cache: VersionedCache,
    ) -> Template:
        """``POST /api/v1/events/{id}/check-ins``. The answer is the door's result, refusals
        included (the same message and status as the API's), large and in colour."""
        ticket = str(data.get("ticket") or "").strip()[:200]
        try:
            result = check_in_read(
                await check_in(
                    user_id=me.id,
                    event_id=event_id,
                    ticket=ticket,
                    secret_key=settings.secret_key,
                    cache=cache,
                    opens_before=timedelta(minutes=settings.check_in_opens_minutes),
                )
            )
        except DomainError as refused:
            if refused.status in (403, 404):
                raise  # not this person's door: the frame's refusal
            answer = {
                "tone": "warn" if refused.code in REPEAT_CODES else "bad",
                "message": explain(refused.message, refused.params),
                "name": "",
                "code": refused.code,
            }
            status = refused.status
        else:
            tone = "warn" if result.already_checked_in else "good"
            answer = {"tone": tone, "message": result.message, "name": result.name, "code": "checked_in"}
            status = 200
        event = await door(user_id=me.id, event_id=event_id)
        return Template(
            template_name="console/events/_door_result.html",
            context={"answer": answer, "event": event},
            status_code=status,
        )
