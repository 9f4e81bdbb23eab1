"""A person's rights over their data (PIPL): every domain contributes its part of an export and
of an erasure, without ``accounts`` (upstream) knowing the domains below it.

A domain's manifest names its ``PrivacyPart``: an exporter (what it holds about a person, as plain
JSON) and an eraser (release what they hold — seats, shift places — and remove personal data,
keeping ledger rows with the identity gone). ``accounts`` calls ``export_person`` and
``erase_person``, which run the parts of the domains the current runtime was built from.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from backend.core import runtime


@dataclass(frozen=True)
class Erasure:
    """What an eraser may need besides the person: the app's cache, to drop stale pages."""

    user_id: uuid.UUID
    cache: Any = None


Exporter = Callable[[uuid.UUID], Awaitable[Any]]
Eraser = Callable[[Erasure], Awaitable[None]]


def sections() -> list[str]:
    return sorted(name for name, _part in runtime.current().privacy)


async def export_person(user_id: uuid.UUID) -> dict[str, Any]:
    parts = sorted(runtime.current().privacy, key=lambda item: item[0])
    return {name: await part.export(user_id) for name, part in parts}


async def erase_person(user_id: uuid.UUID, *, cache: Any = None) -> None:
    """Every domain's eraser, downstream ones first (they may still read upstream rows)."""
    erasure = Erasure(user_id=user_id, cache=cache)
    for _name, part in reversed(runtime.current().privacy):
        if part.erase is not None:
            await part.erase(erasure)
