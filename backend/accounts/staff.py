"""Staff accounts and their roles: created, passwords set by an administrator (or ``linli
create-admin``), disabled and enabled, logged out everywhere, roles granted and taken away.

Each operation may name the administrator acting (``by``): they must administer the organisations
concerned (``manage_organisations``). Without ``by`` it is the system (the CLI, the demo, tests).
Every change is audited in its transaction, filed under the organisation it concerns; entries
never hold a password or its hash.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from backend.accounts import sessions
from backend.accounts.queries import get_user
from backend.accounts.scopes import Permission, filed_under, is_root, require, scope_paths
from backend.accounts.services import check_password, create_organisation
from backend.accounts.tables import Membership, Organisation, OrganisationKind, Role, User
from backend.core import audit, clock
from backend.core.auth import hash_password
from backend.core.db import transaction
from backend.core.errors import DomainError, Forbidden
from backend.core.i18n import N_


async def create_staff(*, username: str, password: str, display_name: str = "") -> User:
    """A staff account; its roles come from memberships."""
    check_password(password)
    existing = await User.exists().where(User.username == username)
    if existing:
        raise DomainError("username_taken", N_("This username is already taken."), status=409)
    user = User(
        username=username,
        password_hash=hash_password(password),
        is_staff=True,
        display_name=display_name or username,
        created_at=clock.now(),
    )
    async with transaction(User._meta.db):
        await user.save()
        await audit.record(
            "accounts.staff_created",
            object_type="user",
            object_id=user.id,
            after={"username": username, "display_name": user.display_name},
        )
    return user


async def _require_over(by: uuid.UUID | None, user_id: uuid.UUID) -> str:
    """An administrator (``by``) may act on an account only if they administer every organisation
    where it holds a role, and on an account without roles only at city level. Without ``by`` it
    is the system (the CLI, a chore). The permission used, for the audit entry."""
    if by is None:
        return ""
    permission = Permission.manage_organisations
    rows = await Membership.select(Membership.organisation).where(Membership.user == user_id)
    if not rows and not any(is_root(path) for path in await scope_paths(user_id=by, permission=permission)):
        raise Forbidden()
    for row in rows:
        await require(user_id=by, permission=permission, organisation_id=row["organisation"])
    return permission.value


async def _account_change(
    action: str, *, user_id: uuid.UUID, permission: str, before: Mapping[str, Any], after: Mapping[str, Any]
) -> None:
    await audit.record(
        action,
        object_type="user",
        object_id=user_id,
        organisation_id=await filed_under(user_id),
        permission=permission,
        before=before,
        after=after,
    )


async def set_password(*, user_id: uuid.UUID, password: str, by: uuid.UUID | None = None) -> None:
    """An administrator (or ``linli create-admin``) sets someone's password: every session of
    theirs ends, so whoever held an old token must log in with the new password."""
    check_password(password)
    permission = await _require_over(by, user_id)
    await get_user(user_id=user_id)
    password_hash = hash_password(password)
    async with transaction(User._meta.db):
        await User.update({User.password_hash: password_hash}).where(User.id == user_id)
        ended = await sessions.end_sessions(user_id=user_id)
        await _account_change(
            "accounts.password_set", user_id=user_id, permission=permission, before={}, after={"sessions_ended": ended}
        )


async def disable_account(*, user_id: uuid.UUID, by: uuid.UUID | None = None) -> None:
    """Stop an account: every session ends at once and logins are refused until it is enabled."""
    permission = await _require_over(by, user_id)
    await get_user(user_id=user_id)
    now = clock.now()
    async with transaction(User._meta.db):
        changed = (
            await User.update({User.disabled_at: now})
            .where((User.id == user_id) & User.disabled_at.is_null())
            .returning(User.id)
        )
        if not changed:
            return  # disabled already
        ended = await sessions.end_sessions(user_id=user_id)
        await _account_change(
            "accounts.account_disabled",
            user_id=user_id,
            permission=permission,
            before={"disabled_at": None},
            after={"disabled_at": now, "sessions_ended": ended},
        )


async def enable_account(*, user_id: uuid.UUID, by: uuid.UUID | None = None) -> None:
    """Let a disabled account log in again (its old sessions stay ended)."""
    permission = await _require_over(by, user_id)
    user = await get_user(user_id=user_id)
    async with transaction(User._meta.db):
        changed = (
            await User.update({User.disabled_at: None})
            .where((User.id == user_id) & User.disabled_at.is_not_null())
            .returning(User.id)
        )
        if changed:
            await _account_change(
                "accounts.account_enabled",
                user_id=user_id,
                permission=permission,
                before={"disabled_at": user.disabled_at},
                after={"disabled_at": None},
            )


async def end_all_sessions(*, user_id: uuid.UUID, by: uuid.UUID | None = None) -> int:
    """An administrator logs someone out everywhere (a lost phone, a shared password); how many
    sessions were open."""
    permission = await _require_over(by, user_id)
    await get_user(user_id=user_id)
    async with transaction(User._meta.db):
        ended = await sessions.end_sessions(user_id=user_id)
        await _account_change(
            "accounts.sessions_revoked",
            user_id=user_id,
            permission=permission,
            before={},
            after={"sessions_ended": ended},
        )
    return ended


# --- roles -----------------------------------------------------------------------------------------


async def grant_role(
    *, user_id: uuid.UUID, organisation_id: uuid.UUID, role: Role, by: uuid.UUID | None = None
) -> None:
    """Give a role in an organisation's scope; granting it twice changes nothing. An administrator
    (``by``) grants roles only within what they administer."""
    if by is not None:
        await require(user_id=by, permission=Permission.manage_organisations, organisation_id=organisation_id)
    async with transaction(Membership._meta.db):
        inserted = await Membership.insert(
            Membership(user=user_id, organisation=organisation_id, role=role.value, created_at=clock.now())
        ).on_conflict(target=(Membership.user, Membership.organisation, Membership.role), action="DO NOTHING")
        if inserted:
            await audit.record(
                "accounts.role_granted",
                object_type="user",
                object_id=user_id,
                organisation_id=organisation_id,
                permission=Permission.manage_organisations.value if by else "",
                after={"role": role},
            )


async def revoke_role(
    *, user_id: uuid.UUID, organisation_id: uuid.UUID, role: Role, by: uuid.UUID | None = None
) -> bool:
    """Take a role away; every session of that person ends, so no token outlives the role it was
    used with. False if they did not hold it."""
    if by is not None:
        await require(user_id=by, permission=Permission.manage_organisations, organisation_id=organisation_id)
    async with transaction(Membership._meta.db):
        removed = (
            await Membership.delete()
            .where(
                (Membership.user == user_id)
                & (Membership.organisation == organisation_id)
                & (Membership.role == role.value)
            )
            .returning(Membership.id)
        )
        if not removed:
            return False
        ended = await sessions.end_sessions(user_id=user_id)
        await audit.record(
            "accounts.role_revoked",
            object_type="user",
            object_id=user_id,
            organisation_id=organisation_id,
            permission=Permission.manage_organisations.value if by else "",
            before={"role": role},
            after={"sessions_ended": ended},
        )
    return True


CITY_NAME = {"zh-Hans": "苏州市", "en": "Suzhou", "zh-Hant": "蘇州市", "ja": "蘇州市", "ko": "쑤저우시"}


async def create_city_admin(*, username: str, password: str) -> User:
    """A staff account with the admin role at city scope; run again, it resets the password and
    ends every session of that account."""
    city = (
        await Organisation.select(Organisation.id)
        .where((Organisation.kind == OrganisationKind.city.value) & Organisation.parent.is_null())
        .first()
    )
    city_id = (
        city["id"]
        if city
        else (await create_organisation(kind=OrganisationKind.city, name=CITY_NAME, parent_id=None)).id
    )
    user = await User.objects().where((User.username == username) & User.deleted_at.is_null()).first()
    if user is None:
        user = await create_staff(username=username, password=password, display_name=username)
    else:
        await set_password(user_id=user.id, password=password)
    await grant_role(user_id=user.id, organisation_id=city_id, role=Role.admin)
    return user
