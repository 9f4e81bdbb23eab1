"""The middleware around every route: request id, who is asking, which language, access log."""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable

import structlog
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from backend.core import audit, runtime, signals
from backend.core.auth import SESSION_COOKIE, SESSION_COOKIE_PATH, decode_token, token_invalid
from backend.core.context import Principal, add_context_headers, cookie, header, query_lang, request_id, request_locale
from backend.core.errors import DomainError, unavailable_error
from backend.core.i18n import LOCALES, N_, normalise_locale, set_locale

log = structlog.get_logger("linli.access")

# Who (user id, session id) is now, in one indexed query: None for an unknown session or account;
# it raises the 401 itself for a session that was ended or has expired, or an account disabled.
UserLoader = Callable[[uuid.UUID, uuid.UUID], Awaitable[Principal | None]]


class RequestContextMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)
    # Prometheus authenticates with a token of its own (backend.core.operations), not ours.
    should_bypass_for_scope = staticmethod(lambda scope: scope.get("path") == "/metrics")

    def __init__(self, *, secret_key: str, load_user: UserLoader) -> None:
        self.secret_key = secret_key
        self.load_user = load_user

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        started = time.perf_counter()
        rid = request_id(scope)
        structlog.contextvars.bind_contextvars(request_id=rid)
        status = 500

        async def send_with_context(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                add_context_headers(scope, message)
            await send(message)

        bound = runtime.bind(scope["app"].state.runtime)
        actor: object | None = None
        try:
            # Until we know who is asking, speak the language the request itself asks for.
            scope["user"] = None
            set_locale(request_locale(scope))
            self._check_lang_parameter(scope)
            scope["user"] = await self._authenticate(scope)
            actor = audit.bind_actor(_actor(scope, rid))
            scope["state"].pop("locale", None)
            set_locale(request_locale(scope))
            with signals.answering():  # the signal dispatcher waits for a lull
                await next_app(scope, receive, send_with_context)
        except DomainError as error:
            status = error.status  # answered by the error handler outside this middleware
            raise
        except Exception as error:
            # The error handler answers 503 when a dependency is away, 500 for anything else.
            status = 503 if unavailable_error(error) else 500
            raise
        finally:
            if actor is not None:
                audit.unbind_actor(actor)
            runtime.unbind(bound)
            log.info(
                "request",
                method=scope.get("method"),
                path=scope.get("path"),
                status=status,
                duration_ms=round((time.perf_counter() - started) * 1000, 1),
            )
            structlog.contextvars.unbind_contextvars("request_id")

    @staticmethod
    def _check_lang_parameter(scope: Scope) -> None:
        asked = query_lang(scope)
        if asked is not None and normalise_locale(asked) not in LOCALES:
            raise DomainError(
                "unsupported_locale",
                N_("Unsupported language. Choose one of: {locales}."),
                params={"locales": ", ".join(LOCALES)},
                status=400,
            )

    async def _authenticate(self, scope: Scope) -> Principal | None:
        authorization = header(scope, b"authorization")
        if not authorization:
            return await self._from_cookie(scope)
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise token_invalid()
        claims = decode_token(secret=self.secret_key, token=token.strip())
        principal = await self.load_user(claims.user_id, claims.session_id)
        if principal is None:
            raise token_invalid()
        return principal

    async def _from_cookie(self, scope: Scope) -> Principal | None:
        """The console's session cookie, read under ``SESSION_COOKIE_PATH`` only (the API takes
        bearer tokens alone, so no cookie can act on it). An ended or expired session is no
        error here: the console sends the person to its login page, saying why."""
        if not scope.get("path", "").startswith(SESSION_COOKIE_PATH):
            return None
        token = cookie(scope, SESSION_COOKIE)
        if not token:
            return None
        try:
            claims = decode_token(secret=self.secret_key, token=token)
            principal = await self.load_user(claims.user_id, claims.session_id)
        except DomainError as error:
            scope["state"]["session_refused"] = error.code
            return None
        if principal is None:
            scope["state"]["session_refused"] = "token_invalid"
        return principal


def _actor(scope: Scope, request_id: str) -> audit.Actor:
    principal = scope.get("user")
    client = scope.get("client")
    address = client[0] if client else ""
    if isinstance(principal, Principal):
        return audit.Actor(user_id=principal.id, kind=principal.kind, address=address, request_id=request_id)
    return audit.Actor(user_id=None, kind="anonymous", address=address, request_id=request_id)
