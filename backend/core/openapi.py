"""The OpenAPI document at /schema: the API's contract, with the error shape on every operation."""

from __future__ import annotations

from litestar.openapi import OpenAPIConfig, ResponseSpec
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Components, Example, SecurityScheme, Tag

from backend.core.errors import _HTTP_MESSAGES, PROBLEM_MEDIA_TYPE, PROBLEM_TYPE_BASE, Problem

TAGS = [
    Tag(name="accounts", description="WeChat and staff login, the caller's profile"),
    Tag(name="events", description="Venues, events, recurring programmes, browsing"),
    Tag(name="registrations", description="Sign-up, waitlist, tickets, check-in"),
    Tag(name="libraries", description="Library branches, opening hours, e-reading seats"),
    Tag(name="volunteers", description="Volunteer profiles, teams, patrol routes, shifts and attendance"),
    Tag(name="hours", description="The volunteer hours ledger, verification, service records"),
    Tag(name="incidents", description="What patrols report, routed to the party that must act"),
    Tag(name="notifications", description="The inbox and WeChat subscribe-message budgets"),
    Tag(name="inclusion", description="Languages, points, rewards, statistics"),
    Tag(name="operations", description="Health, readiness, metrics"),
]


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


def openapi_config(version: str) -> OpenAPIConfig:
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
        tags=TAGS,
        render_plugins=[SwaggerRenderPlugin(path="/"), ScalarRenderPlugin(path="/scalar")],
        components=Components(
            security_schemes={
                "bearer": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT"),
            }
        ),
        use_handler_docstrings=True,
    )
