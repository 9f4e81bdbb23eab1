"""The fixed words of events: categories, audiences, spoken languages, accessibility.

Sets of tags are stored as bit masks, so "for seniors" or "in Japanese" is one indexed-free
integer test that SQLite and PostgreSQL both run (``mask & bit != 0``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from backend.core.i18n import N_, _, babel_locale
from backend.events.catalogue.tables import Category

CATEGORY_NAMES: Mapping[Category, str] = {
    Category.festival: N_("Festival"),
    Category.performance: N_("Performance"),
    Category.exhibition: N_("Exhibition"),
    Category.lecture: N_("Lecture"),
    Category.reading: N_("Reading"),
    Category.workshop: N_("Workshop"),
    Category.film: N_("Film"),
    Category.sports: N_("Sports"),
    Category.intangible_heritage: N_("Intangible heritage"),
    Category.children: N_("Children"),
    Category.other: N_("Other"),
}

AUDIENCES: tuple[str, ...] = ("youth", "family", "seniors", "new_residents", "migrant_friendly", "foreign_friendly")
AUDIENCE_NAMES: Mapping[str, str] = {
    "youth": N_("Young people"),
    "family": N_("Families"),
    "seniors": N_("Seniors"),
    "new_residents": N_("New residents"),
    "migrant_friendly": N_("Migrant-friendly"),
    "foreign_friendly": N_("Foreigner-friendly"),
}
# Languages spoken at an event: Mandarin, Suzhou dialect (吴语), Cantonese, and foreign languages.
SPOKEN_LANGUAGES: tuple[str, ...] = ("zh", "wuu", "yue", "en", "ja", "ko", "fr", "de", "ru", "es")
ACCESSIBILITY: tuple[str, ...] = ("wheelchair", "sign_language", "hearing_loop")
ACCESSIBILITY_NAMES: Mapping[str, str] = {
    "wheelchair": N_("Wheelchair accessible"),
    "sign_language": N_("Sign language"),
    "hearing_loop": N_("Hearing loop"),
}


def to_mask(values: Iterable[str], vocabulary: tuple[str, ...]) -> int:
    mask = 0
    for value in values:
        mask |= 1 << vocabulary.index(value)
    return mask


def from_mask(mask: int, vocabulary: tuple[str, ...]) -> list[str]:
    return [value for bit, value in enumerate(vocabulary) if mask & (1 << bit)]


def category_name(category: Category | str) -> str:
    return _(CATEGORY_NAMES[Category(category)])


def language_name(code: str) -> str:
    """A spoken language's name in the caller's language, from CLDR (吴语, Wu Chinese, 呉語…)."""
    name: str = babel_locale().languages.get(code, code)
    return name
