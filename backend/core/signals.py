"""Signals between domains, through an outbox: written with the change, delivered after commit.

A domain announces what happened with ``emit(payload)`` inside ``atomic()``: the payload is a typed
``Signal`` Struct from the domain's ``api.py``, and the row commits or rolls back with the change
it announces. After the commit the signals are delivered at once to the listeners of the current
runtime (the app's or worker's, assembled from the domain manifests); if the process dies first,
or a listener fails, ``sweep()`` delivers them later. A delivery first claims the signal with a
lease in one UPDATE, so however many dispatchers race (the post-commit delivery, sweepers on
several instances), one of them runs the listeners at a time. Listeners may still see a signal
twice (a crash after they ran, a retry after another listener failed, a lease that ran out), so
they are idempotent, keyed on the signal's id.

A signal nobody listens to counts as delivered. Outside any runtime (a bare script) nothing is
delivered after commit: the signal waits in the outbox for a sweeper.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar, Generic, TypeVar

import msgspec
import structlog
from piccolo.engine.postgres import PostgresEngine
from piccolo.query.base import Query
from piccolo.querystring import QueryString

from backend.core import clock, runtime
from backend.core.db import transaction
from backend.core.tables import OutboxSignal
from backend.core.values import as_uuid

log = structlog.get_logger("linli.signals")

# Longer than any listener should take: a lease that runs out mid-delivery lets a second
# dispatcher start the same signal. After a failure it is also the wait before the retry.
LEASE = timedelta(seconds=60)
ERROR_LIMIT = 2000  # characters of last_error kept: enough for the listeners' error reprs
_NAME = re.compile(r"^[a-z][a-z_]*\.[a-z0-9_]+$")
_NAME_MAX = 64  # OutboxSignal.name's length


class Signal(msgspec.Struct, frozen=True, kw_only=True):
    """A signal's payload. Each subclass names the signal: ``NAME = "<domain>.<past_tense>"``.
    Stored as JSON (ids, dates and times as strings) and decoded back into the Struct for its
    listeners, so both sides share one typed description."""

    NAME: ClassVar[str]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        name = cls.__dict__.get("NAME")
        if name is None or len(name) > _NAME_MAX or not _NAME.match(name):
            raise TypeError(f"{cls.__name__}.NAME reads '<domain>.<past_tense>' (at most {_NAME_MAX} characters)")


P = TypeVar("P", bound=Signal)
T = TypeVar("T")


@dataclass(frozen=True)
class SignalMessage(Generic[P]):
    """One delivery: the signal's id (the listeners' idempotency key) and its typed payload."""

    id: uuid.UUID
    name: str
    payload: P
    created_at: datetime


Listener = Callable[[SignalMessage[P]], Awaitable[None]]


@dataclass
class _Batch:
    """The signals emitted in one outermost ``atomic()`` block, delivered when it commits."""

    signal_ids: list[uuid.UUID] = field(default_factory=list)
    open: bool = True
    after_answer: bool = False


# Per task (asyncio copies the context), so concurrent requests never share a batch.
_batch: ContextVar[_Batch | None] = ContextVar("linli_signal_batch", default=None)


# --- emitting -----------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def atomic(
    *, after_answer: bool = False, hold: tuple[str, uuid.UUID] | None = None, alone: bool = False
) -> AsyncIterator[None]:
    """A write transaction whose signals are delivered once it commits, and dropped if it fails.

    ``after_answer``: the hot paths' blocks (sign-up, shift sign-up, redemption) leave delivery to
    the process's dispatcher, so the answer does not wait for the listeners (inbox notices, cache
    work, credits); without a dispatcher (a script) they are delivered here as usual.
    ``hold``: a row held from the start (``db.transaction``), such as the person's.
    ``alone``: the block is one statement that writes its changes and its signals together
    (PostgreSQL's data-modifying WITH), which is a transaction by itself: no BEGIN or COMMIT is
    sent. Only for such a block: two statements in it would commit one by one."""
    current = _batch.get()
    if current is not None and current.open:
        # Joins the outer block, as Piccolo's nested transaction joins the outer transaction.
        yield
        return
    engine = OutboxSignal._meta.db
    if engine.current_transaction.get() is not None:
        # We would deliver when this block ends, before the enclosing transaction commits.
        raise RuntimeError("signals.atomic() must own its transaction: open it outside any other")
    batch = _Batch(after_answer=after_answer)
    token = _batch.set(batch)
    try:
        if alone:
            yield
        else:
            async with transaction(engine, hold=hold):
                yield
    finally:
        batch.open = False
        _batch.reset(token)
    dispatcher = _dispatcher()
    if batch.after_answer and dispatcher is not None:
        dispatcher.hand_over(batch.signal_ids)
    else:
        await _deliver_committed(batch.signal_ids)


async def emit(payload: Signal) -> uuid.UUID:
    """Store a signal in the current ``atomic()`` block; it is delivered after that block commits."""
    batch, name = _open_batch(payload)
    signal_id = uuid.uuid4()
    body = msgspec.json.encode(payload).decode()
    await OutboxSignal.insert(OutboxSignal(id=signal_id, name=name, payload=body, created_at=clock.now()))
    batch.signal_ids.append(signal_id)
    return signal_id


async def emit_along(payload: Signal, *changes: QueryString | Query[Any, Any]) -> uuid.UUID:
    """``emit``, together with the caller's own INSERTs or UPDATEs (Piccolo queries or raw
    QueryStrings, whose results are not returned): one statement on PostgreSQL (data-modifying
    WITHs), so a hot path pays one round trip for its rows and its signal; one per change on
    SQLite, which has no such WITH and no network between it and the app."""
    batch, name = _open_batch(payload)
    signal_id = uuid.uuid4()
    body = msgspec.json.encode(payload).decode()
    engine = OutboxSignal._meta.db
    written = [_querystring(change) for change in changes]
    if isinstance(engine, PostgresEngine):
        withs = ", ".join(f"change_{n} AS ({{}})" for n in range(len(written)))
        await engine.run_querystring(
            QueryString(
                f"WITH {withs} INSERT INTO core_outbox_signal (id, name, payload, created_at) VALUES ({{}}, {{}}, {{}}, {{}})",
                *written,
                signal_id,
                name,
                body,
                clock.now(),
            )
        )
    else:
        for change in written:
            await engine.run_querystring(change)
        await OutboxSignal.insert(OutboxSignal(id=signal_id, name=name, payload=body, created_at=clock.now()))
    batch.signal_ids.append(signal_id)
    return signal_id


@dataclass(frozen=True)
class Choice:
    """One of the signals a statement may write (``chosen``): ``payload`` where ``when`` holds
    of the statement's ``source`` rows, with the fields in ``finish`` taken from SQL expressions
    over them (what only the statement knows, such as a place in line)."""

    when: str
    payload: Signal
    finish: dict[str, str] = field(default_factory=dict)


_FIELD = re.compile(r"[a-z_]+")


def chosen(signal_id: uuid.UUID, source: str, *choices: Choice) -> QueryString:
    """The INSERT of one signal that a hot path's own statement chooses, as a data-modifying WITH
    of it (PostgreSQL): a sign-up's UPDATE alone knows whether it gave a seat or a place in line,
    so it writes the one signal or the other, with the answer's registration, in one round trip.
    ``source`` and the choices' SQL are the caller's code, never input; the payloads are bound.
    Tell the open ``atomic()`` block with ``written(signal_id)`` once the statement has run and
    written a row."""
    parts: list[str] = []
    args: list[Any] = []
    for choice in choices:
        _, name = _open_batch(choice.payload)
        body = "CAST({} AS json)"
        if choice.finish:
            if not all(_FIELD.fullmatch(key) for key in choice.finish):
                raise ValueError(f"not a field name: {sorted(choice.finish)}")
            pairs = ", ".join(f"'{key}', {expression}" for key, expression in choice.finish.items())
            body = f"CAST(CAST({{}} AS jsonb) || jsonb_build_object({pairs}) AS json)"
        parts.append(
            f"SELECT CAST({{}} AS uuid), {{}}, {body}, CAST({{}} AS timestamptz) FROM {source} WHERE {choice.when}"
        )
        args += [signal_id, name, msgspec.json.encode(choice.payload).decode(), clock.now()]
    return QueryString(
        "INSERT INTO core_outbox_signal (id, name, payload, created_at) " + " UNION ALL ".join(parts), *args
    )


def written(signal_id: uuid.UUID) -> None:
    """A signal ``chosen`` wrote: delivered when the open ``atomic()`` block commits."""
    batch = _batch.get()
    if batch is None or not batch.open:
        raise RuntimeError("written() outside signals.atomic()")
    batch.signal_ids.append(signal_id)


def _querystring(change: QueryString | Query[Any, Any]) -> QueryString:
    if isinstance(change, QueryString):
        return change
    [querystring] = change.querystrings
    return querystring


def _open_batch(payload: Signal) -> tuple[_Batch, str]:
    if not isinstance(payload, Signal):
        raise TypeError(f"a signal's payload is a Signal Struct from a domain's api.py, not {type(payload).__name__}")
    batch = _batch.get()
    name = type(payload).NAME
    if batch is None or not batch.open:
        # Outside a transaction the signal could outlive a change that fails, or die with a crash.
        raise RuntimeError(f"emit({name!r}) outside signals.atomic()")
    return batch, name


async def _deliver_committed(signal_ids: list[uuid.UUID]) -> None:
    if runtime.current_or_none() is None:
        return  # no listeners here: a sweeper with a runtime delivers them
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
    subscriptions = runtime.current().subscriptions
    row = await _claim(signal_id)
    if row is None:
        return False
    errors = await _run_listeners(row, subscriptions.get(row["name"]))
    if errors:
        await _record_failure(signal_id, errors)
        return False
    await _mark_delivered(signal_id)
    return True


async def _claim(signal_id: uuid.UUID) -> dict[str, Any] | None:
    """One UPDATE, so two dispatchers can never both win: the loser's WHERE no longer matches."""
    now = clock.now()
    lease_free = OutboxSignal.claimed_until.is_null() | (OutboxSignal.claimed_until < now)
    rows = await (
        OutboxSignal.update({OutboxSignal.claimed_until: now + LEASE, OutboxSignal.attempts: OutboxSignal.attempts + 1})
        .where((OutboxSignal.id == signal_id) & OutboxSignal.delivered_at.is_null() & lease_free)
        .returning(OutboxSignal.id, OutboxSignal.name, OutboxSignal.payload, OutboxSignal.created_at)
    )
    return rows[0] if rows else None


