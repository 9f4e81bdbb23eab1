"""One error shape for the whole API: RFC 9457 problem details, translated at the edge.

Services raise ``DomainError`` with an untranslated message marked ``N_()``; the handlers here
turn it, Litestar's HTTP exceptions, validation failures and anything unexpected into
``{type, title, status, detail, code, params[, errors]}`` in the caller's language.

A dependency that is away is not a bug: when the database cannot be reached (PostgreSQL
restarting, its connections cut, the pool busy beyond its wait, SQLite locked beyond its busy
timeout) or Redis is needed and gone, the answer is ``503 service_unavailable`` with
``Retry-After``, not a 500 (``unavailable_error``).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import datetime
from http import HTTPStatus
from typing import Any

import asyncpg
import msgspec
import redis.exceptions
import structlog
from litestar import Request, Response
from litestar.exceptions import HTTPException, SerializationException, ValidationException

from backend.core.context import request_id, request_locale, security_headers
from backend.core.i18n import N_, _, format_datetime, use_locale

log = structlog.get_logger("linli.errors")

PROBLEM_TYPE_BASE = "https://linli.example/problems/"
PROBLEM_MEDIA_TYPE = "application/problem+json"
IMAGE_TOO_LARGE = N_("The image file is too large; the limit is {limit_mb} MB.")
REQUEST_TOO_LARGE = N_("The request is too large; the limit is {limit_mb} MB.")


class DomainError(Exception):
    """A broken business rule, with a stable code that clients switch on."""

    def __init__(
        self,
        code: str,
        message: str,
        params: Mapping[str, Any] | None = None,
        status: int = 400,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.params = dict(params or {})
        self.status = status
        self.headers = dict(headers or {})


class NotFound(DomainError):
    def __init__(self, code: str = "not_found", message: str = N_("Not found.")) -> None:
        super().__init__(code, message, status=404)


class Forbidden(DomainError):
    def __init__(self, code: str = "forbidden", message: str = N_("You are not allowed to do this.")) -> None:
        super().__init__(code, message, status=403)


class FieldProblem(msgspec.Struct):
    field: str
    message: str
    code: str


@dataclass(frozen=True)
class PendingFieldProblem:
    """A field problem whose message is translated when the response is built."""

    field: str
    message: str
    code: str
    params: Mapping[str, Any] = dataclass_field(default_factory=dict)


class Problem(msgspec.Struct, omit_defaults=True):
    type: str
    title: str
    status: int
    detail: str
    code: str
    params: dict[str, Any] = {}
    errors: list[FieldProblem] = []
    request_id: str | None = None


# Litestar's own exceptions, by status: (code, message shown to people).
_HTTP_MESSAGES: Mapping[int, tuple[str, str]] = {
    400: ("bad_request", N_("The request could not be understood.")),
    401: ("not_authenticated", N_("Please log in first.")),
    403: ("forbidden", N_("You are not allowed to do this.")),
    404: ("not_found", N_("Not found.")),
    405: ("method_not_allowed", N_("This method is not allowed here.")),
    406: ("not_acceptable", N_("This format is not available.")),
    409: ("conflict", N_("This conflicts with the current state.")),
    413: ("payload_too_large", N_("The request is too large.")),
    415: ("unsupported_media_type", N_("This content type is not supported.")),
    422: ("validation_failed", N_("Some fields are not valid.")),
    429: ("rate_limited", N_("Too many requests. Please try again later.")),
    500: ("internal_error", N_("Something went wrong on our side. Please try again later.")),
    503: ("service_unavailable", N_("The service is temporarily unavailable.")),
}


def problem_response(
    request: Request[Any, Any, Any],
    *,
    status: int,
    code: str,
    message: str,
    params: Mapping[str, Any] | None = None,
    pending_errors: list[PendingFieldProblem] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response[Problem]:
    params = dict(params or {})
    locale = request_locale(request.scope)
    with use_locale(locale):
        detail = explain(message, params)
        errors = [
            FieldProblem(
                field=e.field,
                message=_(e.message).format(**{k: _(v) if isinstance(v, str) else v for k, v in e.params.items()}),
                code=e.code,
            )
            for e in pending_errors or []
        ]
    body = Problem(
        type=PROBLEM_TYPE_BASE + code,
        title=_status_title(status),
        status=status,
        detail=detail,
        code=code,
        params=params,
        errors=errors or [],
        request_id=request_id(request.scope),
    )
    context_headers = {
        "Content-Language": locale,
        "Vary": "Accept-Language",
        "X-Request-ID": request_id(request.scope),
    }
    answer_headers = {**context_headers, **dict(headers or {})}
    answer_headers.update(security_headers(request.scope, answer_headers, PROBLEM_MEDIA_TYPE))
    return Response(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=answer_headers)


def _status_title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def domain_error_handler(request: Request[Any, Any, Any], exc: DomainError) -> Response[Problem]:
    return problem_response(
        request,
        status=exc.status,
        code=exc.code,
        message=exc.message,
        params=exc.params,
        headers=exc.headers,
    )


def http_exception_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Problem]:
    status = exc.status_code
    if isinstance(exc, ValidationException) or (status == 400 and exc.extra):
        return _validation_problem(request, exc)
    if status == 413:
        return _too_large(request)
    code, message = _HTTP_MESSAGES.get(status, _HTTP_MESSAGES[500 if status >= 500 else 400])
    if status == 400 and isinstance(exc.__cause__, (SerializationException, msgspec.DecodeError)):
        code, message = "malformed_body", N_("The request body is not valid JSON.")
    return problem_response(request, status=status, code=code, message=message, headers=exc.headers or {})


def _too_large(request: Request[Any, Any, Any]) -> Response[Problem]:
    """A body over the request limit, refused before it is read: say the limit that applies. Every
    file upload is an image, and its own limit is the lower one, so an upload is told that one
    (as it is when it passes the request limit but not the image limit)."""
    settings = getattr(request.app.state, "settings", None)
    if settings is None:
        code, message = _HTTP_MESSAGES[413]
        return problem_response(request, status=413, code=code, message=message)
    if request.headers.get("content-type", "").lower().startswith("multipart/"):
        code, message, limit = "image_file_too_large", IMAGE_TOO_LARGE, settings.max_image_bytes
    else:
        code, message, limit = "payload_too_large", REQUEST_TOO_LARGE, settings.max_request_bytes
    return problem_response(request, status=413, code=code, message=message, params={"limit_mb": megabytes(limit)})


def megabytes(size: int) -> float | int:
    """8 rather than 8.0 in a message; one decimal when the limit is not whole."""
    rounded = round(size / (1024 * 1024), 1)
    return int(rounded) if rounded == int(rounded) else rounded


# How long a client should wait before trying again when a dependency is away: about what a
# PostgreSQL restart or a Redis failover takes.
RETRY_AFTER_SECONDS = 5

# Errors that say "a dependency cannot answer now", whatever the request was.
_UNAVAILABLE: tuple[type[BaseException], ...] = (
    asyncpg.PostgresConnectionError,  # class 08: the connection broke or was never made
    asyncpg.exceptions.OperatorInterventionError,  # class 57: shutting down, starting up, cancelled
    asyncpg.exceptions.InsufficientResourcesError,  # class 53: too many connections, disk full
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    ConnectionError,  # refused, reset, broken pipe
    TimeoutError,  # connecting, or waiting for a pooled connection, took too long
)
# asyncpg's InterfaceError also means misuse; only these say the connection or pool is gone (a
# connection the server cut is handed back to the pool at once, under the transaction using it).
_GONE = re.compile(r"connection is closed|connection was closed|released back to the pool|pool is clos")


def unavailable_error(exc: BaseException) -> bool:
    """Whether ``exc``, or an error it was raised from, says a dependency is away for now."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, _UNAVAILABLE):
            return True
        if isinstance(current, asyncpg.InterfaceError) and _GONE.search(str(current)):
            return True
        if isinstance(current, sqlite3.OperationalError) and "database is locked" in str(current):
            return True
        current = current.__cause__
    return False


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Problem]:
    if unavailable_error(exc):
        # Expected while a dependency restarts: a warning for the logs, a 503 for the caller.
        log.warning("dependency_unavailable", path=request.url.path, error_type=type(exc).__name__)
        code, message = _HTTP_MESSAGES[503]
        return problem_response(
            request, status=503, code=code, message=message, headers={"Retry-After": str(RETRY_AFTER_SECONDS)}
        )
    log.exception("unhandled_error", path=request.url.path, error_type=type(exc).__name__)
    code, message = _HTTP_MESSAGES[500]
    return problem_response(request, status=500, code=code, message=message)


