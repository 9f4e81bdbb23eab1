"""Who may do what with places, decided here once, through accounts' one guard.

Community staff (``manage_places`` on the community or above: its admins and organisers) manage
its estates, buildings, grids and alliance. Reading what residents said about an estate (the
counts of who lives there) is for them, for the staff of the estate's property company and
owners' committee, and for the grid workers (``view_places``) of a grid that covers it.
"""

from __future__ import annotations

import uuid
from typing import Any

from backend.accounts.api import OrganisationKind, Permission, is_member, may, organisation, require
from backend.places import errors
from backend.places.tables import GridArea

MANAGE = Permission.manage_places


async def community_of(community_id: uuid.UUID) -> Any:
    """The organisation, which must be a community (422 otherwise, 404 when missing)."""
    found = await organisation(community_id)
    if found is None:
        raise errors.not_a_community()
    if found.kind != OrganisationKind.community.value:
        raise errors.not_a_community()
    return found


async def require_manage(user_id: uuid.UUID | None, community_id: uuid.UUID) -> None:
    """Staff may only where they manage places; ``None`` is the system (the demo, tests)."""
    if user_id is None:
        return
    await require(user_id=user_id, permission=MANAGE, organisation_id=community_id)


async def may_read_estate(user_id: uuid.UUID, estate: dict[str, Any]) -> bool:
    """Community staff, the estate's property company and owners' committee, its grid workers."""
    if await may(user_id=user_id, permission=MANAGE, organisation_id=estate["community"]):
        return True
    for body in (estate["property_company"], estate["owners_committee"]):
        if body is not None and await is_member(user_id, body):
            return True
    grids = await GridArea.select(GridArea.grid).where(GridArea.estate == estate["id"])
    for row in grids:
        if await may(user_id=user_id, permission=Permission.view_places, organisation_id=row["grid"]):
            return True
    return False