async def _run_listeners(row: dict[str, Any], subscription: Any) -> list[str]:
    """Every listener runs even when one fails: a broken one must not hold the others back."""
    if subscription is None:
        return []
    try:
        payload = msgspec.json.decode(row["payload"], type=subscription.payload_type)
    except msgspec.ValidationError as error:
        return [f"payload of {row['name']} does not decode: {error}"]
    message = SignalMessage(id=as_uuid(row["id"]), name=row["name"], payload=payload, created_at=row["created_at"])
    errors = []
    for listener in subscription.listeners:
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
        {OutboxSignal.delivered_at: clock.now(), OutboxSignal.claimed_until: None, OutboxSignal.last_error: None}
    ).where(OutboxSignal.id == signal_id)


async def purge_delivered() -> int:
    """Delete delivered signals older than the retention period (the ``outbox_retention`` chore):
    the outbox is for delivering, not a history, and payloads name people."""
    days = runtime.current().settings.outbox_retention_days
    cutoff = clock.now() - timedelta(days=days)
    removed = (
        await OutboxSignal.delete()
        .where(OutboxSignal.delivered_at.is_not_null() & (OutboxSignal.delivered_at < cutoff))
        .returning(OutboxSignal.id)
    )
    return len(removed)


# --- delivering after the answer ----------------------------------------------------------------


