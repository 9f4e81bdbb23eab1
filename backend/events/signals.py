"""What the events domain announces (through the core outbox), as typed payloads; later domains
import them from ``backend.events.api``."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar

import msgspec

from backend.core.signals import Signal

CACHE_NAMESPACE = "events"


class RegistrationConfirmed(Signal, frozen=True):
    NAME: ClassVar[str] = "events.registration_confirmed"
    registration_id: uuid.UUID
    event_id: uuid.UUID
    user_id: uuid.UUID


class RegistrationWaitlisted(Signal, frozen=True):
    NAME: ClassVar[str] = "events.registration_waitlisted"
    registration_id: uuid.UUID
    event_id: uuid.UUID
    user_id: uuid.UUID
    position: int | None = None


class RegistrationPromoted(Signal, frozen=True):
    """A place in line became a confirmed seat."""

    NAME: ClassVar[str] = "events.registration_promoted"
    registration_id: uuid.UUID
    event_id: uuid.UUID
    user_id: uuid.UUID


class RegistrationCancelled(Signal, frozen=True):
    NAME: ClassVar[str] = "events.registration_cancelled"
    registration_id: uuid.UUID
    event_id: uuid.UUID
    user_id: uuid.UUID


class EventChanged(Signal, frozen=True):
    """A published event's time, place or content changed (``changed`` names the fields)."""

    NAME: ClassVar[str] = "events.event_changed"
    event_id: uuid.UUID
    changed: list[str] = []


class RegistrationRef(msgspec.Struct, frozen=True):
    registration_id: uuid.UUID
    user_id: uuid.UUID


class EventCancelled(Signal, frozen=True):
    """The organiser called the event off; ``registrations`` held a place or a place in line."""

    NAME: ClassVar[str] = "events.event_cancelled"
    event_id: uuid.UUID
    registrations: list[RegistrationRef] = []


class AttendanceRecorded(Signal, frozen=True):
    """A ticket was scanned at the door, once per registration."""

    NAME: ClassVar[str] = "events.attendance_recorded"
    registration_id: uuid.UUID
    event_id: uuid.UUID
    user_id: uuid.UUID
    party_size: int
    checked_in_at: datetime
    referred_by: uuid.UUID | None = None
