"""The console's HTTP edge: who may come in, the CSRF check on every change, how a page is drawn
and how a refusal reads.

A console page is the API's operation in HTML: the handler calls the same service, and a
``DomainError`` it raises reads here as it does in the API (same code, same message, same
language). Forms are sent with htmx: a refusal is drawn into the form's ``#problems`` region,
the values typed stay; without JavaScript the same form posts normally and the refusal is a
page of its own.

CSRF: every unsafe request (POST, PUT, PATCH, DELETE) carries a token, in the ``X-CSRF-Token``
header (htmx sends it from the body's ``hx-headers``) or the ``_csrf`` field of the form. Signed
in, the token is an HMAC of the session id under the signing key, so it dies with the session;
before signing in (the login form), it repeats a random cookie (double submit). A request whose
``Origin`` names another site is refused whatever it carries.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlsplit

import msgspec
import structlog
from litestar import Request, Response
from litestar.connection import ASGIConnection
from litestar.exceptions import HTTPException, NotFoundException, ValidationException
from litestar.handlers import BaseRouteHandler
from litestar.response import Redirect, Template

from backend.accounts.api import Permission, held_permissions
from backend.core import runtime
from backend.core.auth import SESSION_COOKIE, SESSION_COOKIE_PATH
from backend.core.context import Principal
from backend.core.errors import DomainError, PendingFieldProblem, explain, field_problem, unavailable_error
from backend.core.i18n import N_, _, as_city_time
from backend.governance.api import may_see_incidents, may_see_meetings, may_see_surveys

log = structlog.get_logger("linli.console")

CSRF_COOKIE = "linli_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "_csrf"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# A handler with opt={"before_password_change": True} is open to someone who must still choose
# their own password (the password page, logout).
BEFORE_PASSWORD_CHANGE = "before_password_change"


class NeedsLogin(Exception):
    """No staff session (or it ended): to the login page, saying why."""

    def __init__(self, reason: str | None = None) -> None:
        super().__init__(reason or "")
        self.reason = reason


class NeedsNewPassword(Exception):
    """Signed in on a password someone else chose: to the password page first."""


def staff(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    principal = connection.scope.get("user")
    if not isinstance(principal, Principal) or principal.kind != "staff":
        raise NeedsLogin(connection.scope.get("state", {}).get("session_refused"))
    return principal


async def signed_in(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """The console's guard (a coroutine: Litestar runs a plain function guard in a thread)."""
    check_signed_in(connection, handler)


def check_signed_in(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """A staff session, and (but on a few pages) a password of one's own."""
    principal = staff(connection)
    if principal.must_change_password and not handler.opt.get(BEFORE_PASSWORD_CHANGE):
        raise NeedsNewPassword()


def provide_me(request: Request[Any, Any, Any]) -> Principal:
    return staff(request)


# --- CSRF ---------------------------------------------------------------------------------------------


def csrf_token(request: Request[Any, Any, Any]) -> str:
    principal = request.scope.get("user")
    if isinstance(principal, Principal) and principal.session_id is not None:
        key = runtime.current().settings.secret_key.encode()
        return hmac.new(key, b"console-csrf:" + principal.session_id.bytes, hashlib.sha256).hexdigest()
    return request.cookies.get(CSRF_COOKIE, "")


def new_csrf_cookie(response: Response[Any], request: Request[Any, Any, Any]) -> str:
    """Before signing in: the random value the login form repeats, set once per browser."""
    value = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(32)
    response.set_cookie(
        CSRF_COOKIE,
        value,
        path=SESSION_COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=runtime.current().settings.is_production,
    )
    return value


def csrf_refused() -> DomainError:
    return DomainError(
        "csrf_failed", N_("This form has expired or came from another site. Reload the page and try again."), status=403
    )


async def check_csrf(request: Request[Any, Any, Any]) -> None:
    """``before_request`` of every console route: refuse an unsafe request without our token."""
    if request.method not in UNSAFE:
        return
    origin = request.headers.get("origin")
    if origin and urlsplit(origin).netloc != request.headers.get("host", ""):
        raise csrf_refused()
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    expected = csrf_token(request)
    if not expected or not sent or not hmac.compare_digest(sent, expected):
        raise csrf_refused()


# --- sessions in cookies ----------------------------------------------------------------------------


def keep_session(response: Response[Any], token: str, max_age: int) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        path=SESSION_COOKIE_PATH,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=runtime.current().settings.is_production,
    )