class Dispatcher:
    """One per process (the app's lifespan starts it): delivers the signals of ``after_answer``
    blocks once their answer has gone, in batches, so a storm of sign-ups pays one claim and one
    mark per batch instead of two per signal. A signal it never reaches (a crash, a stop) is
    still in the outbox, and the sweeper delivers it."""

    BATCH = 100
    # Answers first: while this process is answering requests, signals wait for a lull, at most
    # this long or this many, then go in batches. A burst of sign-ups gets its answers; their
    # notices follow it.
    MOST_DELAY_SECONDS = 10.0
    MOST_WAITING = 5000
    PAUSE_SECONDS = 0.05

    def __init__(self) -> None:
        self._waiting: list[uuid.UUID] = []
        self._since = 0.0  # when the oldest of them was handed over
        self._wake = asyncio.Event()
        self._settled = asyncio.Event()
        self._settled.set()
        self._stopping = False
        self._hurry = False

    def hand_over(self, signal_ids: list[uuid.UUID]) -> None:
        if signal_ids:
            if not self._waiting:
                self._since = time.monotonic()
            self._waiting.extend(signal_ids)
            self._settled.clear()
            self._wake.set()

    async def _lull(self) -> None:
        give_up = self._since + self.MOST_DELAY_SECONDS
        while (  # noqa: ASYNC110  (a counter, not an event: polled only while signals wait and requests run)
            _answering[0] > 0
            and not (self._hurry or self._stopping)
            and len(self._waiting) < self.MOST_WAITING
            and time.monotonic() < give_up
        ):
            await asyncio.sleep(self.PAUSE_SECONDS)

    async def run(self) -> None:
        """Deliver until ``stop()``, then what is still waiting: after a lull, everything that
        waits, a batch at a time; what is handed over meanwhile waits for the next lull."""
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._waiting:
                await self._lull()
                round_, self._waiting = self._waiting, []
                for start in range(0, len(round_), self.BATCH):
                    taken = round_[start : start + self.BATCH]
                    try:
                        await deliver_many(taken)
                    except Exception:
                        # Committed signals stay in the outbox: the sweeper retries them.
                        log.exception("signal_dispatch_failed", signals=len(taken))
            self._settled.set()
            if self._stopping:
                return

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def settled(self) -> None:
        """Until everything handed over so far has been tried, without waiting for a lull
        (tests, the lifespan's end)."""
        self._hurry = True
        try:
            await self._settled.wait()
        finally:
            self._hurry = False


