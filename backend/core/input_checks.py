"""What every request's input must be before a handler parses it, beyond what the typed schemas say.

Runs as the app's ``before_request`` hook, after guards, before the body is decoded:

- A JSON body says it is JSON (415), is UTF-8 (400), and names each field once (422): a body
  with a duplicate key is read one way by one parser and the other way by the next, so it is
  refused rather than guessed.
- No text anywhere (body, query, path) holds NUL: PostgreSQL cannot store it and SQLite can, and
  both databases must answer alike.
- A date or time in a field typed as one falls within ``MIN_YEAR``–``MAX_YEAR``, whether it comes
  as text (``2026-05-01T10:00``) or as a number of seconds since 1970 (which the schemas accept
  for a time): beyond that, 0001-01-01T00:00+14:00 or 9999-12-31T23:59-12:00 overflow as soon as
  they are turned into UTC or city time, deep inside whichever service got them.
- Such a date is one the calendar has: 2026-02-30 is refused as ``impossible_date``, saying so and
  how the field is written, where the decoder would only find the text "not valid".
"""

from __future__ import annotations

import json
import re
import weakref
from collections.abc import Iterator
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

import msgspec.inspect as mi
from litestar import Request, Response
from litestar.enums import RequestEncodingType

from backend.core.errors import NotFound, PendingFieldProblem, Problem, problem_response
from backend.core.i18n import N_

