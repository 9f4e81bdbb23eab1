"""The libraries domain's public face: what the domains after it may read of a branch.

``branch_page`` is the public branch page's one read (the web domain renders it): the same read
and presenters as ``GET /api/v1/library-branches/{id}``, with every word in the current locale.
The console's library room keeps branches through the same services as the API's staff writes
(re-exported here with their request schemas) and reads them through ``staff_views``: the
branches in the person's scope, a branch's stored content for its forms, and a month of hours
as the engine sees it, with unsaved changes for a preview.

Later domains import this module, never libraries' tables or internals.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from backend.core import clock, runtime
from backend.core.i18n import as_city_time
from backend.libraries import page, presenters, queries
from backend.libraries.page import SERVICE_NAMES, BranchPage, PageDay, PageRoom, PageSeats, PageService
from backend.libraries.queries import SERVICES
from backend.libraries.schemas import (
    BranchUpdate,
    ExceptionPut,
    HolidayRulesIn,
    IntervalIn,
    OccupancyPut,
    RoomCreate,
)
from backend.libraries.services import add_room, delete_exception, put_exception, set_occupancy, update_branch
from backend.libraries.staff_views import (
    SORTS,
    CalendarDay,
    Month,
    StaffBranch,
    StaffBranches,
    StaffException,
    Unsaved,
    coming_exceptions,
    month,
    month_start,
    staff_branch,
    staff_branches,
)

__all__ = [
    "SERVICES",
    "SERVICE_NAMES",
    "SORTS",
    "BranchPage",
    "BranchUpdate",
    "CalendarDay",
    "ExceptionPut",
    "HolidayRulesIn",
    "IntervalIn",
    "Month",
    "OccupancyPut",
    "PageDay",
    "PageRoom",
    "PageSeats",
    "PageService",
    "RoomCreate",
    "StaffBranch",
    "StaffBranches",
    "StaffException",
    "Unsaved",
    "add_room",
    "branch_page",
    "coming_exceptions",
    "delete_exception",
    "month",
    "month_start",
    "put_exception",
    "set_occupancy",
    "staff_branch",
    "staff_branches",
    "update_branch",
]


async def branch_page(branch_id: uuid.UUID, at: datetime | None = None) -> BranchPage:
    """A branch at ``at`` (default now; without an offset, Suzhou time), in the current locale:
    today's status in words, this week's hours with public holidays and make-up working days
    (调休) marked, its rooms, free seats and how old that count is, its services by name and the
    events coming up there. ``NotFound`` (``branch_not_found``) for an unknown branch."""
    moment = as_city_time(at) if at is not None else clock.now()
    fresh = timedelta(minutes=runtime.current().settings.occupancy_fresh_minutes)
    detail = await queries.get_branch(branch_id=branch_id, at=moment, stale_after=fresh)
    return page.branch_page(detail, presenters.branch_read(detail, moment), moment)