def forget_session(response: Response[Any]) -> None:
    response.delete_cookie(SESSION_COOKIE, path=SESSION_COOKIE_PATH)


# --- pages ----------------------------------------------------------------------------------------------


def is_htmx(request: Request[Any, Any, Any]) -> bool:
    return request.headers.get("hx-request") == "true"


def go(request: Request[Any, Any, Any], url: str) -> Response[Any]:
    """After a change: to ``url``, as a whole page (htmx follows ``HX-Redirect``)."""
    if is_htmx(request):
        return Response(b"", status_code=200, headers={"HX-Redirect": url})
    return Redirect(url, status_code=303)


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a console path of ours, never another site."""
    if value and (value == SESSION_COOKIE_PATH or value.startswith(SESSION_COOKIE_PATH + "/")) and "\\" not in value:
        return value
    return SESSION_COOKIE_PATH


# The rooms, in the sidebar's order: (path, label, the permission that opens it; None: everyone;
# or, for a room a permission alone does not open, the async test its own guard asks).
RoomDoor = Permission | Callable[[uuid.UUID], Awaitable[bool]] | None
ROOMS: tuple[tuple[str, str, RoomDoor], ...] = (
    ("/console", N_("Overview"), None),
    ("/console/events", N_("Events"), Permission.manage_events),
    ("/console/libraries", N_("Libraries"), Permission.manage_libraries),
    ("/console/volunteers", N_("Volunteers"), Permission.coordinate_volunteers),
    ("/console/organisations", N_("Organisations"), Permission.manage_organisations),
    ("/console/staff", N_("Staff"), Permission.manage_organisations),
    ("/console/audit", N_("Audit log"), Permission.read_audit),
    ("/console/reports", N_("Reports"), may_see_incidents),
    ("/console/meetings", N_("Meetings"), may_see_meetings),
    ("/console/surveys", N_("Surveys"), may_see_surveys),
    ("/console/counter", N_("Points counter"), Permission.manage_rewards),
    ("/console/statistics", N_("Statistics"), Permission.view_statistics),
)


async def page(request: Request[Any, Any, Any], template: str, *, status: int = 200, **context: Any) -> Template:
    """A console page: the template with who is asking, their rooms and the CSRF token."""
    principal = request.scope.get("user")
    rooms: list[dict[str, Any]] = []
    if isinstance(principal, Principal) and principal.kind == "staff" and not principal.must_change_password:
        held = await held_permissions(principal.id)
        path = request.url.path.rstrip("/")
        for href, label, permission in ROOMS:
            if isinstance(permission, Permission):
                opens = permission in held
            else:
                opens = permission is None or await permission(principal.id)
            if opens:
                current = path == href if href == SESSION_COOKIE_PATH else path.startswith(href)
                rooms.append({"href": href, "label": _(label), "current": current})
    return Template(
        template_name=template,
        context={
            "me": principal if isinstance(principal, Principal) else None,
            "rooms": rooms,
            "csrf": csrf_token(request),
            "path": request.url.path,
            "said": SAID.get(request.query_params.get("said", "")),
            **context,
        },
        status_code=status,
    )


# What a page may say after a change that sent the person to it (``?said=<key>``): only these.
SAID: Mapping[str, str] = {
    "password_changed": N_("Your password has been changed. Your other sessions have ended."),
    "language_changed": N_("The console now speaks your chosen language."),
    "logged_out": N_("You have logged out."),
    "session_ended": N_("Your session has ended. Please log in again."),
    # the organisers' room
    "event_created": N_("The event has been created as a draft. Residents see it once you publish it."),
    "event_saved": N_("Your changes have been saved."),
    "event_published": N_("The event is published."),
    "event_cancelled": N_("The event is cancelled. Everyone who signed up will be told."),
    "event_completed": N_("The event is marked as completed."),
    "poster_saved": N_("The poster has been saved."),
    "poster_removed": N_("The poster has been removed."),
    # the convenors' room
    "meeting_convened": N_("The meeting is convened as a draft. Announce it when the agenda is ready."),
    "meeting_announced": N_("The meeting is announced. Residents may now send their opinions."),
    "minutes_published": N_("The minutes are published on the community's board."),
    "action_updated": N_("The update is saved."),
    # the surveys room
    "survey_started": N_("The survey is started. Its audience is told when it opens."),
    "poll_started": N_("The owners' poll is started. Each household of the estate may answer once."),
    "evaluation_started": N_("The evaluation is started. Each household of the estate may answer once."),
    "response_written": N_("The response is saved beside the scores."),
}


# --- forms -------------------------------------------------------------------------------------------


def form_values(form: Mapping[str, Any], *, lists: frozenset[str] = frozenset()) -> dict[str, Any]:
    """A submitted form as the API's JSON would be: empty fields absent, ``lists`` as lists,
    ``title.en`` as ``{"title": {"en": ...}}`` (the multilingual fields; all their boxes emptied is
    ``{"title": {}}``, so a change clears the text rather than keeping it), and a field sent twice
    that should not be a list refused by the schema like any wrong type."""
    values: dict[str, Any] = {}
    for key, raw in form.items():
        if key == CSRF_FIELD:
            continue
        given = [v for v in (raw if isinstance(raw, list) else [raw]) if not (isinstance(v, str) and v.strip() == "")]
        head, dot, locale = key.partition(".")
        if dot and isinstance(values.setdefault(head, {}), dict) and not given:
            continue  # every box of a multilingual field emptied: the field is sent, empty (cleared)
        if key in lists:
            value: Any = given
        elif given:
            value = given[0] if len(given) == 1 else given
        else:
            continue
        if dot:
            nested = values.setdefault(head, {})
            if isinstance(nested, dict):
                nested[locale] = value
        else:
            values[key] = value
    return values


def parse_form(values: Mapping[str, Any], schema: type[Any]) -> Any:
    """The form through the API's own request schema; a refusal names the field as the API does."""
    try:
        return msgspec.convert(values, schema, strict=False)
    except msgspec.ValidationError as error:
        raise FormRefused([field_problem(error)]) from error


