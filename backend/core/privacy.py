"""A person's rights over their data (PIPL): every domain contributes its part of an export and
of an erasure, without ``accounts`` (upstream) knowing the domains below it.

A domain registers an exporter (what it holds about a person, as plain JSON) and an eraser
(release what they hold — seats, shift places — and remove personal data, keeping ledger rows
with the identity gone). ``accounts`` calls ``export_person`` and ``erase_person``.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Erasure:
    """What an eraser may need besides the person: the app's cache, to drop stale pages."""

    user_id: uuid.UUID
    cache: Any = None


Exporter = Callable[[uuid.UUID], Awaitable[Any]]
Eraser = Callable[[Erasure], Awaitable[None]]

_exporters: dict[str, Exporter] = {}
_erasers: dict[str, Eraser] = {}


def contribute(section: str, *, export: Exporter, erase: Eraser | None = None) -> None:
    """Register (or replace) a domain's part; calling it again with the same section is harmless."""
    _exporters[section] = export
    if erase is not None:
        _erasers[section] = erase


def sections() -> list[str]:
    return sorted(_exporters)


async def export_person(user_id: uuid.UUID) -> dict[str, Any]:
    return {section: await _exporters[section](user_id) for section in sorted(_exporters)}


async def erase_person(user_id: uuid.UUID, *, cache: Any = None) -> None:
    """Every domain's eraser, downstream ones first (they may still read upstream rows)."""
    erasure = Erasure(user_id=user_id, cache=cache)
    for section in sorted(_erasers, key=_depth, reverse=True):
        await _erasers[section](erasure)


# Upstream → downstream, as the domains depend on each other (STYLE.md).
_ORDER = ["accounts", "events", "libraries", "volunteers", "inclusion", "notifications"]


def _depth(section: str) -> int:
    domain = section.split(".", 1)[0]
    return _ORDER.index(domain) if domain in _ORDER else len(_ORDER)
