"""Who may do what with meetings, decided here once, through accounts' one guard.

Convenors are community staff who may manage events there (``manage_events`` on the community or
above: its admins and organisers): they convene, moderate and publish the minutes. An action's
owner is an organisation; its own staff (a role held in it) update the action, as do convenors.
"""

from __future__ import annotations

import uuid

from backend.accounts.api import Permission, is_member, may, require

CONVENE = Permission.manage_events
RESPONSIBLE_PARTY = "responsible_party"  # the audit's name for the say an owner's staff have


async def require_convenor(user_id: uuid.UUID | None, community_id: uuid.UUID) -> None:
    """``None`` is the system (the demo)."""
    if user_id is not None:
        await require(user_id=user_id, permission=CONVENE, organisation_id=community_id)


async def is_convenor(user_id: uuid.UUID | None, community_id: uuid.UUID) -> bool:
    return user_id is not None and await may(user_id=user_id, permission=CONVENE, organisation_id=community_id)


async def acting_on_action(user_id: uuid.UUID | None, *, community_id: uuid.UUID, owner_id: uuid.UUID) -> str | None:
    """The permission a person updates an action under: a convenor's, the owner's staff's, or None."""
    if user_id is None or await is_convenor(user_id, community_id):
        return CONVENE.value
    if await is_member(user_id, owner_id):
        return RESPONSIBLE_PARTY
    return None
