"""Staff accounts as administrators make and reset them: a new account with its first role and
either a temporary password (its holder chooses their own before any staff work) or an
invitation link; a password reset that gives either of the two. Usernames are 3–32 of a-z, 0-9,
dot, hyphen and underscore, unique whatever their case. One audit entry per change, in its
transaction; the answer carries the account as the administrator sees it, and the link once
(only its hash is kept)."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from piccolo.columns.combination import WhereRaw

from backend.accounts import errors, invites
from backend.accounts.invites import InviteLink
from backend.accounts.organisations import find, refuse_retired
from backend.accounts.scopes import Permission, is_root, require, scope_paths
from backend.accounts.services import check_password, clean_display_name
from backend.accounts.staff import invite_to_choose_password, set_password
from backend.accounts.staff_queries import StaffMember, staff_member
from backend.accounts.tables import Membership, Role, User
from backend.core import audit, clock
from backend.core.auth import hash_password
from backend.core.db import UNIQUE_VIOLATIONS, transaction
from backend.core.errors import Forbidden

MANAGE = Permission.manage_organisations
USERNAME = re.compile(r"[a-z0-9._-]{3,32}")
USERNAME_LENGTH = (3, 32)


@dataclass(frozen=True)
class StaffAccount:
    """A staff account as an administrator sees it after a change, with the invitation link the
    change made (shown once: only its hash is kept)."""

    member: StaffMember
    invite: InviteLink | None = None


def check_username(username: str) -> str:
    if not USERNAME.fullmatch(username):
        raise errors.USERNAME_INVALID(min=USERNAME_LENGTH[0], max=USERNAME_LENGTH[1])
    return username


async def _username_free(username: str) -> None:
    """409 if the name is taken, whatever its case (older accounts may have capitals)."""
    if await User.exists().where(WhereRaw("LOWER(username) = {}", username.lower())):
        raise errors.USERNAME_TAKEN()


def _one_way_in(password: str | None, invite: bool) -> None:
    if (password is None) == (not invite):
        raise errors.PASSWORD_OR_INVITE()
    if password is not None:
        check_password(password)


async def _may_create(by: uuid.UUID | None, organisation_id: uuid.UUID | None) -> str:
    """The permission an administrator uses to make an account with a first role here; an
    account without roles only at city level."""
    if by is None:
        return ""
    paths = await scope_paths(user_id=by, permission=MANAGE)
    if not paths:
        raise Forbidden()
    if organisation_id is not None:
        await require(user_id=by, permission=MANAGE, organisation_id=organisation_id)
    elif not any(is_root(path) for path in paths):
        raise errors.FIRST_ROLE_REQUIRED()
    return MANAGE.value


async def create_staff_account(
    *,
    username: str,
    display_name: str,
    role: Role | None,
    organisation_id: uuid.UUID | None,
    password: str | None = None,
    invite: bool = False,
    by: uuid.UUID | None = None,
) -> StaffAccount:
    """A staff account with its first role, made by an administrator who administers that
    organisation (a city administrator may leave the role out), and either a temporary password
    (its holder chooses their own at first) or an invitation link. One audit entry says it all."""
    if (role is None) != (organisation_id is None):
        raise errors.FIRST_ROLE_REQUIRED()
    if organisation_id is not None:
        await find(organisation_id)
    permission = await _may_create(by, organisation_id)
    check_username(username)
    display_name = clean_display_name(display_name)
    _one_way_in(password, invite)
    if organisation_id is not None:
        await refuse_retired(organisation_id)
    await _username_free(username)
    user = User(
        username=username,
        password_hash=hash_password(password) if password is not None else None,
        is_staff=True,
        display_name=display_name,
        password_change_required=password is not None,
        created_at=clock.now(),
    )
    async with transaction(User._meta.db):
        try:
            await user.save()
        except UNIQUE_VIOLATIONS:
            raise errors.USERNAME_TAKEN() from None  # made by someone else a moment ago
        if role is not None:
            await Membership.insert(
                Membership(user=user.id, organisation=organisation_id, role=role.value, created_at=clock.now())
            )
        link = await invites.issue_invite(user_id=user.id) if invite else None
        await audit.record(
            "accounts.staff_created",
            object_type="user",
            object_id=user.id,
            organisation_id=organisation_id,
            permission=permission,
            after={
                "username": username,
                "display_name": display_name,
                "role": role,
                "organisation": organisation_id,
                "invited": invite,
            },
        )
    return StaffAccount(member=await staff_member(user_id=user.id, reader=by), invite=link)


async def reset_password(
    *, user_id: uuid.UUID, password: str | None = None, invite: bool = False, by: uuid.UUID | None = None
) -> StaffAccount:
    """An administrator gives someone a temporary password, or an invitation link to choose one;
    either way every session of theirs ends."""
    _one_way_in(password, invite)
    link = None
    if password is not None:
        await set_password(user_id=user_id, password=password, by=by)
    else:
        link = await invite_to_choose_password(user_id=user_id, by=by)
    return StaffAccount(member=await staff_member(user_id=user_id, reader=by), invite=link)
