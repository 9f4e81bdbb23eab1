"""The OpenAPI document at /schema: the API's contract, with the error shape on every operation.

Handlers name the problems that are theirs (``responses=problems(404, 409)``); ``document_problems``
adds, to every operation, those that come from the machinery around it, so the document never
promises less than the server answers: 400 (an unknown ``?lang=``, a malformed body), 401 (a
bad or expired token is refused on every route), 503 (the database or Redis away), 404 and 422
where there are path parameters or other input to get wrong, 413 where there is a body, 429
where a rate limit guards the route. An operation choosing its format with ``?format=csv``
also names the CSV it then answers with.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

from litestar import Litestar, Request, Router
from litestar.datastructures import CacheControlHeader
from litestar.openapi import OpenAPIConfig, ResponseSpec
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import (
    Components,
    Example,
    OpenAPIHeader,
    OpenAPIMediaType,
    OpenAPIResponse,
    Operation,
    Parameter,
    Schema,
    SecurityScheme,
    Tag,
)
from litestar.openapi.spec.enums import OpenAPIType
from litestar.routes import HTTPRoute
from litestar.static_files import create_static_files_router

from backend.core.errors import _HTTP_MESSAGES, PROBLEM_MEDIA_TYPE, PROBLEM_TYPE_BASE, Problem
from backend.core.stores import rate_limit


def problems(*statuses: int) -> dict[int, ResponseSpec]:
    """Document the problem-details answers an operation can give, each with an example."""
    specs = {}
    for status in statuses:
        code, message = _HTTP_MESSAGES.get(status, _HTTP_MESSAGES[400])
        specs[status] = ResponseSpec(
            data_container=Problem,
            description=message,
            media_type=PROBLEM_MEDIA_TYPE,
            examples=[
                Example(
                    summary=code,
                    value={
                        "type": PROBLEM_TYPE_BASE + code,
                        "title": code.replace("_", " ").capitalize(),
                        "status": status,
                        "detail": message,
                        "code": code,
                    },
                )
            ],
        )
    return specs


def openapi_config(version: str, tags: Sequence[tuple[str, str]]) -> OpenAPIConfig:
    """The document's frame; ``tags`` (name, description) come from the domain manifests, in domain order."""
    return OpenAPIConfig(
        title="Linli (邻里) API",
        version=version,
        description=(
            "The community culture and participation API behind the Linli WeChat mini-program. "
            "Send `Accept-Language` or `?lang=` (zh-Hans, en, zh-Hant, ja, ko); errors are RFC 9457 "
            "problem details with a stable `code`. Log in through `/api/v1/auth/*` and send the "
            "token as `Authorization: Bearer <token>`."
        ),
        path="/schema",
        tags=[Tag(name=name, description=description) for name, description in tags],
        render_plugins=[LocalSwagger(path="/"), LocalScalar(path="/scalar")],
        components=Components(
            security_schemes={
                "bearer": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT"),
            }
        ),
        use_handler_docstrings=True,
    )


# The documentation pages' own files, served by the app (no CDN): see static/openapi/VENDORED.md.
ASSETS_PATH = "/schema/assets"
ASSETS_DIRECTORY = Path(__file__).resolve().parent / "static" / "openapi"


def assets_router() -> Router:
    return create_static_files_router(
        path=ASSETS_PATH,
        directories=[ASSETS_DIRECTORY],
        include_in_schema=False,
        name="openapi_assets",
        cache_control=CacheControlHeader(max_age=86400, public=True),
    )


def _page(title: str, head: str, body: str) -> bytes:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<link rel="icon" href="data:,">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>{escape(title)}</title>\n'
        f"{head}\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    ).encode()


