"""Invitations: a one-time link with which a staff member chooses their own password, instead of
being told one by phone.

The link's token is 32 random bytes (URL-safe base64); only its SHA-256 is kept, so neither the
database nor its backups can open an account. A link works for ``INVITE_TTL`` and once; a new
invitation or a password reset replaces the person's earlier links, and a disabled or deleted
account's links do not work. An unknown, used and expired link get the same answer, so the
answer tells nothing about which tokens ever existed. Accepting opens no session: the person then
logs in with their username and the password they chose.
"""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from backend.accounts import errors
from backend.accounts.scopes import filed_under
from backend.accounts.services import check_password
from backend.accounts.tables import StaffInvite, User
from backend.core import audit, clock
from backend.core.auth import hash_password
from backend.core.db import transaction

INVITE_TTL = timedelta(hours=72)
# Where the console opens an invitation (backend/web); the token is the link's last part.
INVITE_PATH = "/console/invite/{token}"
TOKEN_BYTES = 32
_LONGEST_TOKEN = 128  # a real one has 43 characters; anything longer is not worth hashing


@dataclass(frozen=True)
class InviteLink:
    """A new invitation: the console path to hand to the person, and until when it works."""

    path: str
    expires_at: datetime


@dataclass(frozen=True)
class Invitee:
    """Whom a valid invitation is for: only what the page needs to greet them."""

    username: str
    display_name: str
    expires_at: datetime


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def issue_invite(*, user_id: uuid.UUID) -> InviteLink:
    """Inside the caller's write transaction: a new link for this person, replacing theirs."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = clock.now()
    await StaffInvite.delete().where(StaffInvite.user == user_id)
    await StaffInvite.insert(
        StaffInvite(user=user_id, token_hash=_digest(token), created_at=now, expires_at=now + INVITE_TTL)
    )
    return InviteLink(path=INVITE_PATH.format(token=token), expires_at=now + INVITE_TTL)


async def forget_invites(*, user_id: uuid.UUID) -> None:
    """Every link of this person stops working (a password set for them replaces it)."""
    await StaffInvite.delete().where(StaffInvite.user == user_id)


async def _valid(token: str) -> dict[str, Any]:
    """The invitation this token opens, with its account, or 404 ``invite_not_found``."""
    row = None
    if 0 < len(token) <= _LONGEST_TOKEN:
        row = (
            await StaffInvite.select(
                StaffInvite.id,
                StaffInvite.user,
                StaffInvite.expires_at,
                StaffInvite.user.username.as_alias("username"),
                StaffInvite.user.display_name.as_alias("display_name"),
            )
            .where(
                (StaffInvite.token_hash == _digest(token))
                & (StaffInvite.expires_at > clock.now())
                & (StaffInvite.user.is_staff == True)  # noqa: E712
                & StaffInvite.user.deleted_at.is_null()
                & StaffInvite.user.disabled_at.is_null()
            )
            .first()
        )
    if row is None:
        raise errors.INVITE_NOT_FOUND()
    return row


async def invite_for(*, token: str) -> Invitee:
    """Whom this link invites, if it still works."""
    row = await _valid(token)
    return Invitee(username=row["username"], display_name=row["display_name"], expires_at=row["expires_at"])


async def accept_invite(*, token: str, password: str) -> None:
    """The invited person chooses their password (the rules of ``change_password``); the link is
    spent, and the password is theirs, so nothing more is asked of them before staff work."""
    row = await _valid(token)
    check_password(password)
    password_hash = hash_password(password)
    user_id = row["user"]
    async with transaction(User._meta.db):
        # The link is spent by this delete, so two requests racing with it set one password.
        spent = await StaffInvite.delete().where(StaffInvite.id == row["id"]).returning(StaffInvite.id)
        if not spent:
            raise errors.INVITE_NOT_FOUND()
        await User.update({User.password_hash: password_hash, User.password_change_required: False}).where(
            User.id == user_id
        )
        # The request has no login: the entry is the invited person's, who proved it with the link.
        actor = dataclasses.replace(audit.current_actor(), user_id=user_id, kind="staff")
        with audit.acting(actor):
            await audit.record(
                "accounts.invite_accepted",
                object_type="user",
                object_id=user_id,
                organisation_id=await filed_under(user_id),
            )


async def purge_expired() -> int:
    """Delete links that no longer work (part of the ``session_retention`` chore)."""
    return len(await StaffInvite.delete().where(StaffInvite.expires_at < clock.now()).returning(StaffInvite.id))
