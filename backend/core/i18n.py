"""Languages: negotiation, gettext catalogs, user-content fallback and Babel formatting.

The locale of the request being served lives in a ContextVar, so services and error handlers
translate without passing it around. Catalogs are the ``.po`` files under ``locale/``, compiled
in memory on first use (no compiled ``.mo`` files to keep in step).
"""

from __future__ import annotations

import gettext as _gettext
import io
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import cache, lru_cache
from pathlib import Path
from typing import Literal, overload

import opencc
from babel import Locale
from babel.dates import format_datetime as _babel_datetime
from babel.dates import format_interval as _babel_interval
from babel.dates import format_skeleton, get_datetime_format, get_time_format
from babel.messages.catalog import Message
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

from backend.core import clock, runtime
from backend.core.clock import CITY_TZ as CITY_TZ  # where the rest of the house reads it
from backend.core.values import hours_of

DEFAULT_LOCALE = "zh-Hans"
LOCALES: tuple[str, ...] = ("zh-Hans", "en", "zh-Hant", "ja", "ko")
# The same codes as a type, for request and response bodies.
LocaleCode = Literal["zh-Hans", "en", "zh-Hant", "ja", "ko"]
NATIVE_NAMES: Mapping[str, str] = {
    "zh-Hans": "简体中文",
    "en": "English",
    "zh-Hant": "繁體中文",
    "ja": "日本語",
    "ko": "한국어",
}
# Babel's locale for each of ours: the region decides conventions such as 周六 vs 星期六.
_BABEL_LOCALES: Mapping[str, str] = {
    "zh-Hans": "zh_Hans_CN",
    "en": "en",
    "zh-Hant": "zh_Hant_HK",
    "ja": "ja_JP",
    "ko": "ko_KR",
}
LOCALE_DIR = Path(__file__).resolve().parents[2] / "locale"

_current: ContextVar[str] = ContextVar("linli_locale", default=DEFAULT_LOCALE)


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated later, where it is shown."""
    return message


def normalise_locale(tag: str | None) -> str | None:
    """Map a language tag (``zh-CN``, ``zh_TW``, ``en-GB``, ``ja``…) to one of ours, or None."""
    if not tag:
        return None
    parts = tag.strip().replace("_", "-").lower().split("-")
    language = parts[0]
    if language == "zh":
        rest = set(parts[1:])
        if rest & {"hant", "tw", "hk", "mo"}:
            return "zh-Hant"
        return "zh-Hans"
    for ours in ("en", "ja", "ko"):
        if language == ours:
            return ours
    return None


def parse_accept_language(header: str | None) -> list[str]:
    """Our locales in the order the header prefers them (by q, then position)."""
    if not header:
        return []
    weighted: list[tuple[float, int, str]] = []
    for position, item in enumerate(header.split(",")[:32]):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        locale = normalise_locale(tag)
        if locale and quality > 0:
            weighted.append((-quality, position, locale))
    seen: list[str] = []
    for _q, _p, locale in sorted(weighted):
        if locale not in seen:
            seen.append(locale)
    return seen


def negotiate(*, query: str | None, preference: str | None, accept_language: str | None) -> str:
    """DESIGN.md's order: ``?lang=``, the user's saved preference, Accept-Language, default."""
    for candidate in (normalise_locale(query), preference):
        if candidate in LOCALES:
            return candidate
    preferred = parse_accept_language(accept_language)
    return preferred[0] if preferred else DEFAULT_LOCALE


def get_locale() -> str:
    return _current.get()


def set_locale(locale: str) -> None:
    _current.set(locale)


@contextmanager
def use_locale(locale: str) -> Iterator[None]:
    """Render something in another person's language (a notice to its recipient)."""
    token = _current.set(locale)
    try:
        yield
    finally:
        _current.reset(token)


@cache
def translations(locale: str) -> _gettext.NullTranslations:
    po_path = LOCALE_DIR / locale.replace("-", "_") / "LC_MESSAGES" / "messages.po"
    if not po_path.exists():
        return _gettext.NullTranslations()
    with po_path.open("rb") as po_file:
        catalog = read_po(po_file, locale=_BABEL_LOCALES[locale])
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return _gettext.GNUTranslations(buffer)


def _translated(message: Message) -> bool:
    """Every form filled in (plurals have several) and not marked fuzzy."""
    forms = message.string if isinstance(message.string, (tuple, list)) else (message.string,)
    return not message.fuzzy and all(forms)


