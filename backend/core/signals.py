"""Signals between domains, through an outbox: written with the change, delivered after commit.

A domain announces what happened with ``emit()`` inside ``atomic()``: the signal row commits or
rolls back with the change it announces. After the commit the signals are delivered at once; if
the process dies first, or a listener fails, ``sweep()`` delivers them later. A delivery first
claims the signal with a lease in one UPDATE, so however many dispatchers race (the post-commit
delivery, sweepers on several instances), one of them runs the listeners at a time. Listeners may
still see a signal twice (a crash after they ran, a retry after another listener failed, a lease
that ran out), so they are idempotent, keyed on the signal's id.

Listeners register when their module is imported. A process that delivers signals must have
imported every listener module first: a signal with no listener registered counts as delivered.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog

from backend.core.db import transaction
from backend.core.tables import OutboxSignal

log = structlog.get_logger("linli.signals")

# Longer than any listener should take: a lease that runs out mid-delivery lets a second
# dispatcher start the same signal. After a failure it is also the wait before the retry.
LEASE = timedelta(seconds=60)
ERROR_LIMIT = 2000  # characters of last_error kept: enough for the listeners' error reprs
_NAME = re.compile(r"^[a-z][a-z_]*\.[a-z0-9_]+$")
_NAME_MAX = 64  # OutboxSignal.name's length


@dataclass(frozen=True)
class SignalMessage:
    id: uuid.UUID
    name: str
    payload: dict[str, Any]
    created_at: datetime


Listener = Callable[[SignalMessage], Awaitable[None]]

_registry: dict[str, list[Listener]] = {}


@dataclass
class _Batch:
    """The signals emitted in one outermost ``atomic()`` block, delivered when it commits."""

    signal_ids: list[uuid.UUID] = field(default_factory=list)
    open: bool = True


# Per task (asyncio copies the context), so concurrent requests never share a batch.
_batch: ContextVar[_Batch | None] = ContextVar("linli_signal_batch", default=None)


def _now() -> datetime:
    return datetime.now(UTC)


def _check_name(name: str) -> None:
    if len(name) > _NAME_MAX or not _NAME.match(name):
        raise ValueError(f"signal names read '<domain>.<past_tense>' (at most {_NAME_MAX} characters): {name!r}")


# --- listeners ----------------------------------------------------------------------------------


def listen(name: str) -> Callable[[Listener], Listener]:
    """Register the decorated coroutine for ``name``; registering it again changes nothing."""
    _check_name(name)

    def register(listener: Listener) -> Listener:
        registered = _registry.setdefault(name, [])
        if listener not in registered:
            registered.append(listener)
        return listener

    return register


def unlisten(name: str, listener: Listener) -> None:
    """Undo ``listen`` (for tests); a listener that is not registered is ignored."""
    registered = _registry.get(name, [])
    if listener in registered:
        registered.remove(listener)
    if not registered:
        _registry.pop(name, None)


def listeners(name: str) -> list[Listener]:
    return list(_registry.get(name, ()))


# --- emitting -----------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def atomic() -> AsyncIterator[None]:
    """A write transaction whose signals are delivered once it commits, and dropped if it fails."""
    current = _batch.get()
    if current is not None and current.open:
        # Joins the outer block, as Piccolo's nested transaction joins the outer transaction.
        yield
        return
    engine = OutboxSignal._meta.db
    if engine.current_transaction.get() is not None:
        # We would deliver when this block ends, before the enclosing transaction commits.
        raise RuntimeError("signals.atomic() must own its transaction: open it outside any other")
    batch = _Batch()
    token = _batch.set(batch)
    try:
        async with transaction(engine):
            yield
    finally:
        batch.open = False
        _batch.reset(token)
    await _deliver_committed(batch.signal_ids)


async def emit(name: str, payload: Mapping[str, Any]) -> uuid.UUID:
    """Store a signal in the current ``atomic()`` block; it is delivered after that block commits."""
    batch = _batch.get()
    if batch is None or not batch.open:
        # Outside a transaction the signal could outlive a change that fails, or die with a crash.
        raise RuntimeError(f"emit({name!r}) outside signals.atomic()")
    _check_name(name)
    body = _plain_json(payload)
    signal_id = uuid.uuid4()
    await OutboxSignal.insert(OutboxSignal(id=signal_id, name=name, payload=body, created_at=_now()))
    batch.signal_ids.append(signal_id)
    return signal_id


def _plain_json(payload: Mapping[str, Any]) -> dict[str, Any]:
    """Refuse what JSON cannot hold, instead of Piccolo quietly turning it into a string."""
    body = dict(payload)
    try:
        json.dumps(body, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise TypeError(f"signal payloads are plain JSON (ids as strings): {error}") from error
    return body


async def _deliver_committed(signal_ids: list[uuid.UUID]) -> None:
    for signal_id in signal_ids:
        try:
            await deliver(signal_id)
        except Exception:
            # The change is committed and must stay so for the caller; the sweeper retries.
            log.exception("signal_delivery_failed", signal_id=str(signal_id))


# --- delivering ---------------------------------------------------------------------------------


async def deliver(signal_id: uuid.UUID) -> bool:
    """Run the signal's listeners if this call wins its lease; True once all have succeeded."""
    if OutboxSignal._meta.db.current_transaction.get() is not None:
        # Listeners would act on a change that might still roll back.
        raise RuntimeError("deliver() runs after commit, never inside a transaction")
    message = await _claim(signal_id)
    if message is None:
        return False
    errors = await _run_listeners(message)
    if errors:
        await _record_failure(signal_id, errors)
        return False
    await _mark_delivered(signal_id)
    return True


