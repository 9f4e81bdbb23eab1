"""The library room's forms read as the API's request bodies: weekly hours typed as rows of a
table (several intervals a day), a date exception, holiday rules. Each interval goes through the
API's own ``IntervalIn``, so a refusal names the day and row it came from (``weekly_hours.1[0].opens``,
the field's id on the page) in the reader's language."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import msgspec

from backend.core.errors import PendingFieldProblem, field_problem
from backend.libraries.api import BranchUpdate, ExceptionPut, HolidayRulesIn, IntervalIn, Unsaved
from backend.web.console.edge import FormRefused, form_values, parse_form

MAX_INTERVALS = 6  # as the API's schema allows a day
EXCEPTION_ROWS = 3


def _text(form: Mapping[str, Any], key: str) -> str:
    value = form.get(key)
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value or "").strip()


def _intervals(
    form: Mapping[str, Any], prefix: str, field: str, rows: int, problems: list[PendingFieldProblem]
) -> list[IntervalIn]:
    """Rows ``<prefix>-<i>-opens``/``-closes``; a row left empty is no interval."""
    found = []
    for row in range(rows):
        typed = {end: _text(form, f"{prefix}-{row}-{end}") for end in ("opens", "closes")}
        if not any(typed.values()):
            continue
        try:
            found.append(msgspec.convert({k: v for k, v in typed.items() if v}, IntervalIn))
        except msgspec.ValidationError as error:
            problem = field_problem(error)
            problems.append(
                PendingFieldProblem(f"{field}[{row}].{problem.field}", problem.message, problem.code, problem.params)
            )
    return found


class _Rules(msgspec.Struct, forbid_unknown_fields=False):
    holiday_rules: HolidayRulesIn = msgspec.field(default_factory=HolidayRulesIn)


def hours_form(form: Mapping[str, Any]) -> Unsaved:
    """Weekly hours (``hours-<weekday>-<row>-opens``) and holiday rules, as ``PATCH`` takes them."""
    problems: list[PendingFieldProblem] = []
    week = {day: _intervals(form, f"hours-{day}", f"weekly_hours.{day}", MAX_INTERVALS, problems) for day in range(7)}
    if problems:
        raise FormRefused(problems)
    rules: _Rules = parse_form({k: v for k, v in form_values(form).items() if k == "holiday_rules"}, _Rules)
    return Unsaved(weekly_hours={day: spans for day, spans in week.items() if spans}, holiday_rules=rules.holiday_rules)


def hours_update(unsaved: Unsaved) -> BranchUpdate:
    """The hours form as ``PATCH /library-branches/{id}`` takes it (a day left empty is closed)."""
    return BranchUpdate(
        weekly_hours={day: list(spans) for day, spans in (unsaved.weekly_hours or {}).items()},
        holiday_rules=unsaved.holiday_rules or HolidayRulesIn(),
    )


class _Exception(msgspec.Struct, forbid_unknown_fields=False):
    day: date
    closed: bool = False
    note: dict[str, str] = {}


def exception_form(form: Mapping[str, Any]) -> Unsaved:
    """One date's exception: the day, closed or special hours (``iv-<row>-opens``), the reason."""
    problems: list[PendingFieldProblem] = []
    intervals = _intervals(form, "iv", "intervals", EXCEPTION_ROWS, problems)
    values = {k: v for k, v in form_values(form).items() if k in ("day", "closed", "note")}
    try:
        head: _Exception = parse_form(values, _Exception)
    except FormRefused as refused:
        problems = refused.problems + problems
        raise FormRefused(problems) from refused
    if problems:
        raise FormRefused(problems)
    body: ExceptionPut = parse_form(
        {"closed": head.closed, "intervals": [msgspec.to_builtins(i) for i in intervals], "note": head.note},
        ExceptionPut,
    )
    return Unsaved(day=head.day, exception=body)