# How a refused field is named to the person: the forms' labels, by the API's field path (a path
# not here is shown as it is, and each form's own fields are named beside their inputs anyway).
FIELD_LABELS: dict[str, str] = {
    "username": N_("Username"),
    "password": N_("Password"),
    "current_password": N_("Current password"),
    "new_password": N_("New password"),
    "locale": N_("Language"),
    "display_name": N_("Name"),
    # the organisers' room: an event's fields and the inline venue's
    "organisation_id": N_("Organisation"),
    "venue_id": N_("Venue"),
    "category": N_("Category"),
    "title": N_("Title"),
    "summary": N_("Summary"),
    "description": N_("Description"),
    "starts_at": N_("Starts"),
    "ends_at": N_("Ends"),
    "capacity": N_("Capacity"),
    "max_party_size": N_("Largest party"),
    "registration_opens_at": N_("Registration opens"),
    "registration_closes_at": N_("Registration closes"),
    "audiences": N_("Audiences"),
    "languages": N_("Languages spoken"),
    "accessibility": N_("Accessibility"),
    "price_note": N_("Price note"),
    "contact_name": N_("Contact name"),
    "contact_phone": N_("Contact phone"),
    "new_venue_name": N_("Venue name"),
    "new_venue_address": N_("Address"),
    "new_venue_latitude": N_("Latitude"),
    "new_venue_longitude": N_("Longitude"),
    "new_venue_organisation_id": N_("Organisation"),
    # the reports room: a move's note and where it is forwarded
    "note": N_("Note"),
    "target": N_("Forward to"),
    "community_id": N_("Community"),
    # the points counter
    "code": N_("Pickup code"),
    # the counter's supermarket: a reward's fields, and each point rule's row (<kind>.<field>)
    "name": N_("Reward name"),
    "points_cost": N_("Points it costs"),
    "stock": N_("Stock"),
    "stock_change": N_("Change stock by"),
    "per_resident_limit": N_("Most per resident"),
    "active_from": N_("On offer from"),
    "active_until": N_("On offer until"),
    "file": N_("Choose an image"),
    # the convenors' room: a meeting's fields, and its repeated rows (<name>_r<row>[_r<row>][_<part>])
    "kind": N_("Kind of meeting"),
    "question": N_("Question to settle"),
    "agenda": N_("Agenda"),
    "agenda_*": N_("Agenda item"),
    "parties": N_("Parties that must attend"),
    "minutes": N_("Meeting minutes"),
    "decisions": N_("Decisions"),
    "d_*": N_("Decision"),
    "d_*_item": N_("Agenda item"),
    "a_*_*": N_("Action"),
    "a_*_*_owner": N_("Who acts"),
    "a_*_*_due": N_("Due by"),
    "reason": N_("Reason"),
    # the surveys room: a survey's fields and its question rows (q_<row>[_kind|_options])
    "audience": N_("Who may answer"),
    "audience_id": N_("Who may answer"),
    "opens_at": N_("Opens at"),
    "closes_at": N_("Closes at"),
    "per_household": N_("One answer per"),
    "questions": N_("Questions"),
    "q_*": N_("Question"),
    "q_*_kind": N_("Kind of question"),
    "q_*_options": N_("Options, one per line"),
    "estate_id": N_("Estate"),
    "major": N_("Kind of matter"),
    "subject": N_("Evaluated body"),
    "year": N_("Year"),
    "text": N_("Response"),
    # the statistics room's month range
    "from": N_("From"),
    "to": N_("To"),
    **{
        f"{kind}.{name}": label
        for kind in (
            "attendance",
            "first_event",
            "first_event_after_arrival",
            "volunteer_hour",
            "youth_bonus",
            "brought_neighbour",
            "meeting_opinion",
            "survey_answer",
        )
        for name, label in (
            ("points", N_("Points")),
            ("daily_cap", N_("Most per day")),
            ("per_activity_cap", N_("Most per event")),
        )
    },
    "recurrence": N_("Repeats"),
    "recurrence.freq": N_("How often"),
    "recurrence.interval": N_("Every how many"),
    "recurrence.weekdays": N_("On these days (every week)"),
    "recurrence.monthday": N_("Day of the month (every month)"),
    "recurrence.until": N_("Until"),
    "recurrence.count": N_("Or this many times"),
    # The library room (its forms name every interval row: weekly_hours.<weekday>[<row>].opens).
    "name[...]": N_("Name shown to residents"),
    "address[...]": N_("Street address"),
    "note[...]": N_("Reason"),
    "services": N_("Services"),
    "e_reading_seats": N_("E-reading seats"),
    "seats": N_("Seats"),
    "free_seats": N_("Free seats"),
    "day": N_("Date"),
    # the coordinators' room: a shift's fields and a decision's note
    "team_id": N_("Team"),
    "route_id": N_("Patrol route"),
    "min_attendance_percent": N_("Attendance rule (%)"),
    "check_in_radius_m": N_("Check-in radius (metres)"),
    "latitude": N_("Latitude"),
    "longitude": N_("Longitude"),
    "entry_ids": N_("Entries"),
    "holiday_rules.public_holiday": N_("On public holidays"),
    "holiday_rules.makeup_workday": N_("On make-up working days"),
    **{f"intervals[{row}].opens": N_("Opens") for row in range(6)},
    **{f"intervals[{row}].closes": N_("Closes") for row in range(6)},
    **{
        f"weekly_hours.{day}[{row}].{end}": label
        for day, labels in enumerate(
            (
                (N_("Monday: opens"), N_("Monday: closes")),
                (N_("Tuesday: opens"), N_("Tuesday: closes")),
                (N_("Wednesday: opens"), N_("Wednesday: closes")),
                (N_("Thursday: opens"), N_("Thursday: closes")),
                (N_("Friday: opens"), N_("Friday: closes")),
                (N_("Saturday: opens"), N_("Saturday: closes")),
                (N_("Sunday: opens"), N_("Sunday: closes")),
            )
        )
        for end, label in zip(("opens", "closes"), labels, strict=True)
        for row in range(6)
    },
}


