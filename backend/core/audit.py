"""The audit trail: every change staff make, and every sensitive read, in an append-only log.

A service records an entry with ``await audit.record(...)``: a change inside the transaction that
makes it (so the entry and the change commit or roll back together; outside one it is refused), a
sensitive read (attendee lists, CSVs, unmasked identity, a person's data export) when it reads.
Who acted, from which address and in which request comes from the request (``bind_actor``, set
by the request middleware once it knows who is asking); work without a request (chores, the CLI)
is recorded as the system's.

Entries are kept at least ``LINLI_AUDIT_RETENTION_DAYS``; the ``audit_retention`` chore purges
older ones. Administrators read them within their scope through the accounts API.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import Enum
from typing import Any

from backend.core import clock, runtime
from backend.core.tables import AuditEntry

# Values longer than this are cut in the log: an entry says what changed, it is not a copy.
VALUE_LIMIT = 200


@dataclass(frozen=True)
class Actor:
    user_id: uuid.UUID | None
    kind: str  # staff, resident, system
    address: str = ""
    request_id: str = ""


SYSTEM = Actor(user_id=None, kind="system")
_actor: ContextVar[Actor] = ContextVar("linli_audit_actor", default=SYSTEM)


def bind_actor(actor: Actor) -> object:
    """Who is asking, for the entries this context records (the middleware sets it per request)."""
    return _actor.set(actor)


def unbind_actor(token: object) -> None:
    _actor.reset(token)  # type: ignore[arg-type]  # the token bind_actor returned


@contextmanager
def acting(actor: Actor) -> Iterator[None]:
    token = _actor.set(actor)
    try:
        yield
    finally:
        _actor.reset(token)


def current_actor() -> Actor:
    return _actor.get()


async def record(
    action: str,
    *,
    object_type: str,
    object_id: Any,
    organisation_id: uuid.UUID | None = None,
    permission: str = "",
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    read: bool = False,
) -> None:
    """One entry: ``changes`` are the fields whose values differ between ``before`` and ``after``
    (a creation has only ``after``, a removal only ``before``). A change must be recorded inside
    the transaction that makes it; a read (``read=True``) is recorded where it happens."""
    if not read and AuditEntry._meta.db.current_transaction.get() is None:
        raise RuntimeError(f"audit.record({action!r}) of a change outside the transaction that makes it")
    actor = _actor.get()
    await AuditEntry.insert(
        AuditEntry(
            at=clock.now(),
            actor=actor.user_id,
            actor_kind=actor.kind,
            permission=permission,
            organisation=organisation_id,
            action=action,
            object_type=object_type,
            object_id=str(object_id or ""),
            changes=differences(before or {}, after or {}),
            address=actor.address[:64],
            request_id=actor.request_id[:64],
        )
    )


def differences(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """{field: [before, after]} for the fields that differ, values made plain and short."""
    changed = {}
    for field in sorted(set(before) | set(after)):
        old, new = _plain(before.get(field)), _plain(after.get(field))
        if old != new:
            changed[field] = [old, new]
    return changed


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, Enum):
        return _plain(value.value)
    if isinstance(value, datetime):
        return clock.iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(item) for item in value]
    text = str(value)
    return text if len(text) <= VALUE_LIMIT else text[: VALUE_LIMIT - 1] + "…"


async def purge_expired() -> int:
    """Delete entries older than the retention period (the ``audit_retention`` chore)."""
    days = runtime.current().settings.audit_retention_days
    cutoff = clock.now() - timedelta(days=days)
    removed = await AuditEntry.delete().where(AuditEntry.at < cutoff).returning(AuditEntry.id)
    return len(removed)
