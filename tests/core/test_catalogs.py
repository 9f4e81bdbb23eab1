"""The gettext catalogs under ``locale/`` against the strings the code actually uses.

The messages are extracted from ``backend/`` here, not read from ``messages.pot``, so a new
string without translations fails the suite even if nobody re-ran ``scripts/i18n``.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from backend.core.i18n import translations

ROOT = Path(__file__).resolve().parents[2]
CATALOG_LOCALES = ("zh_Hans", "en", "zh_Hant", "ja", "ko")
# Everything but English must really be translated, not left as the English source.
TRANSLATED_LOCALES = ("zh_Hans", "zh_Hant", "ja", "ko")
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}

MsgId = str | tuple[str, ...]


@cache
def extracted() -> tuple[MsgId, ...]:
    """Every msgid marked in backend/ (a (singular, plural) tuple for ngettext), sorted."""
    found: dict[str, MsgId] = {}
    for filename, _lineno, message, _comments, _context in extract_from_dir(
        ROOT / "backend", method_map=[("**.py", "python")], keywords=KEYWORDS
    ):
        key = message[0] if isinstance(message, tuple) else message
        if key:
            found.setdefault(key, message)
    return tuple(found[key] for key in sorted(found))


@cache
def catalog(locale: str) -> Catalog:
    with (ROOT / "locale" / locale / "LC_MESSAGES" / "messages.po").open("rb") as po_file:
        return read_po(po_file, locale=locale)


def forms(value: MsgId) -> tuple[str, ...]:
    return value if isinstance(value, tuple) else (value,)


def placeholders(text: str) -> set[str]:
    """Field names of a ``str.format`` string; malformed braces raise ValueError."""
    return {name for _literal, name, _spec, _conv in string.Formatter().parse(text) if name is not None}


def translated(locale: str) -> Iterator[tuple[MsgId, Message]]:
    """(extracted msgid, its catalog entry) for every extracted message the catalog has."""
    for msgid in extracted():
        entry = catalog(locale).get(forms(msgid)[0])
        if entry is not None and not entry.fuzzy:
            yield msgid, entry


def test_messages_are_extracted() -> None:
    assert "Not found." in extracted()
    assert len(extracted()) > 10


@pytest.mark.parametrize("locale", CATALOG_LOCALES)
def test_every_message_is_translated(locale: str) -> None:
    problems = []
    for msgid in extracted():
        entry = catalog(locale).get(forms(msgid)[0])
        if entry is None:
            problems.append(f"missing: {msgid!r}")
        elif entry.fuzzy:
            problems.append(f"fuzzy: {msgid!r}")
        elif isinstance(msgid, tuple) and not isinstance(entry.id, tuple):
            problems.append(f"not a plural entry: {msgid!r}")
        elif not all(s.strip() for s in forms(entry.string)):
            problems.append(f"untranslated: {msgid!r}")
        elif isinstance(msgid, tuple) and len(forms(entry.string)) != catalog(locale).num_plurals:
            problems.append(f"wrong number of plural forms: {msgid!r}")
    assert not problems, f"{locale}: run `bash scripts/i18n` and translate:\n" + "\n".join(problems)


@pytest.mark.parametrize("locale", CATALOG_LOCALES)
def test_no_fuzzy_entries(locale: str) -> None:
    fuzzy = [m.id for m in catalog(locale) if m.id and m.fuzzy]
    assert not fuzzy, f"{locale}: fuzzy entries are ignored at runtime: {fuzzy}"


@pytest.mark.parametrize("locale", CATALOG_LOCALES)
def test_translations_keep_placeholders(locale: str) -> None:
    problems = []
    for msgid, entry in translated(locale):
        expected = [placeholders(source) for source in forms(msgid)]
        for text in forms(entry.string):
            if not text:
                continue
            try:
                names = placeholders(text)
            except ValueError as error:
                problems.append(f"{msgid!r}: malformed braces in {text!r} ({error})")
                continue
            if names not in expected:
                problems.append(f"{msgid!r}: {text!r} has {sorted(names)}, expected {sorted(expected[-1])}")
    assert not problems, f"{locale}:\n" + "\n".join(problems)


@pytest.mark.parametrize("locale", TRANSLATED_LOCALES)
def test_translations_are_not_the_english_source(locale: str) -> None:
    untouched = [
        msgid
        for msgid, entry in translated(locale)
        if any(re.search(r"[A-Za-z]", source) for source in forms(msgid))
        and any(text.strip() in forms(msgid) for text in forms(entry.string))
    ]
    assert not untouched, f"{locale}: still in English: {untouched}"


def test_runtime_loads_the_catalogs() -> None:
    japanese = translations("ja").gettext("Not found.")
    assert japanese != translations("en").gettext("Not found.")
    assert japanese == catalog("ja")["Not found."].string
    assert translations("zh-Hans").gettext("Not found.") == catalog("zh_Hans")["Not found."].string
    assert translations("zh-Hant").gettext("Not found.") == catalog("zh_Hant")["Not found."].string
