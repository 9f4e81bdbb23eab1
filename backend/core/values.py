"""Small value helpers every domain shares: ids as both databases hand them back, and the masks
staff views show instead of a person's name or number."""

from __future__ import annotations

import uuid
from decimal import ROUND_HALF_UP, Decimal
from typing import Any


def as_uuid(value: Any) -> uuid.UUID:
    """A standard ``uuid.UUID`` from whatever a driver or a JSON payload holds: asyncpg's own UUID
    subclass, SQLite's text, or a string from a signal."""
    if type(value) is uuid.UUID:
        return value
    if isinstance(value, uuid.UUID):
        return uuid.UUID(bytes=value.bytes)
    return uuid.UUID(str(value))


def as_uuid_or_none(value: Any) -> uuid.UUID | None:
    return None if value is None else as_uuid(value)


def mask_name(name: str) -> str:
    """李*梅, 张*, A***e: enough for staff at the door to recognise a person, not to publish them."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_phone(phone: str | None) -> str | None:
    """``138****5678``: enough for a person to recognise their own number, not to use it."""
    if not phone:
        return None
    if len(phone) <= 7:
        return phone[:2] + "*" * (len(phone) - 2)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def hours_of(minutes: int) -> float:
    """Minutes as hours, the one rule every answer, notice, PDF and CSV follows: one decimal,
    halves away from zero (45 min → 0.8 h, 3 min → 0.1 h, -45 min → -0.8 h)."""
    return float((Decimal(minutes) / 60).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))
