"""The public pages' HTTP edge: how a page is drawn and cached, and how a refusal reads.

A public page is the same for every visitor (no login is read, no cookie set), so it may be kept
by shared caches for a short while (``PUBLIC``). A refusal (404, 429, 503…) is a page in the
reader's language, never the API's problem+json: these paths are opened from QR codes and chat
messages, by people, in a browser.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import structlog
from litestar import Request, Response
from litestar.exceptions import HTTPException, NotFoundException, ValidationException
from litestar.response import Template

from backend.core import runtime
from backend.core.errors import DomainError, explain, unavailable_error
from backend.core.i18n import N_, _

log = structlog.get_logger("linli.public")

# A page every visitor sees alike: a proxy or the browser may keep it a minute (the API's public
# reads are cached as long, and any change to events makes their cache stale at once).
PUBLIC = "public, max-age=60"
NO_STORE = "private, no-store"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def absolute(path: str) -> str:
    """``path`` on the public address (``LINLI_PUBLIC_BASE_URL``), as a pasted link needs it."""
    return runtime.current().settings.public_base_url.rstrip("/") + path


def page(template: str, *, cache: str = PUBLIC, status: int = 200, **context: Any) -> Template:
    """A public page: the template with what it lays out, and how long it may be kept."""
    return Template(template_name=template, context=context, status_code=status, headers={"Cache-Control": cache})


async def same_site(request: Request[Any, Any, Any]) -> None:
    """``before_request`` of the public pages: a POST from another site's page is refused (it
    would spend the visitor's share of WeChat links); GETs are not checked."""
    if request.method not in UNSAFE:
        return
    origin = request.headers.get("origin")
    if origin and urlsplit(origin).netloc != request.headers.get("host", ""):
        raise DomainError("cross_site", N_("This request came from another site."), status=403)


# --- refusals --------------------------------------------------------------------------------------

_TITLES: Mapping[int, str] = {
    403: N_("Not allowed"),
    404: N_("Page not found"),
    429: N_("Too many requests"),
    503: N_("Temporarily unavailable"),
}


def problem_page(status: int, message: str, headers: Mapping[str, str] | None = None) -> Response[Any]:
    title = _(_TITLES.get(status, N_("Something went wrong")))
    response = page(
        "public/problem.html", cache=NO_STORE, status=status, title=title, message=message, status_code=status
    )
    response.headers.update(headers or {})
    return response


def domain_error_handler(_request: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    return problem_page(exc.status, explain(exc.message, exc.params), exc.headers)


def http_error_handler(_request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    if isinstance(exc, (NotFoundException, ValidationException)):
        return problem_page(404, _("There is no such page. The link may be mistyped or out of date."))
    if exc.status_code == 429:
        return problem_page(429, _("Too many requests. Please try again later."), exc.headers)
    if exc.status_code == 405:
        return problem_page(405, _("This method is not allowed here."))
    return problem_page(400, _("The request could not be understood."))


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    if unavailable_error(exc):
        log.warning("dependency_unavailable", path=request.url.path, error_type=type(exc).__name__)
        return problem_page(503, _("The service is temporarily unavailable."), {"Retry-After": "5"})
    log.exception("unhandled_error", path=request.url.path, error_type=type(exc).__name__)
    return problem_page(500, _("Something went wrong on our side. Please try again later."))


EXCEPTION_HANDLERS: Mapping[Any, Any] = {
    DomainError: domain_error_handler,
    HTTPException: http_error_handler,
    Exception: internal_error_handler,
}
