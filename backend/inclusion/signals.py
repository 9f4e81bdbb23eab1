"""What the inclusion domain announces (through the core outbox), as typed payloads; later domains
import them from ``backend.inclusion.api``."""

from __future__ import annotations

import uuid
from typing import ClassVar

from backend.core.signals import Signal


class RedemptionReserved(Signal, frozen=True):
    """The item is set aside and can be picked up with the code."""

    NAME: ClassVar[str] = "inclusion.redemption_reserved"
    redemption_id: uuid.UUID
    reward_id: uuid.UUID
    user_id: uuid.UUID
    pickup_code: str
    community_id: uuid.UUID | None = None
