"""The points counter (``/console/counter``): staff who manage rewards type a resident's pickup
code, see the reward and the resident's masked name (what the API's counter operations answer),
and hand the item over or cancel it through the API's own ``fulfil`` and ``cancel`` services, so
the refusals are the API's: an unknown code and another community's code are the same 404, an
item already picked up or cancelled a 409. Below, today's hand-overs (Suzhou day) in the
communities where the person manages rewards.

A pickup code is never put in a URL (it would sit in logs and the browser's history): the code
travels in a POST with the page's CSRF token, and the answer is the counter's desk again (htmx
swaps ``#desk``; without JavaScript the whole page)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Annotated, Any

import msgspec
from babel.dates import format_date, format_time
from litestar import Controller, Request, get, post
from litestar.connection import ASGIConnection
from litestar.di import Provide
from litestar.handlers import BaseRouteHandler
from litestar.response import Template

from backend.accounts.api import Permission, held_permissions
from backend.core import clock
from backend.core.context import Principal
from backend.core.errors import DomainError, Forbidden, PendingFieldProblem
from backend.core.i18n import CITY_TZ, N_, _, babel_locale, pick
from backend.inclusion import api as counter
from backend.web.console.account_controllers import Form
from backend.web.console.edge import form_values, is_htmx, page, parse_form, provide_me, signed_in, staff
from backend.web.console.listing import Listing

ROOT = "/console/counter"
SORTS = ("fulfilled_at",)
# What the desk says after a move (the item's new state).
DONE = {
    "fulfilled": N_("Handed over. Give the resident the item."),
    "cancelled": N_("Cancelled. The resident has the points back."),
}
# Refusals about the code typed: drawn beside the code field as well.
CODE_REFUSALS = frozenset({"redemption_not_found"})


class PickupCode(msgspec.Struct):
    """The counter's form: the code as the API's path takes it (1 to 16 characters)."""

    code: Annotated[str, msgspec.Meta(min_length=1, max_length=16)]


async def manages_rewards(connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler) -> None:
    """The room's door: ``manage_rewards`` somewhere (each code is then checked by the service)."""
    if Permission.manage_rewards not in await held_permissions(staff(connection).id):
        raise Forbidden()


def _code_of(data: dict[str, Any]) -> str:
    form: PickupCode = parse_form(form_values(data), PickupCode)
    return form.code.strip()


async def _marked(call: Any, **kwargs: Any) -> counter.RedemptionRead:
    """The service's answer; an unknown code's refusal also names the code field."""
    try:
        found: counter.RedemptionRead = await call(**kwargs)
    except DomainError as error:
        if error.code in CODE_REFUSALS and not getattr(error, "problems", None):
            error.problems = [PendingFieldProblem("code", error.message, error.code, error.params)]  # type: ignore[attr-defined]
        raise
    return found


async def _desk(
    request: Request[Any, Any, Any],
    me: Principal,
    *,
    found: counter.RedemptionRead | None = None,
    done: str | None = None,
    code: str = "",
) -> Template:
    """The counter's page, or (htmx) its desk alone: the code form, what it found, today's list."""
    listing = Listing.read(ROOT, request.query_params, sorts=SORTS, default_sort="-fulfilled_at")
    today = clock.city_today()
    since = datetime.combine(today, time(0), tzinfo=CITY_TZ)
    items, listing.total = await counter.counter_hand_overs(
        user_id=me.id,
        since=since,
        until=since + timedelta(days=1),
        newest_first=listing.descending,
        limit=listing.size,
        offset=listing.offset,
    )
    template = "console/counter/_desk.html" if is_htmx(request) else "console/counter/page.html"
    return await page(
        request,
        template,
        found=found,
        thumb=thumbnail(found.reward.image_urls) if found else None,
        done=_(DONE[done]) if done in DONE else None,
        code=code,
        today_text=format_date(today, format="long", locale=babel_locale()),
        listing=listing,
        hand_overs=[
            {
                "time": format_time(item.fulfilled_at, format="short", tzinfo=CITY_TZ, locale=babel_locale()),
                "reward": pick(item.reward_name)[0],
                "community": pick(item.community_name)[0],
                "redeemer": item.redeemer,
                "points": item.points,
            }
            for item in items
        ],
    )


def thumbnail(urls: dict[str, str]) -> str | None:
    """The narrowest JPEG rendition of the reward's picture (``w240.jpg`` before ``w480.jpg``)."""
    widths = {
        key: int(key[1:].split(".")[0]) for key in urls if key.startswith("w") and key[1:].split(".")[0].isdigit()
    }
    jpegs = sorted((width, key) for key, width in widths.items() if key.endswith(".jpg"))
    return urls[jpegs[0][1]] if jpegs else None


class CounterController(Controller):
    path = "/counter"  # under the console router's /console
    include_in_schema = False
    guards = [signed_in, manages_rewards]
    dependencies = {"me": Provide(provide_me, sync_to_thread=False)}

    @get("/")
    async def desk(self, request: Request[Any, Any, Any], me: Principal) -> Template:
        return await _desk(request, me)

    @post("/look-up", status_code=200)
    async def look_up(self, request: Request[Any, Any, Any], me: Principal, data: Form) -> Template:
        code = _code_of(data)
        found = await _marked(counter.counter_redemption, user_id=me.id, code=code)
        return await _desk(request, me, found=found, code=code)

    @post("/hand-over", status_code=200)
    async def hand_over(self, request: Request[Any, Any, Any], me: Principal, data: Form) -> Template:
        found = await _marked(counter.fulfil_at_counter, user_id=me.id, code=_code_of(data))
        return await _desk(request, me, found=found, done="fulfilled")

    @post("/cancel", status_code=200)
    async def cancel(self, request: Request[Any, Any, Any], me: Principal, data: Form) -> Template:
        found = await _marked(counter.cancel_at_counter, user_id=me.id, code=_code_of(data))
        return await _desk(request, me, found=found, done="cancelled")
