"""Governance surveys in a person's export and erasure."""

from __future__ import annotations

import uuid
from typing import Any


async def export_surveys(user_id: uuid.UUID) -> dict[str, Any]:
    return {}


async def erase_surveys(user_id: uuid.UUID) -> None:
    return None