class FormRefused(DomainError):
    """Input the schema refused, with the fields it names (a 422, as in the API)."""

    def __init__(self, problems: list[PendingFieldProblem]) -> None:
        super().__init__("validation_failed", N_("Some fields are not valid."), status=422)
        self.problems = problems


def city_time(raw: Any) -> Any:
    """A time typed in a form (``datetime-local``: Suzhou time) as the API's JSON writes it; left as
    typed when it is not a time, so that the schema refuses it, naming the field."""
    if isinstance(raw, str):
        with suppress(ValueError):
            return as_city_time(datetime.fromisoformat(raw)).isoformat()
    return raw


def row_token() -> str:
    """A repeated row's name in a form (``agenda_r1a2b3c``): new rows come from htmx, and removed
    ones leave gaps, so rows are named, not numbered."""
    return "r" + secrets.token_hex(3)


def input_of(path: str, names: Mapping[str, str]) -> str:
    """The form input a schema path is about: the longest known prefix of it, else the path."""
    for prefix in sorted(names, key=len, reverse=True):
        if path == prefix or path.startswith((prefix + ".", prefix + "[")):
            return names[prefix]
    return path


@contextmanager
def fields_marked(names: Mapping[str, str], field_of: Callable[[DomainError], str | None]) -> Iterator[None]:
    """A refusal drawn beside the input it is about: a schema path (``decisions[0].text``) named as
    the form's row input (``names``), a service's rule as the input ``field_of`` says it is about."""
    try:
        yield
    except FormRefused as refused:
        refused.problems = [
            PendingFieldProblem(input_of(p.field, names), p.message, p.code, p.params) for p in refused.problems
        ]
        raise
    except DomainError as error:
        if getattr(error, "problems", None):
            raise
        field = field_of(error)
        if field is not None:
            error.problems = [PendingFieldProblem(field, error.message, error.code, error.params)]  # type: ignore[attr-defined]
        raise