def _validation_problem(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Problem]:
    extra = exc.extra if isinstance(exc.extra, list) else []
    errors = [_field_problem(_named_as_sent(request, item)) for item in extra if isinstance(item, Mapping)]
    if not errors:
        errors = [PendingFieldProblem(field="", message=N_("This value is not valid."), code="invalid")]
    return problem_response(
        request,
        status=422,
        code="validation_failed",
        message=_HTTP_MESSAGES[422][1],
        pending_errors=errors,
    )


def _named_as_sent(request: Request[Any, Any, Any], item: Mapping[str, Any]) -> Mapping[str, Any]:
    """Litestar names a query parameter it could not read by the handler's argument
    (``starts_from``); the caller sent it under its query name (``from``)."""
    if item.get("source") != "query":
        return item
    try:
        parameter = request.route_handler.parsed_fn_signature.parameters[str(item.get("key"))]
    except (AttributeError, KeyError):
        return item
    alias = getattr(parameter.kwarg_definition, "query", None)
    return {**item, "key": alias} if alias else item


# msgspec's English messages, mapped to a code and a translatable message with its parameters.
_FIELD_PATTERNS: list[tuple[re.Pattern[str], str, str]] = [
    (re.compile(r"Object missing required field `(?P<name>[^`]+)`"), "required", N_("This field is required.")),
    (re.compile(r"Object contains unknown field `(?P<name>[^`]+)`"), "unknown_field", N_("Unknown field.")),
    (re.compile(r"Expected `str` of length <= (?P<limit>\d+)"), "too_long", N_("At most {limit} characters.")),
    (re.compile(r"Expected `str` of length >= (?P<limit>\d+)"), "too_short", N_("At least {limit} characters.")),
    (re.compile(r"Expected `(?:int|float)` >= (?P<limit>[-\d.]+)"), "too_small", N_("Must be at least {limit}.")),
    (re.compile(r"Expected `(?:int|float)` <= (?P<limit>[-\d.]+)"), "too_large", N_("Must be at most {limit}.")),
    (
        re.compile(r"Invalid RFC3339 encoded datetime"),
        "invalid_date",
        N_("Not a time. Write a time as 2026-12-05T19:30:00."),
    ),
    (re.compile(r"Invalid RFC3339 encoded date\b"), "invalid_date", N_("Not a day. Write a day as 2026-12-05.")),
    (re.compile(r"Invalid enum value"), "invalid_choice", N_("This is not one of the allowed values.")),
    (
        re.compile(r"Expected `str` matching regex '(?P<regex>.*)'"),
        "invalid_form",
        N_("This is not in the expected form."),
    ),
    (re.compile(r"Expected `(?P<expected>[\w |]+)`, got `\w+`"), "wrong_type", N_("Wrong type: expected {expected}.")),
]