async def _claim(signal_id: uuid.UUID) -> SignalMessage | None:
    """One UPDATE, so two dispatchers can never both win: the loser's WHERE no longer matches."""
    now = _now()
    lease_free = OutboxSignal.claimed_until.is_null() | (OutboxSignal.claimed_until < now)
    rows = await (
        OutboxSignal.update(
            {OutboxSignal.claimed_until: now + LEASE, OutboxSignal.attempts: OutboxSignal.attempts + 1}
        )
        .where((OutboxSignal.id == signal_id) & OutboxSignal.delivered_at.is_null() & lease_free)
        .returning(OutboxSignal.id, OutboxSignal.name, OutboxSignal.payload, OutboxSignal.created_at)
    )
    if not rows:
        return None
    row = rows[0]
    return SignalMessage(
        id=_as_uuid(row["id"]),
        name=row["name"],
        payload=json.loads(row["payload"]),
        created_at=row["created_at"],  # aware, in UTC, from both databases
    )


def _as_uuid(value: uuid.UUID) -> uuid.UUID:
    # asyncpg returns its own UUID subclass; listeners get the standard type on both databases.
    return uuid.UUID(bytes=value.bytes)


async def _run_listeners(message: SignalMessage) -> list[str]:
    """Every listener runs even when one fails: a broken one must not hold the others back."""
    errors = []
    for listener in listeners(message.name):
        try:
            await listener(message)
        except Exception as error:
            where = getattr(listener, "__qualname__", repr(listener))
            log.exception("signal_listener_failed", signal_id=str(message.id), signal=message.name, listener=where)
            errors.append(f"{where}: {error!r}")
    return errors


async def _record_failure(signal_id: uuid.UUID, errors: list[str]) -> None:
    # The lease stays: it keeps the signal from being retried before it runs out.
    text = "\n".join(errors)[:ERROR_LIMIT]
    await OutboxSignal.update({OutboxSignal.last_error: text}).where(OutboxSignal.id == signal_id)


async def _mark_delivered(signal_id: uuid.UUID) -> None:
    await OutboxSignal.update(
        {OutboxSignal.delivered_at: _now(), OutboxSignal.claimed_until: None, OutboxSignal.last_error: None}
    ).where(OutboxSignal.id == signal_id)


# --- the sweeper --------------------------------------------------------------------------------


async def sweep(*, older_than_seconds: float = 5, limit: int = 100) -> int:
    """Deliver what was left undelivered, oldest first; returns how many were delivered now."""
    now = _now()
    # The age keeps the sweeper from racing the post-commit delivery of signals just written.
    rows = await (
        OutboxSignal.select(OutboxSignal.id)
        .where(
            OutboxSignal.delivered_at.is_null()
            & (OutboxSignal.created_at < now - timedelta(seconds=older_than_seconds))
            & (OutboxSignal.claimed_until.is_null() | (OutboxSignal.claimed_until < now))
        )
        .order_by(OutboxSignal.created_at)
        .limit(limit)
    )
    delivered = 0
    for row in rows:
        if await deliver(row["id"]):
            delivered += 1
    return delivered


async def run_sweeper(*, interval_seconds: float, stop: asyncio.Event) -> None:
    """Sweep every ``interval_seconds`` until ``stop`` is set; a failed round never ends the loop."""
    while not stop.is_set():
        try:
            await sweep()
        except Exception:
            log.exception("signal_sweep_failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval_seconds)
