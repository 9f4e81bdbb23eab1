"""Sessions: every login opens one, and the token it hands out names it (``sid``). Ending a session
(``revoked_at``) makes its tokens answer 401 on the next request, since the request middleware
reads the session with the account on every request (``queries.load_principal``).

Rows stay until a day after their token would have expired, so an ended session's token is told
"you have been logged out" rather than "not valid"; the ``session_retention`` chore then purges
them (the address a session was opened from is personal data). Staff sessions opened and ended
are audited; residents' are not.
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from backend.accounts.queries import Profile, get_profile
from backend.accounts.scopes import filed_under
from backend.accounts.tables import Session, SessionKind, User
from backend.core import audit, clock
from backend.core.auth import IssuedToken, issue_token
from backend.core.db import transaction
from backend.core.errors import NotFound
from backend.core.i18n import N_
from backend.settings import Settings

# Ended or expired sessions are kept this long after their token's expiry, then purged.
KEPT_AFTER_EXPIRY = timedelta(days=1)


@dataclass(frozen=True)
class OpenedSession:
    id: uuid.UUID
    token: IssuedToken


async def open_session(
    *, user_id: uuid.UUID, staff: bool, kind: SessionKind, address: str, secret_key: str, ttl_seconds: int
) -> OpenedSession:
    """A new session and the token that names it; it lives as long as the token."""
    session_id = uuid.uuid4()
    token = issue_token(
        secret=secret_key,
        user_id=user_id,
        kind="staff" if staff else "resident",
        session_id=session_id,
        ttl_seconds=ttl_seconds,
    )
    await Session.insert(
        Session(
            id=session_id,
            user=user_id,
            kind=kind.value,
            created_at=clock.now(),
            expires_at=token.expires_at,
            address=address[:64],
        )
    )
    return OpenedSession(id=session_id, token=token)


@dataclass(frozen=True)
class Login:
    """A login's outcome: our token, the session it names, whose it is, and whether the login
    made the account."""

    token: IssuedToken
    session_id: uuid.UUID
    profile: Profile
    created: bool


async def start_session(*, user: User, created: bool, kind: SessionKind, address: str, settings: Settings) -> Login:
    """Our own token for a user who just proved who they are; staff sessions are shorter."""
    ttl = settings.staff_token_ttl_seconds if user.is_staff else settings.token_ttl_seconds
    async with transaction(Session._meta.db):
        opened = await open_session(
            user_id=user.id,
            staff=user.is_staff,
            kind=kind,
            address=address,
            secret_key=settings.secret_key,
            ttl_seconds=ttl,
        )
        if user.is_staff:
            # The request had no login yet: the entry is the staff member's, who just proved it.
            actor = dataclasses.replace(audit.current_actor(), user_id=user.id, kind="staff")
            with audit.acting(actor):
                await audit.record(
                    "accounts.logged_in",
                    object_type="session",
                    object_id=opened.id,
                    organisation_id=await filed_under(user.id),
                    after={"kind": kind},
                )
    return Login(token=opened.token, session_id=opened.id, profile=await get_profile(user_id=user.id), created=created)


def _open(user_id: uuid.UUID) -> Any:
    return (Session.user == user_id) & Session.revoked_at.is_null() & (Session.expires_at > clock.now())


async def end_session(*, user_id: uuid.UUID, session_id: uuid.UUID) -> bool:
    """End one open session of this person; False if there is none such (not theirs, or over)."""
    ended = (
        await Session.update({Session.revoked_at: clock.now()})
        .where(_open(user_id) & (Session.id == session_id))
        .returning(Session.id)
    )
    return bool(ended)


async def end_sessions(*, user_id: uuid.UUID, keep: uuid.UUID | None = None) -> int:
    """End every open session of this person (but ``keep``); how many were open."""
    where = _open(user_id)
    if keep is not None:
        where &= Session.id != keep
    return len(await Session.update({Session.revoked_at: clock.now()}).where(where).returning(Session.id))


async def log_out(*, user_id: uuid.UUID, session_id: uuid.UUID | None, staff: bool) -> None:
    """End the session a request came with (its token stops working)."""
    await end_my_session(user_id=user_id, session_id=session_id, staff=staff)


async def end_my_session(*, user_id: uuid.UUID, session_id: uuid.UUID | None, staff: bool) -> None:
    """End one of the caller's own open sessions (another device, or this one); 404 for any other."""
    async with transaction(Session._meta.db):
        if session_id is None or not await end_session(user_id=user_id, session_id=session_id):
            raise NotFound("session_not_found", N_("This session does not exist or has already ended."))
        if staff:
            await audit.record(
                "accounts.logged_out",
                object_type="session",
                object_id=session_id,
                organisation_id=await filed_under(user_id),
            )


async def log_out_everywhere(*, user_id: uuid.UUID, staff: bool) -> int:
    """End every open session of the caller, this one included; how many there were."""
    async with transaction(Session._meta.db):
        ended = await end_sessions(user_id=user_id)
        if staff:
            await audit.record(
                "accounts.logged_out_everywhere",
                object_type="user",
                object_id=user_id,
                organisation_id=await filed_under(user_id),
                after={"sessions_ended": ended},
            )
    return ended


async def forget_sessions(*, user_id: uuid.UUID) -> None:
    """Remove every session row of a closed account: its tokens stop working, its addresses go."""
    await Session.delete().where(Session.user == user_id)


async def purge_expired() -> int:
    """Delete sessions whose token expired more than a day ago (the ``session_retention`` chore)."""
    cutoff = clock.now() - KEPT_AFTER_EXPIRY
    return len(await Session.delete().where(Session.expires_at < cutoff).returning(Session.id))