MIN_YEAR, MAX_YEAR = 1900, 2199
# The same range as seconds since 1970 (UTC), for times sent as numbers.
_MIN_EPOCH = (datetime(MIN_YEAR, 1, 1, tzinfo=UTC) - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds()
_MAX_EPOCH = (datetime(MAX_YEAR + 1, 1, 1, tzinfo=UTC) - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds()
_YEAR = re.compile(r"^\s*([+-]?\d+)-")
_NUMBER = re.compile(r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$")
_DAY = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})(?=$|[T ])", re.ASCII)
# What the calendar lacks, and how the field is written: a day, or a time.
IMPOSSIBLE = {
    "day": N_("{value} is not a date in the calendar. Write a day as 2026-12-05."),
    "time": N_("{value} is not a date in the calendar. Write a time as 2026-12-05T19:30:00."),
}
_JSON_TYPE = re.compile(r"^application/(?:[\w.+-]+\+)?json$")
_NUL = "\x00"
_VALIDATION = N_("Some fields are not valid.")

FieldPath = str
Kind = str  # "day" or "time": how a dated field is written
Found = tuple[FieldPath, str, str, dict[str, Any]]  # field, message, code, params


async def check_request_input(request: Request[Any, Any, Any]) -> Response[Problem] | None:
    """None when the input may go on to the handler; otherwise the problem to answer with."""
    for value in request.path_params.values():
        if isinstance(value, str) and _NUL in value:
            raise NotFound()
    found = list(_query_and_path_problems(request))
    handler = request.route_handler
    expected = _body_type(handler)
    if not found and expected == RequestEncodingType.JSON:
        body = await request.body()
        if body:
            refused = _json_refusal(request, body)
            if refused is not None:
                return refused
            data_field = handler.parsed_data_field
            found = list(_body_problems(body, data_field.annotation)) if data_field is not None else []
    elif not found and expected == RequestEncodingType.MULTI_PART and _content_type(request) not in ("", expected):
        return _unsupported(request)
    if not found:
        return None
    return problem_response(
        request,
        status=422,
        code="validation_failed",
        message=_VALIDATION,
        pending_errors=[
            PendingFieldProblem(field, message, code, params) for field, message, code, params in found[:20]
        ],
    )


def _body_type(handler: Any) -> str | None:
    """The encoding the handler's body is declared in (JSON unless it says otherwise); None without one."""
    field = handler.parsed_data_field
    if field is None:
        return None
    return getattr(field.kwarg_definition, "media_type", None) or RequestEncodingType.JSON


def _content_type(request: Request[Any, Any, Any]) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def _unsupported(request: Request[Any, Any, Any]) -> Response[Problem]:
    return problem_response(
        request, status=415, code="unsupported_media_type", message=N_("This content type is not supported.")
    )


def _json_refusal(request: Request[Any, Any, Any], body: bytes) -> Response[Problem] | None:
    if not _JSON_TYPE.match(_content_type(request)):
        return _unsupported(request)
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return problem_response(
            request, status=400, code="malformed_body", message=N_("The request body is not valid JSON.")
        )
    return None


# --- the body ------------------------------------------------------------------------------------


class _Duplicate(Exception):
    def __init__(self, key: str) -> None:
        self.key = key


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise _Duplicate(key)
        seen[key] = value
    return seen


def _body_problems(body: bytes, annotation: Any) -> Iterator[Found]:
    try:
        document = json.loads(body, object_pairs_hook=_pairs)
    except _Duplicate as duplicate:
        yield duplicate.key, N_("This field appears more than once."), "duplicate_field", {}
        return
    except (ValueError, RecursionError):
        return  # not JSON at all: the decoder that follows says so in its own words
    for path, text in _strings(document):
        if _NUL in text:
            yield path, N_("Text cannot contain the NUL character."), "nul_character", {}
    info = _type_info(annotation)
    if info is not None:
        for path, text, kind in _dates(document, info, ""):
            yield from _date_problems(path, text, kind)


def _strings(document: Any) -> Iterator[tuple[FieldPath, str]]:
    """Every key and string value with its path (``rules[0].kind``), without recursion."""
    stack: list[tuple[FieldPath, Any]] = [("", document)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            yield path, value
        elif isinstance(value, dict):
            for key, item in value.items():
                inner = f"{path}.{key}" if path else key
                yield inner, key
                stack.append((inner, item))
        elif isinstance(value, list):
            stack.extend((f"{path}[{index}]", item) for index, item in enumerate(value))


@cache
def _type_info_cached(annotation: Any) -> mi.Type | None:
    try:
        return mi.type_info(annotation)
    except (TypeError, ValueError):
        return None


def _type_info(annotation: Any) -> mi.Type | None:
    try:
        return _type_info_cached(annotation)
    except TypeError:  # not hashable
        return None


def _dates(value: Any, info: mi.Type, path: FieldPath) -> Iterator[tuple[FieldPath, str, Kind]]:
    """The strings in ``value`` that its schema types as a date or a date-time, with which."""
    if isinstance(info, mi.Metadata):
        info = info.type
    if isinstance(info, (mi.DateTimeType, mi.DateType)):
        kind = _kind(info)
        if isinstance(value, str):
            yield path, value, kind
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            yield path, repr(value), kind  # seconds since 1970, as the schemas accept a time
    elif isinstance(info, mi.UnionType):
        for member in info.types:
            if isinstance(member, (mi.DateTimeType, mi.DateType, mi.Metadata)) or isinstance(value, (dict, list)):
                yield from _dates(value, member, path)
    elif isinstance(info, mi.StructType) and isinstance(value, dict):
        fields = {f.encode_name: f.type for f in info.fields}
        for key, item in value.items():
            if key in fields:
                yield from _dates(item, fields[key], f"{path}.{key}" if path else key)
    elif isinstance(info, (mi.ListType, mi.SetType, mi.FrozenSetType, mi.VarTupleType)) and isinstance(value, list):
        for index, item in enumerate(value):
            yield from _dates(item, info.item_type, f"{path}[{index}]")
    elif isinstance(info, (mi.DictType, mi.FrozenDictType)) and isinstance(value, dict):
        for key, item in value.items():
            yield from _dates(item, info.value_type, f"{path}.{key}" if path else key)


def _kind(info: mi.Type) -> Kind:
    return "day" if isinstance(info, mi.DateType) else "time"


def _date_problems(path: FieldPath, text: str, kind: Kind) -> Iterator[Found]:
    """A year out of range, else a day the calendar does not have."""
    outside = list(_out_of_range(path, text))
    if outside:
        yield from outside
        return
    day = _DAY.match(text)
    if day is None:
        return  # unreadable, or seconds: the decoder says what it expected
    try:
        date(int(day.group(1)), int(day.group(2)), int(day.group(3)))
    except ValueError:
        yield path, IMPOSSIBLE[kind], "impossible_date", {"value": day.group(0).strip()}


def _out_of_range(path: FieldPath, text: str) -> Iterator[Found]:
    if _NUMBER.match(text):
        outside = not _MIN_EPOCH <= float(text) < _MAX_EPOCH
    else:
        match = _YEAR.match(text)
        outside = match is not None and not MIN_YEAR <= int(match.group(1)) <= MAX_YEAR
    if outside:
        yield (
            path,
            N_("Dates must fall between the years {min_year} and {max_year}."),
            "date_out_of_range",
            {
                "min_year": MIN_YEAR,
                "max_year": MAX_YEAR,
            },
        )


# --- the query and the path ------------------------------------------------------------------------


def _query_and_path_problems(request: Request[Any, Any, Any]) -> Iterator[Found]:
    dated = _dated_parameters(request.route_handler)
    for name, value in request.path_params.items():
        if isinstance(value, date):
            yield from _out_of_range(name, value.isoformat())
        elif isinstance(value, str) and (kind := dict(dated).get(name)) is not None:
            # A day in the address is taken as text (``{day:str}``), so that one the calendar lacks
            # is a 422 naming it, not Litestar's 404 for a path that did not parse.
            yield from _date_problems(name, value, kind)
    query = request.query_params
    for name, values in query.dict().items():
        if any(_NUL in value for value in values):
            yield name, N_("Text cannot contain the NUL character."), "nul_character", {}
    if not query:
        return
    for alias, kind in dated:
        for value in query.getall(alias, ()):
            yield from _date_problems(alias, value, kind)


_dated_names: weakref.WeakKeyDictionary[Any, tuple[tuple[str, Kind], ...]] = weakref.WeakKeyDictionary()


def _dated_parameters(handler: Any) -> tuple[tuple[str, Kind], ...]:
    """The query and path parameters a handler types as dates, worked out once per handler: this runs on
    every request, the cached public reads included. (Litestar's own OPTIONS handlers cannot be
    weakly referenced; they take no dated parameter.)"""
    try:
        names = _dated_names.get(handler)
    except TypeError:
        return ()
    if names is None:
        names = tuple(
            (getattr(field.kwarg_definition, "query", None) or name, kind)
            for name, field in handler.parsed_fn_signature.parameters.items()
            if (kind := _dated_kind(_type_info(field.annotation))) is not None
        )
        _dated_names[handler] = names
    return names


def _dated_kind(info: mi.Type | None) -> Kind | None:
    """ "day" or "time" for a parameter typed as a date or a date-time (or a list of them)."""
    if isinstance(info, mi.Metadata):
        info = info.type
    if isinstance(info, mi.UnionType):
        return next((kind for member in info.types if (kind := _dated_kind(member)) is not None), None)
    if isinstance(info, (mi.ListType, mi.SetType, mi.FrozenSetType, mi.VarTupleType)):
        return _dated_kind(info.item_type)
    return _kind(info) if isinstance(info, (mi.DateTimeType, mi.DateType)) else None
