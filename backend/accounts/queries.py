"""Reads of one account: who a token's user is now, and the caller's own profile."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from backend.accounts.tables import Membership, User
from backend.core.context import Principal
from backend.core.errors import NotFound
from backend.core.i18n import N_


async def load_principal(user_id: uuid.UUID) -> Principal | None:
    """Who a token's user id is now; None for an unknown or deleted account."""
    row = (
        await User.select(User.id, User.is_staff, User.locale, User.display_name)
        .where((User.id == user_id) & User.deleted_at.is_null())
        .first()
    )
    if row is None:
        return None
    return Principal(
        id=row["id"],
        kind="staff" if row["is_staff"] else "resident",
        locale=row["locale"],
        display_name=row["display_name"],
    )


async def get_user(*, user_id: uuid.UUID) -> User:
    """The live account, or 404 ``user_not_found``."""
    user = await User.objects().where((User.id == user_id) & User.deleted_at.is_null()).first()
    if user is None:
        raise NotFound("user_not_found", N_("This account does not exist."))
    return user


async def memberships_of(*, user_id: uuid.UUID) -> list[dict[str, Any]]:
    """The person's roles: organisation id, name ({locale: name}) and kind, and the role."""
    return (
        await Membership.select(
            Membership.organisation.id.as_alias("organisation_id"),
            Membership.organisation.name.as_alias("organisation_name"),
            Membership.organisation.kind.as_alias("organisation_kind"),
            Membership.role,
        )
        .where(Membership.user == user_id)
        .output(load_json=True)
    )


@dataclass(frozen=True)
class Profile:
    user: User
    memberships: list[dict[str, Any]]


async def get_profile(*, user_id: uuid.UUID) -> Profile:
    user = await get_user(user_id=user_id)
    return Profile(user=user, memberships=await memberships_of(user_id=user_id))
