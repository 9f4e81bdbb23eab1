"""What a request carries: its id and its language, read from the ASGI scope.

Both the middleware (for requests that reach a route) and the error handlers (also for those
that never do: an unknown path, a wrong method) use these, so every answer is in the caller's
language and carries the same headers.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie
from typing import Literal
from urllib.parse import parse_qs

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

from backend.core.i18n import DEFAULT_LOCALE, negotiate

Kind = Literal["resident", "staff"]


@dataclass(frozen=True)
class Principal:
    """Who is asking: what the middleware puts in ``request.user`` for a valid token."""

    id: uuid.UUID
    kind: Kind
    locale: str | None
    display_name: str
    session_id: uuid.UUID | None = None  # the session the token belongs to (logout ends it)
    # A staff member still on a password someone else chose (a new account, a reset): until they
    # choose their own, staff operations answer 403 ``password_change_required``.
    must_change_password: bool = False


def header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


def cookie(scope: Scope, name: str) -> str | None:
    """One cookie's value from the request's ``Cookie`` header(s)."""
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            jar = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except CookieError:
                continue
            if name in jar:
                return jar[name].value
    return None


def query_lang(scope: Scope) -> str | None:
    values = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("lang")
    return values[0] if values else None


def request_locale(scope: Scope) -> str:
    """The locale chosen for this request, negotiating it if the middleware did not run."""
    state = scope.setdefault("state", {})
    if "locale" not in state:
        principal = scope.get("user")
        state["locale"] = negotiate(
            query=query_lang(scope),
            preference=principal.locale if isinstance(principal, Principal) else None,
            accept_language=header(scope, b"accept-language"),
        )
    return str(state["locale"])


def request_id(scope: Scope) -> str:
    state = scope.setdefault("state", {})
    if "request_id" not in state:
        incoming = header(scope, b"x-request-id") or ""
        # Accept a proxy's id only if it is short and plain; never echo arbitrary input into logs.
        state["request_id"] = (
            incoming
            if 0 < len(incoming) <= 64 and incoming.isascii() and incoming.replace("-", "").isalnum()
            else uuid.uuid4().hex
        )
    return str(state["request_id"])


# What a browser must not do with any answer of ours: guess its type, frame it, or tell other
# sites the page it came from. HTML pages also get a policy that allows only our own files.
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}
API_POLICY = "default-src 'none'; frame-ancestors 'none'"
PAGE_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# Swagger UI and Scalar run only our own files too, but set styles inline as they draw.
DOCS_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
    "font-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# Answers about one person (their profile, tokens, feeds, exports) and every console page are never
# kept by a cache.
PRIVATE_PREFIXES = ("/api/v1/me", "/api/v1/auth/", "/console")
NO_STORE = "private, no-store"


def security_headers(scope: Scope, present: Mapping[str, str], content_type: str) -> dict[str, str]:
    """The security headers an answer lacks, given the headers it has (names as sent)."""
    have = {name.lower() for name in present}
    added = {name: value for name, value in SECURITY_HEADERS.items() if name.lower() not in have}
    path = scope.get("path", "")
    if "content-security-policy" not in have:
        if not content_type.startswith("text/html"):
            added["Content-Security-Policy"] = API_POLICY
        else:
            added["Content-Security-Policy"] = DOCS_POLICY if path.startswith("/schema") else PAGE_POLICY
    if "cache-control" not in have and (path.startswith(PRIVATE_PREFIXES) or header(scope, b"authorization")):
        added["Cache-Control"] = NO_STORE
    return added


def add_context_headers(scope: Scope, message: Message) -> None:
    """Content-Language, Vary, X-Request-ID and the security headers on every response start."""
    if message["type"] != "http.response.start":
        return
    headers = MutableScopeHeaders.from_message(message)
    headers.update(security_headers(scope, headers, headers.get("Content-Type") or ""))
    headers["Content-Language"] = scope.get("state", {}).get("locale", DEFAULT_LOCALE)
    vary = [v.strip() for v in (headers.get("Vary") or "").split(",") if v.strip()]
    if "Accept-Language" not in vary:
        vary.append("Accept-Language")
    headers["Vary"] = ", ".join(vary)
    headers["X-Request-ID"] = request_id(scope)
