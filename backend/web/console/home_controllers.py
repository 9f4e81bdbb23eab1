"""The console's home (``/console``): today's work for the signed-in staff member, one card per
thing their roles let them act on, each a number and a link into its room. The numbers come from
the domains' ``api.py`` counts, scoped as the API scopes the same lists; a card shows only when
the room it links to opens for this person (the frame's ROOMS decide that, with the same checks)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from babel.dates import format_skeleton
from babel.numbers import format_decimal
from litestar import Controller, Request, get
from litestar.di import Provide
from litestar.response import Template

from backend.accounts.api import Permission, held_permissions
from backend.core import clock
from backend.core.context import Principal
from backend.core.i18n import CITY_TZ, _, babel_locale, ngettext
from backend.events import api as events
from backend.governance import api as governance
from backend.inclusion import api as inclusion
from backend.volunteers import api as volunteers
from backend.web.console.edge import page, provide_me, signed_in


@dataclass(frozen=True)
class Card:
    """One thing waiting: its number, what it counts, a line under it and where to act on it."""

    key: str
    number: str
    label: str
    href: str
    link: str
    note: str = ""
    calm: bool = False  # nothing waiting: shown quieter


def _n(value: int) -> str:
    return str(format_decimal(value, locale=babel_locale()))


async def today_cards(me: Principal) -> list[Card]:
    """The cards for this person, in the menu's order; none for a role without a room here."""
    held = await held_permissions(me.id)
    cards: list[Card] = []
    if Permission.manage_events in held:
        today = await events.events_today(user_id=me.id)
        cards.append(
            Card(
                "events",
                _n(today.events),
                ngettext("event today", "events today", today.events),
                "/console/events",
                _("Open the events"),
                _("{arrived} arrived of {seats} seats taken").format(
                    arrived=_n(today.arrived), seats=_n(today.seats_taken)
                )
                if today.events
                else _("No event of yours starts today."),
                calm=not today.events,
            )
        )
    if Permission.coordinate_volunteers in held:
        work = await volunteers.coordinator_today(user_id=me.id)
        cards.append(
            Card(
                "shifts",
                _n(work.shifts_in_progress),
                ngettext("shift in progress", "shifts in progress", work.shifts_in_progress),
                "/console/volunteers/shifts",
                _("Open the shifts"),
                calm=not work.shifts_in_progress,
            )
        )
        cards.append(
            Card(
                "hours",
                _n(work.hours_pending),
                ngettext("hours entry to verify", "hours entries to verify", work.hours_pending),
                "/console/volunteers",
                _("Verify hours"),
                calm=not work.hours_pending,
            )
        )
    if await governance.may_see_incidents(me.id):
        waiting = await governance.reports_waiting(user_id=me.id)
        cards.append(
            Card(
                "reports",
                _n(waiting),
                ngettext("report waiting for you", "reports waiting for you", waiting),
                "/console/reports",
                _("Open the reports"),
                calm=not waiting,
            )
        )
    if Permission.manage_rewards in held:
        pickups = await inclusion.pickups_waiting(user_id=me.id)
        cards.append(
            Card(
                "pickups",
                _n(pickups),
                ngettext("pickup not yet collected", "pickups not yet collected", pickups),
                "/console/counter",
                _("Open the points counter"),
                calm=not pickups,
            )
        )
    return cards


class HomeController(Controller):
    """``GET /console``: the page a staff member lands on."""

    path = "/"
    include_in_schema = False
    guards = [signed_in]
    dependencies = {"me": Provide(provide_me, sync_to_thread=False)}

    @get("/")
    async def home(self, request: Request[Any, Any, Any], me: Principal) -> Template:
        day = format_skeleton("yMMMMEd", clock.now(), tzinfo=CITY_TZ, locale=babel_locale())
        return await page(request, "console/home/home.html", cards=await today_cards(me), day=day)
