"""The words of notices, in the current locale: read from a notice's stored parameters.

Both the inbox (in the reader's language, at read time) and subscribe messages (in the
recipient's language, at send time) take their wording from here, under ``use_locale``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from babel.lists import format_list
from babel.numbers import format_decimal

from backend.core.i18n import N_, _, babel_locale, pick

# Fields of an event whose change residents are told about.
FIELD_NAMES: Mapping[str, str] = {
    "starts_at": N_("start time"),
    "ends_at": N_("end time"),
    "venue": N_("venue"),
}

Params = Mapping[str, Any]


def text(params: Params, name: str, fallback: str = "") -> str:
    """User content ({locale: text}) in the current locale, else the translated fallback."""
    value, _served = pick(params.get(name) or {})
    return value.strip() or (_(fallback) if fallback else "")


def event_title(params: Params) -> str:
    return text(params, "title", N_("Event"))


def shift_title(params: Params) -> str:
    return text(params, "title", N_("Volunteer shift"))


def moment(params: Params, name: str = "starts_at") -> datetime:
    value = datetime.fromisoformat(str(params[name]))
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def day(params: Params, name: str) -> date:
    return date.fromisoformat(str(params[name]))


def changes(params: Params) -> str:
    """What changed, as a list in the current language: "start time and venue"."""
    names = [_(FIELD_NAMES[field]) for field in params.get("changed", []) if field in FIELD_NAMES]
    return format_list(names, locale=babel_locale()) if names else _("details")


def hours(minutes: int) -> str:
    """Minutes as hours, e.g. 90 → "1.5" (the absolute value: wording says which way)."""
    return format_decimal(abs(minutes) / 60, "0.##", locale=babel_locale())


def is_correction(params: Params) -> bool:
    return params.get("entry_kind") == "correction"
