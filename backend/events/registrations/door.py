"""Tickets, check-in at the door, and no-shows.

A ticket is ``L1.<registration id>.<signature>``: short enough for a dense-free QR code, and
signed with a key derived from ``LINLI_SECRET_KEY``, so a scanner can tell a forged or altered
ticket from a real one before it touches the database.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from backend.accounts.api import person
from backend.core import clock, signals
from backend.core.cache import VersionedCache
from backend.core.errors import DomainError
from backend.core.i18n import N_
from backend.core.values import mask_name
from backend.events import trail
from backend.events.catalogue.queries import door_event
from backend.events.catalogue.tables import Event, EventStatus
from backend.events.registrations.queries import get_registration
from backend.events.registrations.tables import Registration, RegistrationStatus
from backend.events.signals import CACHE_NAMESPACE, AttendanceRecorded

TICKET_VERSION = "L1"
SIGNATURE_BYTES = 12
# The door opens LINLI_CHECK_IN_OPENS_MINUTES before the start (by default this long) and stays
# open for late arrivals until this long after the end; then the list is closed and absentees
# become no-shows.
DOOR_OPENS_BEFORE = timedelta(minutes=60)
CHECK_IN_GRACE = timedelta(hours=3)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(secret_key: str, registration_id: uuid.UUID) -> bytes:
    key = hashlib.sha256(f"linli-ticket:{secret_key}".encode()).digest()
    return hmac.new(key, registration_id.bytes, hashlib.sha256).digest()[:SIGNATURE_BYTES]


def make_ticket(secret_key: str, registration_id: uuid.UUID) -> str:
    return f"{TICKET_VERSION}.{_b64(registration_id.bytes)}.{_b64(_signature(secret_key, registration_id))}"


def read_ticket(secret_key: str, ticket: str) -> uuid.UUID:
    """The registration a genuine ticket names; ``ticket_invalid`` for anything else."""
    invalid = DomainError("ticket_invalid", N_("This ticket is not valid."), status=422)
    try:
        version, raw_id, raw_signature = ticket.strip().split(".")
        registration_id = uuid.UUID(bytes=_unb64(raw_id))
        signature = _unb64(raw_signature)
    except (ValueError, TypeError):
        raise invalid from None
    if version != TICKET_VERSION or not hmac.compare_digest(signature, _signature(secret_key, registration_id)):
        raise invalid
    return registration_id


async def ticket_for(*, user_id: uuid.UUID, registration_id: uuid.UUID, secret_key: str) -> tuple[Registration, str]:
    """The owner's ticket; only a confirmed (or already used) place has one."""
    registration = await get_registration(user_id=user_id, registration_id=registration_id)
    if registration.status not in (RegistrationStatus.confirmed.value, RegistrationStatus.attended.value):
        raise DomainError("ticket_not_available", N_("Only a confirmed place has a ticket."), status=409)
    return registration, make_ticket(secret_key, registration.id)


# --- check-in ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckIn:
    registration: Registration
    display_name: str
    already: bool


async def check_in(
    *,
    user_id: uuid.UUID,
    event_id: uuid.UUID,
    ticket: str,
    secret_key: str,
    cache: VersionedCache,
    opens_before: timedelta = DOOR_OPENS_BEFORE,
) -> CheckIn:
    """Mark a ticket's holder attended, once, while the door is open (from ``opens_before`` the
    start until three hours after the end); a second scan says when the first one was. A scan
    outside those hours is refused and changes nothing."""
    event = await door_event(user_id=user_id, event_id=event_id)
    registration_id = read_ticket(secret_key, ticket)
    registration = await Registration.objects().where(Registration.id == registration_id).first()
    if registration is None:
        raise DomainError("ticket_invalid", N_("This ticket is not valid."), status=422)
    if registration.event != event.id:
        raise DomainError("ticket_other_event", N_("This ticket is for another event."), status=422)
    _check_door_open(event, opens_before)
    if registration.status == RegistrationStatus.attended.value:
        return CheckIn(registration, await _name_of(registration.user), already=True)
    if registration.status != RegistrationStatus.confirmed.value:
        raise DomainError("ticket_not_confirmed", N_("This registration is not confirmed."), status=409)
    async with signals.atomic():
        now = clock.now()
        marked = (
            await Registration.update(
                {
                    Registration.status: RegistrationStatus.attended.value,
                    Registration.checked_in_at: now,
                    Registration.checked_in_by: user_id,
                }
            )
            .where((Registration.id == registration.id) & (Registration.status == RegistrationStatus.confirmed.value))
            .returning(Registration.id)
        )
        if marked:
            await trail.ticket_checked_in(registration.id, event, party_size=registration.party_size, checked_in_at=now)
            await signals.emit(
                AttendanceRecorded(
                    registration_id=registration.id,
                    event_id=event.id,
                    user_id=registration.user,
                    party_size=registration.party_size,
                    checked_in_at=now,
                    referred_by=registration.referred_by,
                )
            )
    await cache.bump(CACHE_NAMESPACE)
    fresh = await Registration.objects().where(Registration.id == registration.id).first()
    assert fresh is not None  # registrations are never deleted
    return CheckIn(fresh, await _name_of(fresh.user), already=not marked)  # a concurrent scan won


def _check_door_open(event: Event, opens_before: timedelta) -> None:
    if event.status == EventStatus.cancelled.value:
        raise DomainError("event_cancelled", N_("This event has been cancelled."), status=409)
    now, opens_at, closed_at = clock.now(), event.starts_at - opens_before, event.ends_at + CHECK_IN_GRACE
    if now < opens_at:
        raise DomainError(
            "check_in_not_open",
            N_("Check-in has not opened yet: the door opens at {opens_at}, {minutes} minutes before the start."),
            params={"opens_at": opens_at.astimezone(UTC), "minutes": int(opens_before.total_seconds() // 60)},
            status=409,
        )
    if now > closed_at:
        raise DomainError(
            "check_in_closed",
            N_("Check-in for this event closed at {closed_at}."),
            params={"closed_at": closed_at.astimezone(UTC)},
            status=409,
        )


async def _name_of(user_id: uuid.UUID) -> str:
    found = await person(user_id)
    return mask_name(found.display_name if found else "")


async def mark_no_shows(*, now: datetime | None = None) -> int:
    """Confirmed places of events over for a while become no-shows; returns how many."""
    cutoff = (now or clock.now()) - CHECK_IN_GRACE
    ended = Event.select(Event.id).where(
        (Event.ends_at < cutoff) & Event.status.is_in([EventStatus.published.value, EventStatus.completed.value])
    )
    changed = (
        await Registration.update({Registration.status: RegistrationStatus.no_show.value})
        .where((Registration.status == RegistrationStatus.confirmed.value) & Registration.event.is_in(ended))
        .returning(Registration.id)
    )
    return len(changed)