# What a text that does not match its pattern should have looked like, by the pattern's shape:
# people are told the form, not a regular expression.
_PATTERN_SHAPES: list[tuple[re.Pattern[str], str, str]] = [
    (re.compile(r"-\(0\[1-9\]\|1\[0-2\]\)\$$"), "invalid_month", N_("Not a month. Write a month as 2026-09.")),
    (re.compile(r":\[0-5\]\\d\$$"), "invalid_clock_time", N_("Not a time of day. Write it as 09:00.")),
    (re.compile(r"^\^\(1\[3-9\]|\[0-9\+"), "invalid_phone", N_("Not a phone number.")),
    (re.compile(r"^\^\\S\(\.\*\\S\)\?\$$"), "untrimmed", N_("No spaces at the start or the end.")),
]

# msgspec's type names, as people say them.
_TYPE_NAMES: Mapping[str, str] = {
    "str": N_("text"),
    "int": N_("a whole number"),
    "float": N_("a number"),
    "bool": N_("true or false"),
    "object": N_("an object"),
    "array": N_("a list"),
    "null": N_("null"),
}


def field_problem(error: msgspec.ValidationError) -> PendingFieldProblem:
    """What a form says about input its schema refused: the API's field problem, for the pages."""
    return _field_problem({"message": str(error)})


def explain(message: str, params: Mapping[str, Any] | None = None) -> str:
    """A message marked ``N_()`` in the current language, its parameters filled in as the API does."""
    shown = {k: format_datetime(v) if isinstance(v, datetime) else v for k, v in (params or {}).items()}
    try:
        return _(message).format(**shown)
    except (KeyError, IndexError, ValueError):
        return _(message)


def _field_problem(item: Mapping[str, Any]) -> PendingFieldProblem:
    raw = str(item.get("message", ""))
    key = str(item.get("key") or "")
    for pattern, code, message in _FIELD_PATTERNS:
        match = pattern.search(raw)
        if match:
            values = match.groupdict()
            field = _field_path(raw, key, values.pop("name", None))
            if "regex" in values:
                regex = values.pop("regex").replace("\\\\", "\\")
                for shape, shape_code, shape_message in _PATTERN_SHAPES:
                    if shape.search(regex):
                        return PendingFieldProblem(field=field, message=shape_message, code=shape_code)
                return PendingFieldProblem(field=field, message=message, code=code)
            if "expected" in values:
                expected = _TYPE_NAMES.get(values["expected"].split(" | ")[0])
                if expected is None:
                    return PendingFieldProblem(field=field, message=N_("Wrong type."), code=code)
                values["expected"] = expected
            return PendingFieldProblem(field=field, message=message, code=code, params=values)
    return PendingFieldProblem(
        field=_field_path(raw, key, None), message=N_("This value is not valid."), code="invalid"
    )


def _field_path(raw: str, key: str, missing_name: str | None) -> str:
    """``$.party.size`` from msgspec's message, or the parameter name Litestar gives."""
    match = re.search(r"at `\$\.?(?P<path>[^`]*)`", raw)
    path = match.group("path") if match else ""
    if missing_name:
        path = f"{path}.{missing_name}" if path else missing_name
    return path or key


def nesting_error_handler(request: Request[Any, Any, Any], exc: RecursionError) -> Response[Problem]:
    """JSON nested thousands deep exhausts the decoder's recursion: bad input, not our fault."""
    return problem_response(
        request, status=400, code="malformed_body", message=N_("The request body is nested too deeply.")
    )