class LocalSwagger(SwaggerRenderPlugin):
    """Swagger UI from our own files, started by our script (no inline code, no CDN)."""

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        url = escape(self.get_openapi_json_route(request))
        return _page(
            openapi_schema["info"]["title"],
            f'<link rel="stylesheet" href="{ASSETS_PATH}/swagger-ui.css">',
            '<div id="swagger-container"></div>\n'
            f'<script src="{ASSETS_PATH}/swagger-ui-bundle.js"></script>\n'
            f'<script src="{ASSETS_PATH}/swagger-ui-standalone-preset.js"></script>\n'
            f'<script src="{ASSETS_PATH}/swagger-init.js" data-url="{url}"></script>',
        )


class LocalScalar(ScalarRenderPlugin):
    """Scalar from our own file, without the fonts it would fetch from its CDN."""

    # No fonts, AI agent, MCP or developer tools from Scalar's own services: this page runs offline.
    CONFIGURATION = json.dumps(
        {
            "withDefaultFonts": False,
            "hideClientButton": True,
            "showDeveloperTools": "never",
            "agent": {"disabled": True},
            "mcp": {"disabled": True},
        }
    )

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        url = escape(self.get_openapi_json_route(request))
        return _page(
            openapi_schema["info"]["title"],
            "",
            f'<script id="api-reference" data-url="{url}" data-configuration="{escape(self.CONFIGURATION)}"></script>\n'
            f'<script src="{ASSETS_PATH}/scalar-api-reference.js"></script>',
        )


# What every request can meet, whatever the operation: an unknown ?lang= (400), a malformed or
# expired token (401: the middleware checks one wherever it is sent), a dependency away (503).
EVERY_OPERATION = (400, 401, 503)
# ?format=<key> answers with this media type instead of JSON.
FORMATS = {"csv": "text/csv"}


def document_problems(app: Litestar) -> None:
    """Give every operation of ``app`` the problems that come from outside its handler."""
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler, kwargs in route.route_handler_map.values():
            statuses = set(EVERY_OPERATION)
            if kwargs.expected_path_params:
                statuses |= {404, 422}
            if kwargs.expected_query_params or kwargs.expected_header_params or kwargs.expected_cookie_params:
                statuses.add(422)
            if _takes_body(kwargs):
                statuses |= {413, 422}
            if any(is_rate_limit(guard) for guard in handler.resolve_guards()):
                statuses.add(429)
            responses = dict(handler.responses or {})
            for status, spec in problems(*sorted(statuses)).items():
                responses.setdefault(status, spec)
            handler.responses = responses
            if handler.operation_class is Operation:
                handler.operation_class = DocumentedOperation


def _takes_body(kwargs: Any) -> bool:
    return bool(
        "data" in kwargs.expected_reserved_kwargs
        or "body" in kwargs.expected_reserved_kwargs
        or kwargs.expected_form_data
        or kwargs.expected_msgpack_data
        or kwargs.expected_data_dto
    )


def is_rate_limit(guard: Any) -> bool:
    """Whether ``guard`` is one that ``backend.core.stores.rate_limit`` made."""
    return getattr(guard, "__qualname__", "").startswith(rate_limit.__qualname__ + ".")


@dataclass
class DocumentedOperation(Operation):
    """An operation whose ``?format=`` alternatives are named beside its JSON answer."""

    def __post_init__(self) -> None:
        _retry_after_on_429(self.responses)
        success = next((r for status, r in (self.responses or {}).items() if status.startswith("2")), None)
        content = getattr(success, "content", None)
        if content is None:
            return
        for parameter in self.parameters or []:
            if isinstance(parameter, Parameter) and parameter.name == "format" and parameter.param_in == "query":
                for key in getattr(parameter.schema, "enum", None) or []:
                    if key in FORMATS:
                        content.setdefault(FORMATS[key], OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING)))


def _retry_after_on_429(responses: Any) -> None:
    """Every 429 we send says in ``Retry-After`` how many seconds to wait; document that once, here."""
    response = (responses or {}).get("429")
    if isinstance(response, OpenAPIResponse):
        response.headers = {
            **(response.headers or {}),
            "Retry-After": OpenAPIHeader(
                schema=Schema(type=OpenAPIType.INTEGER, minimum=1),
                description="seconds to wait before trying again",
                required=True,
            ),
        }
