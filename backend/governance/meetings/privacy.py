"""Governance meetings in a person's export and erasure."""

from __future__ import annotations

import uuid
from typing import Any


async def export_meetings(user_id: uuid.UUID) -> dict[str, Any]:
    return {}


async def erase_meetings(user_id: uuid.UUID) -> None:
    return None
