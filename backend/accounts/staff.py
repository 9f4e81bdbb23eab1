"""Staff accounts and their roles: created, passwords set by an administrator (or ``linli
create-admin``) or replaced by an invitation link, disabled and enabled, logged out everywhere,
roles granted and taken away. What administrators do through the API on top of these (a new
account with its first role, a password reset) is in ``staff_accounts.py``.

Each operation may name the administrator acting (``by``): they must administer the organisations
concerned (``manage_organisations``). Without ``by`` it is the system (the CLI, the demo, tests).
A password an administrator chose is temporary: its holder must choose their own before any staff
work (``password_change_required``); one the operator chose with ``linli create-admin`` is not.
Every change is audited in its transaction, filed under the organisation it concerns; entries
never hold a password or its hash.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from backend.accounts import errors, invites, sessions
from backend.accounts.invites import InviteLink
from backend.accounts.organisations import create_organisation, find, refuse_retired
from backend.accounts.queries import get_user
from backend.accounts.scopes import Permission, filed_under, is_root, require, scope_paths
from backend.accounts.services import check_password
from backend.accounts.tables import Membership, Organisation, OrganisationKind, Role, User
from backend.core import audit, clock
from backend.core.auth import hash_password
from backend.core.db import lock_row, transaction
from backend.core.errors import Forbidden

MANAGE = Permission.manage_organisations


async def create_staff(*, username: str, password: str, display_name: str = "") -> User:
    """A staff account; its roles come from memberships."""
    check_password(password)
    existing = await User.exists().where(User.username == username)
    if existing:
        raise errors.USERNAME_TAKEN()
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
    """An administrator (``by``) may act on a staff account only if they administer every
    organisation where it holds a role, and on one without roles only at city level (403); a
    resident's account is none of theirs (404, after the 403). Without ``by`` it is the system
    (the CLI, a chore). The permission used, for the audit entry."""
    if by is None:
        return ""
    permission = Permission.manage_organisations
    rows = await Membership.select(Membership.organisation).where(Membership.user == user_id)
    if not rows and not any(is_root(path) for path in await scope_paths(user_id=by, permission=permission)):
        raise Forbidden()
    for row in rows:
        await require(user_id=by, permission=permission, organisation_id=row["organisation"])
    if not await User.exists().where((User.id == user_id) & (User.is_staff == True)):  # noqa: E712
        raise errors.USER_NOT_FOUND()
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
    theirs ends, so whoever held an old token must log in with the new password, and an
    invitation link of theirs stops working. One an administrator chose is temporary."""
    check_password(password)
    permission = await _require_over(by, user_id)
    await get_user(user_id=user_id)
    password_hash = hash_password(password)
    temporary = by is not None
    async with transaction(User._meta.db):
        await User.update({User.password_hash: password_hash, User.password_change_required: temporary}).where(
            User.id == user_id
        )
        await invites.forget_invites(user_id=user_id)
        ended = await sessions.end_sessions(user_id=user_id)
        await _account_change(
            "accounts.password_set",
            user_id=user_id,
            permission=permission,
            before={},
            after={"sessions_ended": ended, "password_change_required": temporary},
        )


async def invite_to_choose_password(*, user_id: uuid.UUID, by: uuid.UUID | None = None) -> InviteLink:
    """Instead of a password, a link for the person to choose one: their password and every
    session end, and an earlier link stops working."""
    permission = await _require_over(by, user_id)
    await get_user(user_id=user_id)
    async with transaction(User._meta.db):
        await User.update({User.password_hash: None, User.password_change_required: False}).where(User.id == user_id)
        link = await invites.issue_invite(user_id=user_id)
        ended = await sessions.end_sessions(user_id=user_id)
        await _account_change(
            "accounts.invite_issued",
            user_id=user_id,
            permission=permission,
            before={},
            after={"expires_at": link.expires_at, "sessions_ended": ended},
        )
    return link


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
    """Give a role in an organisation's scope; granting it twice changes nothing. A retired
    organisation takes no new roles. An administrator (``by``) grants roles only within what they
    administer, and only to staff accounts."""
    if by is not None:
        await require(user_id=by, permission=MANAGE, organisation_id=organisation_id)
    await refuse_retired(organisation_id)
    if by is not None and not await User.exists().where(
        (User.id == user_id) & (User.is_staff == True) & User.deleted_at.is_null()  # noqa: E712
    ):
        raise errors.USER_NOT_FOUND()
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
                permission=MANAGE.value if by else "",
                after={"role": role},
            )


async def revoke_role(
    *, user_id: uuid.UUID, organisation_id: uuid.UUID, role: Role, by: uuid.UUID | None = None
) -> bool:
    """Take a role away; every session of that person ends, so no token outlives the role it was
    used with. False if they did not hold it. The city's last administrator keeps theirs."""
    if by is not None:
        await require(user_id=by, permission=MANAGE, organisation_id=organisation_id)
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
        if role is Role.admin:
            await _keep_a_city_admin(organisation_id)
        ended = await sessions.end_sessions(user_id=user_id)
        await audit.record(
            "accounts.role_revoked",
            object_type="user",
            object_id=user_id,
            organisation_id=organisation_id,
            permission=MANAGE.value if by else "",
            before={"role": role},
            after={"sessions_ended": ended},
        )
    return True


async def _keep_a_city_admin(organisation_id: uuid.UUID) -> None:
    """Inside the transaction that took an admin role away: refuse (409) if it was at a city and
    no administrator who can still log in is left there. The city's row is held first, so two
    administrators removing each other at once cannot both succeed."""
    organisation = await find(organisation_id)
    if organisation.parent is not None:
        return
    await lock_row(Organisation._meta.db, Organisation._meta.tablename, organisation_id)
    left = await Membership.count().where(
        (Membership.organisation == organisation_id)
        & (Membership.role == Role.admin.value)
        & Membership.user.deleted_at.is_null()
        & Membership.user.disabled_at.is_null()
    )
    if not left:
        raise errors.LAST_CITY_ADMIN()


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
