"""The library room (``/console/libraries``): the branches a librarian keeps, each one's details
and rooms, weekly hours and holiday rules, date exceptions on a month calendar with a preview
before saving, and the e-reading seats free now. The same services as the API's staff writes
(``update_library_branch``, ``put_library_exception``, ``delete_library_exception``,
``add_library_room``, ``set_library_occupancy``); another library's branch is not found."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.connection import ASGIConnection
from litestar.di import Provide
from litestar.handlers import BaseRouteHandler
from litestar.response import Template

from backend.accounts.api import Permission, held_permissions
from backend.core import clock
from backend.core.context import Principal
from backend.core.errors import Forbidden
from backend.core.i18n import N_, _, babel_locale
from backend.libraries import api as libraries
from backend.web.console.account_controllers import Form
from backend.web.console.edge import form_values, go, page, parse_form, provide_me, signed_in, staff
from backend.web.console.libraries_forms import EXCEPTION_ROWS, MAX_INTERVALS, exception_form, hours_form, hours_update
from backend.web.console.listing import Listing

ROOT = "/console/libraries"
# What a page says after a change sent the person to it (``?done=<key>``): only these.
DONE = {
    "details": N_("The branch's details are saved."),
    "room": N_("The room is added."),
    "hours": N_("The weekly hours are saved."),
    "exception": N_("The date exception is saved."),
    "removed": N_("The date exception is removed: the usual hours apply again."),
    "seats": N_("Free seats reported."),
}


async def requires_libraries(connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler) -> None:
    """The room opens to those who keep a library somewhere (``manage_libraries``)."""
    if Permission.manage_libraries not in await held_permissions(staff(connection).id):
        raise Forbidden()


def _services() -> list[tuple[str, str]]:
    return [(code, _(name)) for code, name in libraries.SERVICE_NAMES.items()]


def _seat_choices(total: int) -> list[int]:
    """One button per count on a small room; on a big one, steps that fit a tablet's screen."""
    if total <= 40:
        return list(range(total + 1))
    step = 5 if total <= 200 else max(5, round(total / 40 / 5) * 5)
    return [*range(0, total, step), total]


def _weekdays() -> list[str]:
    names = babel_locale().days["format"]["wide"]
    return [names[day] for day in range(7)]


def _branch_path(branch_id: uuid.UUID, tab: str = "") -> str:
    return f"{ROOT}/{branch_id}" + (f"/{tab}" if tab else "")


async def _tab(
    request: Request[Any, Any, Any], me: Principal, branch_id: uuid.UUID, tab: str, **context: Any
) -> Template:
    branch = await libraries.staff_branch(user_id=me.id, branch_id=branch_id)
    done = DONE.get(request.query_params.get("done", ""))
    return await page(request, f"console/libraries/{tab}.html", branch=branch, tab=tab, done=done, **context)


async def _month(me: Principal, branch_id: uuid.UUID, value: str | None, unsaved: Any = None) -> libraries.Month:
    first = libraries.month_start(value, clock.city_today())
    return await libraries.month(user_id=me.id, branch_id=branch_id, first=first, unsaved=unsaved)


