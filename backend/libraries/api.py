"""The libraries domain's public face: what the domains after it may read of a branch.

``branch_page`` is the public branch page's one read (the web domain renders it): the same read
and presenters as ``GET /api/v1/library-branches/{id}``, with every word in the current locale.
Later domains import this module, never libraries' tables or internals.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from backend.core import clock, runtime
from backend.core.i18n import as_city_time
from backend.libraries import page, presenters, queries
from backend.libraries.page import BranchPage, PageDay, PageRoom, PageSeats, PageService
from backend.libraries.schemas import BranchListItem

__all__ = ["BranchListItem", "BranchPage", "PageDay", "PageRoom", "PageSeats", "PageService", "branch_page", "branches"]


async def branch_page(branch_id: uuid.UUID, at: datetime | None = None) -> BranchPage:
    """A branch at ``at`` (default now; without an offset, Suzhou time), in the current locale:
    today's status in words, this week's hours with public holidays and make-up working days
    (调休) marked, its rooms, free seats and how old that count is, its services by name and the
    events coming up there. ``NotFound`` (``branch_not_found``) for an unknown branch."""
    moment = as_city_time(at) if at is not None else clock.now()
    fresh = timedelta(minutes=runtime.current().settings.occupancy_fresh_minutes)
    detail = await queries.get_branch(branch_id=branch_id, at=moment, stale_after=fresh)
    return page.branch_page(detail, presenters.branch_read(detail, moment), moment)


async def branches() -> list[BranchListItem]:
    """Every branch with its status now, as ``GET /api/v1/library-branches`` lists them (for the
    public home page), in the current locale."""
    moment = clock.now()
    fresh = timedelta(minutes=runtime.current().settings.occupancy_fresh_minutes)
    found = await queries.find_branches(filters=queries.BranchFilters(), at=moment, stale_after=fresh)
    return [presenters.list_item(branch, moment) for branch in found]