# --- refusals ----------------------------------------------------------------------------------------


def _to_login(request: Request[Any, Any, Any], reason: str | None) -> Response[Any]:
    said = "&said=session_ended" if reason else ""
    target = request.url.path + (("?" + request.url.query) if request.url.query else "")
    url = f"{SESSION_COOKIE_PATH}/login?next={quote(target, safe='/')}{said}"
    response = go(request, url)
    if reason:
        forget_session(response)
    return response


def needs_login_handler(request: Request[Any, Any, Any], exc: NeedsLogin) -> Response[Any]:
    return _to_login(request, exc.reason)


def needs_new_password_handler(request: Request[Any, Any, Any], _exc: NeedsNewPassword) -> Response[Any]:
    return go(request, f"{SESSION_COOKIE_PATH}/password")


def _problem(
    request: Request[Any, Any, Any], *, status: int, message: str, fields: list[dict[str, str]]
) -> Response[Any]:
    """The refusal where the person is: into the form's ``#problems`` (htmx), or a page."""
    if is_htmx(request):
        return Template(
            template_name="console/_problem.html",
            context={"message": message, "fields": fields},
            status_code=status,
            headers={"HX-Retarget": "#problems", "HX-Reswap": "innerHTML"},
        )
    return Template(
        template_name="console/problem.html",
        context={
            "me": request.scope.get("user"),
            "rooms": [],
            "csrf": "",
            "path": request.url.path,
            "said": None,
            "status": status,
            "message": message,
            "fields": fields,
        },
        status_code=status,
    )


def field_label(field: str) -> str:
    """A refused field's label; a repeated row's input (``agenda_r1a2b3c``) is labelled as its kind."""
    key = field if field in FIELD_LABELS else _ROW_TOKEN.sub("_*", field)
    return _(FIELD_LABELS[key]) if key in FIELD_LABELS else field


_ROW_TOKEN = re.compile(r"_r[0-9a-f]{6}")


def domain_error_handler(request: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    if exc.status == 401 and request.url.path != f"{SESSION_COOKIE_PATH}/login":
        return _to_login(request, exc.code)
    fields = [
        {
            "field": problem.field,
            "label": field_label(problem.field),
            "message": explain(
                problem.message, {k: _(v) if isinstance(v, str) else v for k, v in problem.params.items()}
            ),
        }
        for problem in getattr(exc, "problems", [])
    ]
    response = _problem(request, status=exc.status, message=explain(exc.message, exc.params), fields=fields)
    response.headers.update(exc.headers)
    return response


def http_error_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    # A path parameter that is not one of ours (a malformed id) is a page that does not exist.
    if isinstance(exc, (NotFoundException, ValidationException)):
        return _problem(request, status=404, message=_("Not found."), fields=[])
    status = exc.status_code
    if status == 413:
        return _problem(request, status=413, message=_("The request is too large."), fields=[])
    if status == 429:
        return _problem(request, status=429, message=_("Too many requests. Please try again later."), fields=[])
    if status == 405:
        return _problem(request, status=405, message=_("This method is not allowed here."), fields=[])
    return _problem(request, status=400, message=_("The request could not be understood."), fields=[])


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    if unavailable_error(exc):
        log.warning("dependency_unavailable", path=request.url.path, error_type=type(exc).__name__)
        response = _problem(request, status=503, message=_("The service is temporarily unavailable."), fields=[])
        response.headers["Retry-After"] = "5"
        return response
    log.exception("unhandled_error", path=request.url.path, error_type=type(exc).__name__)
    return _problem(
        request, status=500, message=_("Something went wrong on our side. Please try again later."), fields=[]
    )


EXCEPTION_HANDLERS: Mapping[Any, Any] = {
    NeedsLogin: needs_login_handler,
    NeedsNewPassword: needs_new_password_handler,
    DomainError: domain_error_handler,
    HTTPException: http_error_handler,
    Exception: internal_error_handler,
}
