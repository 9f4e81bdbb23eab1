"""What a request carries: its id and its language, read from the ASGI scope.

Both the middleware (for requests that reach a route) and the error handlers (also for those
that never do: an unknown path, a wrong method) use these, so every answer is in the caller's
language and carries the same headers.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
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


def header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
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


def add_context_headers(scope: Scope, message: Message) -> None:
    """Content-Language, Vary and X-Request-ID on every response start."""
    if message["type"] != "http.response.start":
        return
    headers = MutableScopeHeaders.from_message(message)
    headers["Content-Language"] = scope.get("state", {}).get("locale", DEFAULT_LOCALE)
    vary = [v.strip() for v in (headers.get("Vary") or "").split(",") if v.strip()]
    if "Accept-Language" not in vary:
        vary.append("Accept-Language")
    headers["Vary"] = ", ".join(vary)
    headers["X-Request-ID"] = request_id(scope)
