"""User content: the {locale: text} columns of venues and events, and how their text is written
for search (the same way when an event is stored and when it is searched for)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, cast

# A Latin word or number that does not already follow a space gets one, so a search for "tea"
# can ask for a word start and skip "steady"; CJK text is searched as it stands.
_WORD_START = re.compile(r"(?<=[^\sa-z0-9_])(?=[a-z0-9])")


def search_words(value: str) -> str:
    """Lower-cased, spaces collapsed, each Latin word start after a space: how both the stored
    text and a search for it are written, so "children's" finds "Children's Science"."""
    return _WORD_START.sub(" ", " ".join(value.lower().split()))


def search_key(words: str) -> str:
    """``search_words`` as stored and searched: every character outside ASCII written as ``Z``
    and five upper-case hex digits of its code point ("书法" is ``Z04E66Z06CD5``). Trigram
    indexes (pg_trgm, SQLite's FTS5 ``trigram``) then see Chinese, Japanese and Korean as
    letters whatever the database's locale (pg_trgm skips them under the C locale), and a query of
    one or two such characters is five or ten letters long, enough for a trigram. The lower-cased
    text holds no upper-case letter, so a code never meets a word; a Latin word after CJK text
    already starts after a space (``search_words``), so codes never run into digits."""
    return _NOT_ASCII.sub(_code, words)


_NOT_ASCII = re.compile(r"[^\x00-\x7f]")


def _code(match: re.Match[str]) -> str:
    return f"Z{ord(match.group()):05X}"


def search_text(*texts: Mapping[Any, str]) -> str:
    """Every locale's titles and summaries as ``search_key(search_words(...))``, each after a space."""
    return "".join(" " + search_key(search_words(value)) for text in texts for value in text.values() if value) + " "


def texts(column: object) -> Mapping[str, str]:
    """A {locale: text} JSON column of a row read with ``load_json`` (or built in memory): the
    dict it holds. Piccolo types every JSON column's value as str, the text in the database."""
    return cast("Mapping[str, str]", column)
