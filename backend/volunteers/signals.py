"""What the volunteers domain announces (through the core outbox), as typed payloads; later
domains import them from ``backend.volunteers.api``."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import ClassVar

import msgspec

from backend.core.signals import Signal


class HoursVerified(Signal, frozen=True):
    """Exactly once per ledger entry; ``minutes`` is negative for a correction that takes hours away."""

    NAME: ClassVar[str] = "volunteers.hours_verified"
    entry_id: uuid.UUID
    user_id: uuid.UUID
    team_id: uuid.UUID
    community_id: uuid.UUID | None
    kind: str
    minutes: int
    service_date: date
    verified_by: uuid.UUID
    verified_at: datetime


class SignupRef(msgspec.Struct, frozen=True):
    signup_id: uuid.UUID
    user_id: uuid.UUID


class ShiftCancelled(Signal, frozen=True):
    """A coordinator called a shift off; ``signups`` held a place on it."""

    NAME: ClassVar[str] = "volunteers.shift_cancelled"
    shift_id: uuid.UUID
    team_id: uuid.UUID
    signups: list[SignupRef] = []
