"""Our own tokens, password hashes, and the guards every domain puts on its handlers.

The API issues its own JWT (HS256, signed with ``LINLI_SECRET_KEY``); WeChat's ``session_key``
never leaves the server. A token names its session (``sid``), and the session is looked up on
every request, so a logout, a password change, a role taken away or a disabled or deleted account
makes the token stop working at once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from backend.core.context import Kind, Principal
from backend.core.errors import DomainError
from backend.core.i18n import N_

TOKEN_ALGORITHM = "HS256"
TOKEN_AUDIENCE = "linli-api"

_hasher = PasswordHasher()


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_at: datetime


@dataclass(frozen=True)
class TokenClaims:
    """What a valid token says: whose it is, of which kind, and the session it belongs to."""

    user_id: uuid.UUID
    kind: Kind
    session_id: uuid.UUID


TOKEN_INVALID = N_("This login token is not valid.")
SESSION_ENDED = N_("You have been logged out. Please log in again.")
TOKEN_EXPIRED = N_("Your session has expired. Please log in again.")


# The console's session: the same signed token as the API's bearer, in an HttpOnly cookie that
# the browser sends under this path only and the middleware reads under this path only.
SESSION_COOKIE = "linli_session"
SESSION_COOKIE_PATH = "/console"


def token_invalid() -> DomainError:
    return DomainError("token_invalid", TOKEN_INVALID, status=401)


def session_ended() -> DomainError:
    return DomainError("session_revoked", SESSION_ENDED, status=401)


def token_expired() -> DomainError:
    return DomainError("token_expired", TOKEN_EXPIRED, status=401)


def issue_token(*, secret: str, user_id: uuid.UUID, kind: Kind, session_id: uuid.UUID, ttl_seconds: int) -> IssuedToken:
    now = datetime.now(UTC)
    expires_at = now + timedelta(seconds=ttl_seconds)
    claims = {
        "sub": str(user_id),
        "kind": kind,
        "sid": str(session_id),
        "aud": TOKEN_AUDIENCE,
        "iat": int(now.timestamp()),
        "exp": int(expires_at.timestamp()),
        "jti": uuid.uuid4().hex,
    }
    return IssuedToken(token=jwt.encode(claims, secret, algorithm=TOKEN_ALGORITHM), expires_at=expires_at)


def decode_token(*, secret: str, token: str) -> TokenClaims:
    """What a valid token carries; a 401 DomainError otherwise: ``token_expired``, ``token_invalid``
    (garbage, a forged signature), or ``session_revoked`` for a token from before sessions."""
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            secret,
            algorithms=[TOKEN_ALGORITHM],
            audience=TOKEN_AUDIENCE,
            options={"require": ["sub", "exp", "kind"]},
        )
        user_id, kind = uuid.UUID(str(claims["sub"])), claims["kind"]
    except jwt.ExpiredSignatureError:
        raise token_expired() from None
    except (jwt.PyJWTError, ValueError, KeyError, TypeError):
        raise token_invalid() from None
    if kind not in ("resident", "staff"):
        raise token_invalid()
    if "sid" not in claims:
        # Signed by us before tokens named their session: it cannot be ended, so it no longer counts.
        raise session_ended()
    try:
        session_id = uuid.UUID(str(claims["sid"]))
    except ValueError:
        raise token_invalid() from None
    return TokenClaims(user_id=user_id, kind=kind, session_id=session_id)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        # Spend the same effort as a real check, so timing does not reveal unknown usernames.
        _hasher.hash(password)
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def principal_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    """The logged-in user of a request, or a 401."""
    user = connection.scope.get("user")
    if not isinstance(user, Principal):
        raise DomainError("not_authenticated", N_("Please log in first."), status=401)
    return user


def provide_caller(request: Request[Any, Any, Any]) -> Principal:
    """The ``caller`` dependency: who is asking, for handlers that need a login (401 otherwise)."""
    return principal_of(request)


def provide_visitor(request: Request[Any, Any, Any]) -> Principal | None:
    """The ``visitor`` dependency: who is asking if they are logged in, else None."""
    user = request.scope.get("user")
    return user if isinstance(user, Principal) else None


def is_preflight(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    """A browser's CORS pre-flight (OPTIONS) carries no credentials and runs no handler of ours:
    guards let it through to Litestar's own answer, which only lists the methods."""
    return connection.scope.get("method") == "OPTIONS"


async def requires_login(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    # A coroutine: Litestar runs a plain function guard in a thread, a hop per request.
    if not is_preflight(connection):
        principal_of(connection)


# ``opt`` key of the handlers a staff member may use while on a password someone else chose:
# choosing their own (``requires_login`` handlers, such as /me and the logouts, stay open anyway).
BEFORE_PASSWORD_CHANGE = "before_password_change"


async def requires_staff(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """Staff only; and a staff member still on a temporary password (a new account, a reset) must
    choose their own first: 403 ``password_change_required`` on every staff operation but that."""
    if is_preflight(connection):
        return
    principal = principal_of(connection)
    if principal.kind != "staff":
        raise DomainError("staff_only", N_("Only staff accounts can do this."), status=403)
    if principal.must_change_password and not (getattr(handler, "opt", None) or {}).get(BEFORE_PASSWORD_CHANGE):
        raise DomainError("password_change_required", N_("Choose a new password first."), status=403)