# Requests this process is answering now (the middleware counts them): the dispatcher's lull.
_answering = [0]


@contextlib.contextmanager
def answering() -> Iterator[None]:
    _answering[0] += 1
    try:
        yield
    finally:
        _answering[0] -= 1


# What the listeners of one batch read more than once (a storm's hundred sign-ups of one event
# name that event a hundred times): read once per batch, forgotten with it.
_batch_memo: ContextVar[dict[Any, Any] | None] = ContextVar("linli_signal_batch_memo", default=None)


async def remembered(key: Any, load: Callable[[], Awaitable[T]]) -> T:
    """``await load()``, once per key within one batch of ``deliver_many``; outside a batch, always."""
    memo = _batch_memo.get()
    if memo is None:
        return await load()
    if key not in memo:
        memo[key] = await load()
    found: T = memo[key]
    return found


def _dispatcher() -> Dispatcher | None:
    current = runtime.current_or_none()
    found = current.extra.get("dispatcher") if current is not None else None
    return found if isinstance(found, Dispatcher) else None


async def settled() -> None:
    """Wait until the current runtime's dispatcher has delivered what it was handed (tests)."""
    dispatcher = _dispatcher()
    if dispatcher is not None:
        await dispatcher.settled()


async def deliver_many(signal_ids: list[uuid.UUID]) -> int:
    """``deliver`` for many: one claim and one mark for all; returns how many were delivered."""
    if not signal_ids:
        return 0
    subscriptions = runtime.current().subscriptions
    now = clock.now()
    lease_free = OutboxSignal.claimed_until.is_null() | (OutboxSignal.claimed_until < now)
    rows = await (
        OutboxSignal.update({OutboxSignal.claimed_until: now + LEASE, OutboxSignal.attempts: OutboxSignal.attempts + 1})
        .where(OutboxSignal.id.is_in(signal_ids) & OutboxSignal.delivered_at.is_null() & lease_free)
        .returning(OutboxSignal.id, OutboxSignal.name, OutboxSignal.payload, OutboxSignal.created_at)
    )
    order = {signal_id: place for place, signal_id in enumerate(signal_ids)}
    rows.sort(key=lambda row: order[as_uuid(row["id"])])  # in the order they were emitted
    errors: dict[uuid.UUID, list[str]] = {as_uuid(row["id"]): [] for row in rows}
    token = _batch_memo.set({})
    try:
        for name, group in _grouped(rows, subscriptions, errors).items():
            for listener in subscriptions[name].listeners:
                await _run_for_group(listener, group, errors)
    finally:
        _batch_memo.reset(token)
    done: list[uuid.UUID] = []
    for signal_id, failures in errors.items():
        if failures:
            await _record_failure(signal_id, failures)
        else:
            done.append(signal_id)
    if done:
        await OutboxSignal.update(
            {OutboxSignal.delivered_at: clock.now(), OutboxSignal.claimed_until: None, OutboxSignal.last_error: None}
        ).where(OutboxSignal.id.is_in(done))
    return len(done)