@cache
def catalog_completeness() -> dict[str, float]:
    """Share of each locale's catalog that is translated, 0–1 (read once per process)."""
    shares: dict[str, float] = {}
    for locale in LOCALES:
        po_path = LOCALE_DIR / locale.replace("-", "_") / "LC_MESSAGES" / "messages.po"
        if not po_path.exists():
            shares[locale] = 0.0
            continue
        with po_path.open("rb") as po_file:
            messages = [message for message in read_po(po_file, locale=_BABEL_LOCALES[locale]) if message.id]
        shares[locale] = round(sum(map(_translated, messages)) / len(messages), 3) if messages else 1.0
    return shares


def _(message: str) -> str:
    return translations(get_locale()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(get_locale()).ngettext(singular, plural, n)


def babel_locale(locale: str | None = None) -> Locale:
    return Locale.parse(_BABEL_LOCALES[locale or get_locale()])


# --- organiser-written content in the reader's language ------------------------------------------

# Where a reader's language falls back to when the organiser did not write it. A step
# "zh-Hans>zh-Hant" is the Simplified text converted to Traditional characters (OpenCC).
# LINLI_CONTENT_FALLBACKS replaces any of these (``ja=ja,en,zh-Hans;ko=ko,en,zh-Hans``).
DEFAULT_FALLBACKS: Mapping[str, tuple[str, ...]] = {
    "zh-Hans": ("zh-Hans", "zh-Hant>zh-Hans", "en"),
    "zh-Hant": ("zh-Hant", "zh-Hans>zh-Hant", "en"),
    "en": ("en", "zh-Hans"),
    "ja": ("ja", "en", "zh-Hans"),
    "ko": ("ko", "en", "zh-Hans"),
}
_CONVERSIONS = {("zh-Hans", "zh-Hant"): "s2t.json", ("zh-Hant", "zh-Hans"): "t2s.json"}


@dataclass(frozen=True)
class Picked:
    """Content as served: its text, the locale it is in, and whether it was converted into that
    locale from another script (a client may say "converted from the Chinese original")."""

    text: str
    locale: str | None
    converted: bool = False


def parse_fallbacks(configured: str) -> dict[str, tuple[str, ...]]:
    """``LINLI_CONTENT_FALLBACKS`` over the defaults; a ValueError for anything malformed."""
    chains = dict(DEFAULT_FALLBACKS)
    for part in filter(None, (piece.strip() for piece in configured.split(";"))):
        reader, _sep, steps = part.partition("=")
        chain = tuple(step.strip() for step in steps.split(",") if step.strip())
        if reader.strip() not in LOCALES or not chain:
            raise ValueError(f"not a fallback chain: {part!r}")
        for step in chain:
            source, _arrow, target = step.partition(">")
            if source not in LOCALES or (target and (source, target) not in _CONVERSIONS):
                raise ValueError(f"not a fallback step: {step!r}")
        chains[reader.strip()] = chain
    return chains


@lru_cache(maxsize=8)
def _chains(configured: str) -> dict[str, tuple[str, ...]]:
    return parse_fallbacks(configured)


def _fallbacks(reader: str) -> tuple[str, ...]:
    # The running app's settings, where there is one; the defaults otherwise (scripts, tests).
    current = runtime.current_or_none()
    chains = _chains(current.settings.content_fallbacks) if current is not None else DEFAULT_FALLBACKS
    return chains.get(reader, (reader, DEFAULT_LOCALE, "en"))


@lru_cache(maxsize=4096)
def convert(text: str, source: str, target: str) -> str:
    """Simplified ⇄ Traditional characters (OpenCC), remembered: names recur on every page."""
    return str(_converter(_CONVERSIONS[(source, target)]).convert(text))


@cache
def _converter(config: str) -> opencc.OpenCC:
    return opencc.OpenCC(config)


def pick_content(content: Mapping[str, str] | None, locale: str | None = None) -> Picked:
    """User content in the reader's language, by the reader's fallback chain, else whatever
    there is: never nothing when something was written."""
    if not content:
        return Picked("", None)
    reader = locale or get_locale()
    for step in _fallbacks(reader):
        source, _arrow, target = step.partition(">")
        text = content.get(source)
        if text:
            return Picked(convert(text, source, target), target, True) if target else Picked(text, source)
    for candidate, text in content.items():
        if text:
            return Picked(text, candidate)
    return Picked("", None)


def pick(content: Mapping[str, str] | None, locale: str | None = None) -> tuple[str, str | None]:
    """User content in the reader's language: (text, locale it is served in); ``pick_content``
    also says whether it was converted."""
    picked = pick_content(content, locale)
    return picked.text, picked.locale


@overload
def as_city_time(moment: datetime) -> datetime: ...
@overload
def as_city_time(moment: None) -> None: ...
def as_city_time(moment: datetime | None) -> datetime | None:
    """A time without an offset is meant in Suzhou, as a resident typing it would mean it."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=CITY_TZ)


def format_hours(minutes: int, locale: str | None = None) -> str:
    """Hours as a reader writes them (``1.5``, ``1,234.5``), by ``values.hours_of``'s rule;
    a whole number shows no decimal (``2``)."""
    return str(format_decimal(hours_of(minutes), format="#,##0.#", locale=babel_locale(locale)))


def format_datetime(moment: datetime, locale: str | None = None) -> str:
    """A UTC moment as the city's local date and time, e.g. ``11月28日周六 14:00``."""
    # Written from its day and its time of day, each remembered (Babel takes ~0.1 ms a call).
    reader = locale or get_locale()
    city = _in_city(moment)
    pattern, date_part = _day_part(city.date(), reader)
    return pattern.format(_clock(city.time(), reader), date_part)


def format_day(day: date | str, locale: str | None = None) -> str:
    """A calendar day as the reader writes it (``12月20日周日``, ``Sun, Dec 20``), with its year
    when that is not the city's current year (``2027年1月31日周日``); an ISO date string is read first."""
    if isinstance(day, str):
        day = date.fromisoformat(day)
    reader = locale or get_locale()
    this_year = clock.now().astimezone(CITY_TZ).year
    return _day_written(day, reader, day.year != this_year)


@lru_cache(maxsize=4096)
def _day_written(day: date, locale: str, with_year: bool) -> str:
    return format_skeleton("yMMMEd" if with_year else "MMMEd", day, locale=babel_locale(locale))


def format_interval(start: datetime, end: datetime, locale: str | None = None) -> str:
    """A span in the city's time: ``11月28日周六 14:00–16:00`` or ``Sat, Nov 28, 2:00 – 4:00 PM``."""
    # Babel takes ~0.1 ms per call and a list page formats every item. A span within a day is
    # its day and its two times of day, each remembered apart: a page near a new place shows new
    # spans, but on days and at hours already written (events start on the hour or the half).
    reader = locale or get_locale()
    start_city, end_city = _in_city(start), _in_city(end)
    if start_city.date() != end_city.date():
        return f"{format_datetime(start, reader)} – {format_datetime(end, reader)}"
    pattern, date_part = _day_part(start_city.date(), reader)
    return pattern.format(_time_part(start_city.time(), end_city.time(), reader), date_part)


def _in_city(moment: datetime) -> datetime:
    """The moment in the city's time; one without an offset is UTC, as Babel reads it."""
    return (moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)).astimezone(CITY_TZ)


