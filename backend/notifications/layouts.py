"""Subscribe-message layouts: which keyword of a WeChat template carries what, per notice kind.

A deployment picks, for each kind, a template of WeChat's public library (公共模板库) with these
keywords (the number in a key is the keyword's position in the template) and sets its id in the
kind's ``LINLI_WECHAT_TEMPLATE_*`` setting; a kind without one reaches the inbox only.

===========================  ===================================================================
kind (setting)               keywords
===========================  ===================================================================
registration_confirmed       thing1 event title · time2 start · thing3 venue · thing4 note
(``_REGISTRATION``)          ("Bring your ticket QR")
registration_promoted        thing1 event title · time2 start · thing3 venue · thing4 note
(``_PROMOTION``)             ("Place confirmed")
event_changed                thing1 event title · time2 start (as it now is) · thing3 venue
(``_EVENT_CHANGED``)         (as it now is) · thing4 what changed ("Changed: start time")
event_cancelled              thing1 event title · time2 start · thing3 venue · thing4 note
(``_EVENT_CANCELLED``)       ("Event cancelled")
event_reminder               thing1 event title · time2 start · thing3 venue · thing4 note
(``_EVENT_REMINDER``)        ("Starts in 2 hours")
shift_reminder               thing1 shift title · time2 start · thing3 team · thing4 note
(``_SHIFT_REMINDER``)        ("Please be on time")
hours_verified               thing1 team · number2 hours · date3 day served · thing4 note
(``_HOURS_VERIFIED``)        ("Added to your hours" / "Hours corrected")
reward_ready                 thing1 reward · character_string2 pickup code · thing3 where
(``_REWARD_READY``)          (the community) · thing4 note ("Show this code")
===========================  ===================================================================

WeChat never translates a template, so values are written in the recipient's language
(``User.locale``, else zh-Hans) and cut to their keyword type's limits: thing ≤ 20 characters,
name ≤ 10, phrase ≤ 5, character_string and number ≤ 32; a cut value ends with "…". Times take
the forms WeChat's time and date keywords accept: ``2026年11月28日 14:00`` in zh-Hans, zh-Hant
and ja; ``2026-11-28 14:00`` (Babel, numeric) in en and ko. A value over its limit would be
refused with 47003: a bug that the tests catch for every kind and language, never something
production should meet.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, datetime

from babel.dates import format_date
from babel.dates import format_datetime as babel_format_datetime

from backend.core.i18n import CITY_TZ, N_, _, babel_locale, use_locale
from backend.notifications import texts
from backend.notifications.tables import NoticeKind

Value = str | datetime | date
Layout = Callable[[texts.Params], list[tuple[str, Value]]]

LIMITS: Mapping[str, int] = {"thing": 20, "name": 10, "phrase": 5, "character_string": 32, "number": 32}
ELLIPSIS = "…"
# Locales that write dates with 年月日, the form WeChat's examples use.
_YMD_LOCALES = frozenset({"zh-Hans", "zh-Hant", "ja"})
_KEY = re.compile(r"^([a-z_]+?)\d+$")
_SPACES = re.compile(r"\s+")


def _event(params: texts.Params, note: str) -> list[tuple[str, Value]]:
    return [
        ("thing1", texts.event_title(params)),
        ("time2", texts.moment(params)),
        ("thing3", texts.text(params, "venue", N_("See the event page"))),
        ("thing4", note),
    ]


def _changed(params: texts.Params) -> list[tuple[str, Value]]:
    return _event(params, _("Changed: {changes}").format(changes=texts.changes(params)))


def _reminder(params: texts.Params) -> list[tuple[str, Value]]:
    return _event(params, _("Starts in {hours} hours").format(hours=params.get("hours", 2)))


def _shift(params: texts.Params) -> list[tuple[str, Value]]:
    return [
        ("thing1", texts.shift_title(params)),
        ("time2", texts.moment(params)),
        ("thing3", texts.text(params, "team", N_("Volunteer team"))),
        ("thing4", _("Please be on time")),
    ]


def _hours(params: texts.Params) -> list[tuple[str, Value]]:
    minutes = int(params.get("minutes", 0))
    note = _("Hours corrected") if texts.is_correction(params) else _("Added to your hours")
    return [
        ("thing1", texts.text(params, "team", N_("Volunteer team"))),
        ("number2", f"{abs(minutes) / 60:.2f}".rstrip("0").rstrip(".")),
        ("date3", texts.day(params, "service_date")),
        ("thing4", note),
    ]


def _reward(params: texts.Params) -> list[tuple[str, Value]]:
    return [
        ("thing1", texts.text(params, "reward", N_("Reward"))),
        ("character_string2", str(params.get("pickup_code", ""))),
        ("thing3", texts.text(params, "community", N_("Your community"))),
        ("thing4", _("Show this code")),
    ]


LAYOUTS: Mapping[NoticeKind, Layout] = {
    NoticeKind.registration_confirmed: lambda p: _event(p, _("Bring your ticket QR")),
    NoticeKind.registration_promoted: lambda p: _event(p, _("Place confirmed")),
    NoticeKind.event_changed: _changed,
    NoticeKind.event_cancelled: lambda p: _event(p, _("Event cancelled")),
    NoticeKind.event_reminder: _reminder,
    NoticeKind.shift_reminder: _shift,
    NoticeKind.hours_verified: _hours,
    NoticeKind.reward_ready: _reward,
}


def message_data(kind: NoticeKind, params: texts.Params, locale: str) -> dict[str, dict[str, str]]:
    """The ``data`` of a subscribe message of ``kind``, in ``locale``, every value within limits."""
    with use_locale(locale):
        return {key: {"value": fit(key, value, locale)} for key, value in LAYOUTS[kind](params)}


def fit(key: str, value: Value, locale: str) -> str:
    """One value as its keyword type takes it: times formatted, text cut to the type's limit."""
    match = _KEY.match(key)
    kind = match.group(1) if match else key
    if isinstance(value, datetime):
        return time_value(value, locale, with_time=kind != "date")
    if isinstance(value, date):
        return date_value(value, locale)
    return cut(value, LIMITS.get(kind, 20))


def cut(value: str, limit: int) -> str:
    """At most ``limit`` characters on one line; a cut value ends with "…". Never empty.
    Emoji and other characters beyond the Basic Multilingual Plane are left out: WeChat may
    count them twice, or refuse them."""
    spaced = _SPACES.sub(" ", value)
    flat = "".join(char for char in spaced if char.isprintable() and ord(char) <= 0xFFFF).strip() or "-"
    if len(flat) <= limit:
        return flat
    return flat[: limit - 1].rstrip() + ELLIPSIS


def time_value(moment: datetime, locale: str, *, with_time: bool = True) -> str:
    """``2026年11月28日 14:00`` (zh, ja) or ``2026-11-28 14:00`` (en, ko), in the city's time."""
    if locale in _YMD_LOCALES:
        local = moment.astimezone(CITY_TZ)
        day = f"{local.year}年{local.month}月{local.day}日"
        return f"{day} {local:%H:%M}" if with_time else day
    pattern = "yyyy-MM-dd HH:mm" if with_time else "yyyy-MM-dd"
    return babel_format_datetime(moment, pattern, tzinfo=CITY_TZ, locale=babel_locale(locale))


def date_value(day: date, locale: str) -> str:
    if locale in _YMD_LOCALES:
        return f"{day.year}年{day.month}月{day.day}日"
    return format_date(day, "yyyy-MM-dd", locale=babel_locale(locale))