def batched(each: Listener[P], many: Callable[[list[SignalMessage[P]]], Awaitable[None]]) -> Listener[P]:
    """``each`` with a form for many signals at once, which ``deliver_many`` calls with all the
    signals of one name in its batch (the notices of a hundred sign-ups in one transaction).
    The sweeper and single deliveries call ``each``."""
    each.many = many  # type: ignore[attr-defined]
    return each


def _grouped(
    rows: list[dict[str, Any]], subscriptions: Any, errors: dict[uuid.UUID, list[str]]
) -> dict[str, list[SignalMessage[Any]]]:
    """The batch's signals decoded, by name, in order; one that does not decode is a failure."""
    groups: dict[str, list[SignalMessage[Any]]] = {}
    for row in rows:
        subscription = subscriptions.get(row["name"])
        if subscription is None:
            continue  # nobody listens: delivered
        try:
            payload = msgspec.json.decode(row["payload"], type=subscription.payload_type)
        except msgspec.ValidationError as error:
            errors[as_uuid(row["id"])].append(f"payload of {row['name']} does not decode: {error}")
            continue
        message = SignalMessage(id=as_uuid(row["id"]), name=row["name"], payload=payload, created_at=row["created_at"])
        groups.setdefault(row["name"], []).append(message)
    return groups


async def _run_for_group(
    listener: Listener[Any], group: list[SignalMessage[Any]], errors: dict[uuid.UUID, list[str]]
) -> None:
    """One listener over a group: its batch form once when it has one, else each in turn; a
    failure counts against every signal it was running for."""
    where = getattr(listener, "__qualname__", repr(listener))
    many = getattr(listener, "many", None)
    calls: list[tuple[list[SignalMessage[Any]], Callable[[], Awaitable[None]]]]
    if many is not None and len(group) > 1:
        calls = [(group, lambda: many(group))]
    else:
        calls = [([message], lambda message=message: listener(message)) for message in group]  # type: ignore[misc]
    for covered, call in calls:
        try:
            await call()
        except Exception as error:
            log.exception("signal_listener_failed", signals=len(covered), signal=covered[0].name, listener=where)
            for message in covered:
                errors[message.id].append(f"{where}: {error!r}")


# --- the sweeper --------------------------------------------------------------------------------


async def sweep(*, older_than_seconds: float = 5, limit: int = 100) -> int:
    """Deliver what was left undelivered, oldest first; returns how many were delivered now."""
    now = clock.now()
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