@lru_cache(maxsize=4096)
def _day_part(day: date, locale: str) -> tuple[str, str]:
    """The locale's pattern joining a time and a day, and the day written in it."""
    loc = babel_locale(locale)
    return str(get_datetime_format("short", locale=loc)), format_skeleton("MMMEd", day, locale=loc)


# Any day does for writing a time of day (the city keeps no daylight saving).
_SOME_DAY = date(2026, 1, 5)


@lru_cache(maxsize=4096)
def _clock(moment: time, locale: str) -> str:
    loc = babel_locale(locale)
    at = datetime.combine(_SOME_DAY, moment, tzinfo=CITY_TZ)
    return str(_babel_datetime(at, get_time_format("short", locale=loc).pattern, tzinfo=CITY_TZ, locale=loc))


@lru_cache(maxsize=4096)
def _time_part(start: time, end: time, locale: str) -> str:
    day = _SOME_DAY
    return _time_interval(
        datetime.combine(day, start, tzinfo=CITY_TZ), datetime.combine(day, end, tzinfo=CITY_TZ), babel_locale(locale)
    )


def _time_interval(start: datetime, end: datetime, loc: Locale) -> str:
    twelve_hour = "h" in get_time_format("short", locale=loc).pattern
    try:
        return _babel_interval(start, end, "hm" if twelve_hour else "Hm", tzinfo=CITY_TZ, locale=loc)
    except NotImplementedError:
        # Some regional patterns use day periods (B) that Babel cannot split; 24-hour reads fine.
        return _babel_interval(start, end, "Hm", tzinfo=CITY_TZ, locale=loc)
