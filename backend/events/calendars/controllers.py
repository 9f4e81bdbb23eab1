"""HTTP for calendar files: one event's .ics, and the resident's secret calendar feed."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, post
from litestar.params import Parameter
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from backend.core.auth import requires_login
from backend.core.context import Principal
from backend.core.i18n import normalise_locale
from backend.core.openapi import problems
from backend.core.stores import rate_limit
from backend.events.calendars import services
from backend.events.calendars.schemas import CalendarFeedRead

ICS = "text/calendar"  # Litestar adds "; charset=utf-8" to text types
FEED_PATH = "/api/v1/me/calendar.ics"
# Calendar services poll feeds from shared addresses; a setting of its own would fit better.
RATE_SETTING = "calendar_rate_limit"
_NO_STORE_IN_SHARED_CACHES = "private, no-cache"


def _calendar_response(body: bytes, headers: dict[str, str] | None = None) -> Response[bytes]:
    return Response(
        content=body, media_type=ICS, headers={"Cache-Control": _NO_STORE_IN_SHARED_CACHES, **(headers or {})}
    )


class CalendarController(Controller):
    path = "/api/v1"
    tags = ["calendars"]

    @get(
        "/events/{event_id:uuid}/calendar.ics",
        operation_id="event_calendar",
        summary="One event as an iCalendar file, in the caller's language",
        guards=[rate_limit("calendar", setting=RATE_SETTING)],
        media_type=ICS,
        responses=problems(404, 429),
    )
    async def event_file(self, visitor: Principal | None, event_id: uuid.UUID) -> Response[bytes]:
        body = await services.event_calendar(event_id=event_id, user_id=visitor.id if visitor else None)
        return _calendar_response(body, {"Content-Disposition": f'attachment; filename="event-{event_id}.ics"'})

    @post(
        "/me/calendar-feed",
        operation_id="create_calendar_feed",
        summary="A new secret calendar feed address; earlier ones stop working",
        guards=[
            requires_login,
            rate_limit("calendar_feed", setting="calendar_feed_rate_limit", per_user=True, window=3600),
        ],
        security=[{"bearer": []}],
        status_code=HTTP_201_CREATED,
        responses=problems(401, 429),
    )
    async def create_feed(self, caller: Principal) -> Response[CalendarFeedRead]:
        token = await services.create_feed(user_id=caller.id)
        body = CalendarFeedRead(url=f"{FEED_PATH}?token={token}", token=token)
        return Response(body, status_code=HTTP_201_CREATED, headers={"Cache-Control": "no-store"})

    @delete(
        "/me/calendar-feed",
        operation_id="revoke_calendar_feed",
        summary="Stop the caller's calendar feed addresses",
        guards=[requires_login],
        security=[{"bearer": []}],
        status_code=HTTP_204_NO_CONTENT,
        responses=problems(401),
    )
    async def revoke_feed(self, caller: Principal) -> None:
        await services.revoke_feeds(user_id=caller.id)

    @get(
        "/me/calendar.ics",
        operation_id="my_calendar_feed",
        summary="The resident's registrations as a calendar feed; the token, not a login, says whose",
        guards=[rate_limit("calendar", setting=RATE_SETTING)],
        media_type=ICS,
        security=[],
        responses=problems(404, 429),
    )
    async def feed(
        self,
        request: Request[Any, Any, Any],
        token: Annotated[
            str, Parameter(min_length=1, max_length=256, description="the secret from POST /me/calendar-feed")
        ],
        lang: Annotated[
            str | None, Parameter(description="the feed's language; default: the resident's saved one")
        ] = None,
    ) -> Response[bytes]:
        body, locale = await services.feed_calendar(token=token, locale=normalise_locale(lang))
        # Content-Language names the resident's language, not the one the polling server asked for.
        request.scope["state"]["locale"] = locale
        return _calendar_response(body)