class LibrariesController(Controller):
    path = "/libraries"  # under the console router's /console
    include_in_schema = False
    guards = [signed_in, requires_libraries]
    dependencies = {"me": Provide(provide_me, sync_to_thread=False)}

    @get("/")
    async def branches(self, request: Request[Any, Any, Any], me: Principal) -> Template:
        listing = Listing.read(
            ROOT, request.query_params, sorts=libraries.SORTS, default_sort="name", filters=("q", "service", "open")
        )
        service = listing.filters.get("service")
        found = await libraries.staff_branches(
            user_id=me.id,
            text=listing.filters.get("q", ""),
            service=service if service in libraries.SERVICES else None,
            open_now=listing.filters.get("open") == "1",
            sort=listing.key,
            descending=listing.descending,
            offset=listing.offset,
            limit=listing.size,
        )
        listing.total = found.total
        return await page(request, "console/libraries/list.html", listing=listing, found=found, services=_services())

    # --- details and rooms ---------------------------------------------------------------------------

    @get("/{branch_id:uuid}")
    async def details(self, request: Request[Any, Any, Any], me: Principal, branch_id: uuid.UUID) -> Template:
        return await _tab(request, me, branch_id, "details", services=_services())

    @post("/{branch_id:uuid}")
    async def save_details(
        self, request: Request[Any, Any, Any], me: Principal, branch_id: uuid.UUID, data: Form
    ) -> Response[Any]:
        changes: libraries.BranchUpdate = parse_form(
            form_values(data, lists=frozenset({"services"})), libraries.BranchUpdate
        )
        await libraries.update_branch(user_id=me.id, branch_id=branch_id, changes=msgspec.structs.asdict(changes))
        return go(request, _branch_path(branch_id) + "?done=details")

    @get("/{branch_id:uuid}/rooms")
    async def rooms(self, request: Request[Any, Any, Any], me: Principal, branch_id: uuid.UUID) -> Template:
        return await _tab(request, me, branch_id, "rooms")

    @post("/{branch_id:uuid}/rooms")
    async def add_room(
        self, request: Request[Any, Any, Any], me: Principal, branch_id: uuid.UUID, data: Form
    ) -> Response[Any]:
        room: libraries.RoomCreate = parse_form(form_values(data), libraries.RoomCreate)
        await libraries.add_room(user_id=me.id, branch_id=branch_id, data=room)
        return go(request, _branch_path(branch_id, "rooms") + "?done=room")

    # --- hours and the calendar ----------------------------------------------------------------------

    @get("/{branch_id:uuid}/hours")
    async def hours(
        self, request: Request[Any, Any, Any], me: Principal, branch_id: uuid.UUID, month: str | None = None
    ) -> Template:
        calendar = await _month(me, branch_id, month)
        return await _tab(
            request, me, branch_id, "hours", month=calendar, max_intervals=MAX_INTERVALS, weekday_names=_weekdays()
        )

    @post("/{branch_id:uuid}/hours/preview", status_code=200)
    async def preview_hours(self, me: Principal, branch_id: uuid.UUID, data: Form) -> Template:
        calendar = await _month(me, branch_id, str(data.get("month") or ""), hours_form(data))
        return Template("console/libraries/_calendar.html", context={"month": calendar, "branch_id": branch_id})

    @post("/{branch_id:uuid}/hours")
    async def save_hours(
        self, request: Request[Any, Any, Any], me: Principal, branch_id: uuid.UUID, data: Form
    ) -> Response[Any]:
        changes = hours_update(hours_form(data))
        await libraries.update_branch(user_id=me.id, branch_id=branch_id, changes=msgspec.structs.asdict(changes))
        shown = libraries.month_start(str(data.get("month") or ""), clock.city_today())
        return go(request, _branch_path(branch_id, "hours") + f"?done=hours&month={shown:%Y-%m}")

    @get("/{branch_id:uuid}/calendar")
    async def calendar(self, me: Principal, branch_id: uuid.UUID, month: str | None = None) -> Template:
        calendar = await _month(me, branch_id, month)
        return Template("console/libraries/_calendar.html", context={"month": calendar, "branch_id": branch_id})

    # --- date exceptions ------------------------------------------------------------------------------

    @get("/{branch_id:uuid}/exceptions")
    async def exceptions(
        self, request: Request[Any, Any, Any], me: Principal, branch_id: uuid.UUID, month: str | None = None
    ) -> Template:
        calendar = await _month(me, branch_id, month)
        today = clock.city_today()
        coming = await libraries.coming_exceptions(user_id=me.id, branch_id=branch_id, since=today.replace(day=1))
        return await _tab(
            request, me, branch_id, "exceptions", month=calendar, coming=coming, rows=EXCEPTION_ROWS, today=today
        )

    @post("/{branch_id:uuid}/exceptions/preview", status_code=200)
    async def preview_exception(self, me: Principal, branch_id: uuid.UUID, data: Form) -> Template:
        unsaved = exception_form(data)
        assert unsaved.day is not None
        calendar = await _month(me, branch_id, unsaved.day.strftime("%Y-%m"), unsaved)
        return Template("console/libraries/_calendar.html", context={"month": calendar, "branch_id": branch_id})

    @post("/{branch_id:uuid}/exceptions")
    async def save_exception(
        self, request: Request[Any, Any, Any], me: Principal, branch_id: uuid.UUID, data: Form
    ) -> Response[Any]:
        unsaved = exception_form(data)
        assert unsaved.day is not None and unsaved.exception is not None
        await libraries.put_exception(user_id=me.id, branch_id=branch_id, day=unsaved.day, data=unsaved.exception)
        return go(request, _branch_path(branch_id, "exceptions") + f"?done=exception&month={unsaved.day:%Y-%m}")

    @post("/{branch_id:uuid}/exceptions/{day:date}/delete")
    async def remove_exception(
        self, request: Request[Any, Any, Any], me: Principal, branch_id: uuid.UUID, day: date
    ) -> Response[Any]:
        await libraries.delete_exception(user_id=me.id, branch_id=branch_id, day=day)
        return go(request, _branch_path(branch_id, "exceptions") + f"?done=removed&month={day:%Y-%m}")

    # --- live seats ---------------------------------------------------------------------------------

    @get("/{branch_id:uuid}/seats")
    async def seats(self, request: Request[Any, Any, Any], me: Principal, branch_id: uuid.UUID) -> Template:
        branch = await libraries.staff_branch(user_id=me.id, branch_id=branch_id)
        return await _tab(request, me, branch_id, "seats", seat_choices=_seat_choices(branch.e_reading_seats))

    @post("/{branch_id:uuid}/seats")
    async def report_seats(
        self, request: Request[Any, Any, Any], me: Principal, branch_id: uuid.UUID, data: Form
    ) -> Response[Any]:
        report: libraries.OccupancyPut = parse_form(form_values(data), libraries.OccupancyPut)
        await libraries.set_occupancy(user_id=me.id, branch_id=branch_id, free_seats=report.free_seats)
        return go(request, _branch_path(branch_id, "seats") + "?done=seats")
