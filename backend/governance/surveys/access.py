"""Who may do what with surveys, decided here once through accounts' one guard.

Surveys, polls and evaluations are run by the community's staff: ``manage_places`` on the
community or above (its admins and organisers, who keep its estates), and they alone see how many
have answered before the close. An evaluation's response is written by the evaluated body's own
staff (anyone holding a role in the property company; for the residents' committee, the
community's staff).
"""

from __future__ import annotations

import uuid

from backend.accounts.api import OrganisationKind, Permission, is_member, may, organisation, require
from backend.governance.surveys import errors

MANAGE = Permission.manage_places


async def community_of(community_id: uuid.UUID) -> None:
    found = await organisation(community_id)
    if found is None or found.kind != OrganisationKind.community.value:
        raise errors.not_a_community()


async def require_manage(user_id: uuid.UUID | None, community_id: uuid.UUID) -> None:
    """``None`` is the system (the demo)."""
    if user_id is not None:
        await require(user_id=user_id, permission=MANAGE, organisation_id=community_id)


async def may_manage(user_id: uuid.UUID | None, community_id: uuid.UUID) -> bool:
    return user_id is not None and await may(user_id=user_id, permission=MANAGE, organisation_id=community_id)


async def may_respond(user_id: uuid.UUID | None, *, subject_id: uuid.UUID, community_id: uuid.UUID) -> bool:
    """The evaluated body's staff; the community's staff speak for the residents' committee."""
    if user_id is None:
        return True
    if subject_id == community_id:
        return await may(user_id=user_id, permission=MANAGE, organisation_id=community_id)
    return await is_member(user_id, subject_id)
