"""The signal outbox: a signal commits or rolls back with its change, and is delivered once."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest

from backend.accounts import services as accounts
from backend.accounts.tables import Organisation, OrganisationKind
from backend.app import create_app
from backend.core import signals
from backend.core.db import transaction
from backend.core.signals import Signal, SignalMessage
from backend.core.tables import OutboxSignal
from backend.core.wiring import assemble
from backend.domains import DOMAINS

# Generous bounds that only stop a broken test from hanging; nothing asserts on time.
HANG_GUARD_SECONDS = 30


pytestmark = pytest.mark.usefixtures("client")  # an app on each backend, tables empty


class Recorder:
    """A listener that remembers what it was given, and fails while ``failing`` is set."""

    def __init__(self) -> None:
        self.calls: list[SignalMessage] = []
        self.inside_a_transaction: list[bool] = []
        self.failing = False
        self.called = asyncio.Event()

    async def __call__(self, message: SignalMessage) -> None:
        self.calls.append(message)
        self.inside_a_transaction.append(OutboxSignal._meta.db.current_transaction.get() is not None)
        self.called.set()
        await asyncio.sleep(0)  # give racing dispatchers a chance to interleave
        if self.failing:
            raise RuntimeError("listener broke")

    def payloads(self) -> list[dict[str, Any]]:
        return [msgspec.to_builtins(call.payload) for call in self.calls]


_FIELDS = [
    (field, kind | None, None)
    for field, kind in (
        ("registration_id", str),
        ("seats", int),
        ("label", str),
        ("hours", int),
        ("n", int),
        ("organisation_id", str),
    )
]


def probe_type() -> type[Signal]:
    """A signal no other test announces, with a few optional fields."""
    namespace = {"NAME": f"test.probe_{uuid.uuid4().hex}"}
    return msgspec.defstruct(
        "Probe", _FIELDS, bases=(Signal,), namespace=namespace, kw_only=True, frozen=True, omit_defaults=True
    )


@pytest.fixture
def probe() -> type[Signal]:
    return probe_type()


@pytest.fixture
def recorder_for(app: Any) -> Iterator[Any]:
    """``recorder_for(probe)``: a Recorder listening to that signal in the test's app, taken away after."""
    undo: list[Any] = []

    def subscribe(payload_type: type[Signal], into: Any = None) -> Recorder:
        recorder = Recorder()
        undo.append((into or app).state.runtime.subscribe(payload_type, recorder))
        return recorder

    yield subscribe
    for step in undo:
        step()


async def crashed_signal(probe: type[Signal], payload: dict[str, Any] | None = None) -> uuid.UUID:
    """A committed signal whose delivery never happened, as a crash right after commit leaves it."""
    signal_id = uuid.uuid4()
    created_at = datetime.now(UTC) - timedelta(minutes=1)
    await OutboxSignal.insert(OutboxSignal(id=signal_id, name=probe.NAME, payload=payload or {}, created_at=created_at))
    return signal_id


async def stored(signal_id: uuid.UUID) -> dict[str, Any]:
    row = await OutboxSignal.select().where(OutboxSignal.id == signal_id).first()
    assert row is not None
    return row


async def expire_lease(signal_id: uuid.UUID) -> None:
    past = datetime.now(UTC) - timedelta(seconds=1)
    await OutboxSignal.update({OutboxSignal.claimed_until: past}).where(OutboxSignal.id == signal_id)


class Boom(Exception):
    pass


# --- after commit -------------------------------------------------------------------------------


async def test_a_committed_signal_reaches_every_listener_once_in_emission_order(
    probe: type[Signal], recorder_for: Any
) -> None:
    first, second = recorder_for(probe), recorder_for(probe)
    async with signals.atomic():
        one = await signals.emit(probe(**{"registration_id": "r-1", "seats": 2}))
        two = await signals.emit(probe(**{"registration_id": "r-2"}))
        assert first.calls == []  # nothing before the commit

    for recorder in (first, second):
        assert [call.id for call in recorder.calls] == [one, two]
        assert all(type(call.id) is uuid.UUID for call in recorder.calls)  # not asyncpg's own type
        assert recorder.calls[0].name == probe.NAME
        assert recorder.payloads() == [{"registration_id": "r-1", "seats": 2}, {"registration_id": "r-2"}]
        assert recorder.calls[0].created_at.tzinfo is not None
        assert recorder.inside_a_transaction == [False, False]  # after the commit, not before
    for signal_id in (one, two):
        row = await stored(signal_id)
        assert row["delivered_at"] is not None
        assert row["attempts"] == 1
        assert row["last_error"] is None


async def test_two_apps_in_one_process_do_not_share_listeners(
    probe: type[Signal], recorder_for: Any, settings: Any, app: Any
) -> None:
    """Listeners belong to the app built from the domain list, not to the process."""
    other = create_app(settings)
    here, there = recorder_for(probe), recorder_for(probe, into=other)
    async with signals.atomic():
        await signals.emit(probe())
    assert len(here.calls) == 1
    assert there.calls == []  # the other app's runtime was not asked
    assert probe.NAME not in assemble(DOMAINS, settings).subscriptions  # nor a fresh one


async def test_a_signal_with_a_bad_name_or_payload_is_refused(probe: type[Signal], recorder_for: Any) -> None:
    with pytest.raises(TypeError):
        msgspec.defstruct("NoDomain", [], bases=(Signal,), namespace={"NAME": "NoDomain"})
    with pytest.raises(TypeError):
        msgspec.defstruct("Unnamed", [], bases=(Signal,))
    with pytest.raises(TypeError):
        async with signals.atomic():
            await signals.emit({"registration_id": "r-1"})  # type: ignore[arg-type]  # a payload is a Signal
    assert await OutboxSignal.count() == 0


# --- rollback and misuse ------------------------------------------------------------------------


async def test_a_rolled_back_block_stores_and_delivers_nothing(probe: type[Signal], recorder_for: Any) -> None:
    recorder = recorder_for(probe)
    created: list[uuid.UUID] = []
    with pytest.raises(Boom):
        async with signals.atomic():
            city = await accounts.create_organisation(kind=OrganisationKind.city, name={"en": "Suzhou"}, parent_id=None)
            created.append(city.id)
            await signals.emit(probe(**{"organisation_id": str(city.id)}))
            raise Boom

    assert await Organisation.count().where(Organisation.id == created[0]) == 0  # the change is gone
    assert await OutboxSignal.count() == 0  # and so is its signal
    assert recorder.calls == []


async def test_emit_outside_atomic_is_refused(probe: type[Signal], recorder_for: Any) -> None:
    recorder = recorder_for(probe)
    with pytest.raises(RuntimeError):
        await signals.emit(probe())
    assert await OutboxSignal.count() == 0
    assert recorder.calls == []


async def test_atomic_inside_a_transaction_it_does_not_own_is_refused(probe: type[Signal], recorder_for: Any) -> None:
    """Else it would deliver when its block ends, before the enclosing transaction commits."""
    recorder = recorder_for(probe)
    with pytest.raises(RuntimeError):
        async with transaction(OutboxSignal._meta.db), signals.atomic():
            await signals.emit(probe())
    assert await OutboxSignal.count() == 0
    assert recorder.calls == []


async def test_nested_blocks_deliver_only_when_the_outermost_commits(probe: type[Signal], recorder_for: Any) -> None:
    recorder = recorder_for(probe)
    async with signals.atomic():
        async with signals.atomic():
            signal_id = await signals.emit(probe())
        assert recorder.calls == []  # the inner block ended, but nothing is committed yet
        assert (await stored(signal_id))["delivered_at"] is None
    assert [call.id for call in recorder.calls] == [signal_id]


async def test_a_nested_block_rolls_back_with_the_outermost(probe: type[Signal], recorder_for: Any) -> None:
    recorder = recorder_for(probe)
    with pytest.raises(Boom):
        async with signals.atomic():
            async with signals.atomic():
                await signals.emit(probe())
            raise Boom
    assert await OutboxSignal.count() == 0
    assert recorder.calls == []


async def test_concurrent_blocks_keep_their_own_signals(probe: type[Signal], recorder_for: Any) -> None:
    """One task's failure drops its own signals only, never those of a task beside it."""
    recorder = recorder_for(probe)

    async def block(label: str, fail: bool) -> None:
        async with signals.atomic():
            await asyncio.sleep(0)
            await signals.emit(probe(**{"label": label}))
            await asyncio.sleep(0)
            if fail:
                raise Boom

    results = await asyncio.gather(block("kept", False), block("dropped", True), return_exceptions=True)

    assert results[0] is None and isinstance(results[1], Boom)
    assert [call.payload.label for call in recorder.calls] == ["kept"]
    assert await OutboxSignal.count() == 1


# --- crashes and failures -----------------------------------------------------------------------


async def test_the_sweeper_delivers_what_a_crash_left_behind_exactly_once(
    probe: type[Signal], recorder_for: Any
) -> None:
    recorder = recorder_for(probe)
    signal_id = await crashed_signal(probe, {"hours": 3})
    async with signals.atomic():
        # Written a moment ago: its own post-commit delivery is in charge, not the sweeper.
        fresh_id = await signals.emit(probe_type()())
    await OutboxSignal.update({OutboxSignal.delivered_at: None}).where(OutboxSignal.id == fresh_id)

    assert await signals.sweep() == 1
    assert await signals.sweep() == 0

    assert [(call.id, msgspec.to_builtins(call.payload)) for call in recorder.calls] == [(signal_id, {"hours": 3})]
    assert (await stored(signal_id))["delivered_at"] is not None
    assert (await stored(fresh_id))["delivered_at"] is None


async def test_a_failing_listener_does_not_fail_the_caller_and_is_retried(
    probe: type[Signal], recorder_for: Any
) -> None:
    broken, healthy = recorder_for(probe), recorder_for(probe)
    broken.failing = True
    async with signals.atomic():  # completes: the change is committed whatever a listener does
        signal_id = await signals.emit(probe())

    row = await stored(signal_id)
    assert row["delivered_at"] is None
    assert row["attempts"] == 1
    assert "listener broke" in row["last_error"]
    assert len(healthy.calls) == 1  # one broken listener does not hold the others back

    assert await signals.deliver(signal_id) is False  # the lease still holds it back
    assert (await stored(signal_id))["attempts"] == 1

    broken.failing = False
    await expire_lease(signal_id)
    assert await signals.sweep(older_than_seconds=0) == 1  # the signal is only moments old here

    row = await stored(signal_id)
    assert row["delivered_at"] is not None
    assert row["attempts"] == 2
    assert row["last_error"] is None
    assert len(broken.calls) == 2


async def test_deliver_reports_a_failing_listener(probe: type[Signal], recorder_for: Any) -> None:
    recorder = recorder_for(probe)
    recorder.failing = True
    signal_id = await crashed_signal(probe)

    assert await signals.deliver(signal_id) is False

    row = await stored(signal_id)
    assert (row["delivered_at"], row["attempts"]) == (None, 1)
    assert "RuntimeError" in row["last_error"]
    assert row["claimed_until"] is not None


# --- races --------------------------------------------------------------------------------------


async def test_concurrent_deliveries_of_one_signal_run_the_listener_once(
    probe: type[Signal], recorder_for: Any
) -> None:
    recorder = recorder_for(probe)
    signal_id = await crashed_signal(probe)

    results = await asyncio.gather(*(signals.deliver(signal_id) for _ in range(10)))

    assert sorted(results) == [False] * 9 + [True]
    assert len(recorder.calls) == 1
    assert (await stored(signal_id))["attempts"] == 1


async def test_concurrent_sweeps_deliver_each_signal_once(probe: type[Signal], recorder_for: Any) -> None:
    recorder = recorder_for(probe)
    signal_ids = {await crashed_signal(probe, {"n": n}) for n in range(20)}

    delivered = await asyncio.gather(signals.sweep(), signals.sweep())

    assert sum(delivered) == 20
    assert Counter(call.id for call in recorder.calls) == Counter(signal_ids)
    assert await OutboxSignal.count().where(OutboxSignal.delivered_at.is_null()) == 0


# --- the sweeper loop ---------------------------------------------------------------------------


async def test_the_sweeper_loop_sweeps_and_stops_when_told(probe: type[Signal], recorder_for: Any) -> None:
    recorder = recorder_for(probe)
    await crashed_signal(probe)
    stop = asyncio.Event()
    task = asyncio.create_task(signals.run_sweeper(interval_seconds=3600, stop=stop))

    await asyncio.wait_for(recorder.called.wait(), HANG_GUARD_SECONDS)
    stop.set()
    await asyncio.wait_for(task, HANG_GUARD_SECONDS)  # returns without waiting out the hour

    assert len(recorder.calls) == 1


async def test_a_failed_round_does_not_end_the_sweeper_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    rounds: list[int] = []
    second_round = asyncio.Event()

    async def flaky_sweep() -> int:
        rounds.append(len(rounds))
        if len(rounds) == 1:
            raise ConnectionError("database went away")
        second_round.set()
        return 0

    monkeypatch.setattr(signals, "sweep", flaky_sweep)
    stop = asyncio.Event()
    task = asyncio.create_task(signals.run_sweeper(interval_seconds=0, stop=stop))

    await asyncio.wait_for(second_round.wait(), HANG_GUARD_SECONDS)
    stop.set()
    await asyncio.wait_for(task, HANG_GUARD_SECONDS)

    assert len(rounds) >= 2


async def test_the_app_sweeps_in_the_background(
    probe: type[Signal], recorder_for: Any, settings: Any, shared_redis: Any
) -> None:
    """A running app re-delivers on its own what a crash left behind (LINLI_SIGNAL_SWEEP_SECONDS)."""
    from tests.conftest import build_app, serve_in_process

    signal_id = await crashed_signal(probe)
    app = build_app(settings, shared_redis, signal_sweep_seconds=0.05)
    recorder = recorder_for(probe, into=app)
    async with serve_in_process(app):
        await asyncio.wait_for(recorder.called.wait(), timeout=30)
    # Leaving the app waits for the sweeper's round to finish, which marks the signal delivered.
    assert (await stored(signal_id))["delivered_at"] is not None
    assert [call.id for call in recorder.calls] == [signal_id]


async def test_a_batch_calls_a_listeners_many_form_once_and_its_failure_counts_for_each(
    app: Any, probe: type[Signal], recorder_for: Any
) -> None:
    healthy = recorder_for(probe)
    groups: list[int] = []
    singles: list[uuid.UUID] = []
    failing = True

    async def each(message: signals.SignalMessage[Any]) -> None:
        singles.append(message.id)

    async def many(messages: list[signals.SignalMessage[Any]]) -> None:
        groups.append(len(messages))
        if failing:
            raise Boom("the batch broke")

    undo = app.state.runtime.subscribe(probe, signals.batched(each, many))
    try:
        ids = [await crashed_signal(probe, {"n": n}) for n in range(3)]
        assert await signals.deliver_many(ids) == 0
        assert groups == [3] and singles == []  # the many-form, once for the three
        assert len(healthy.calls) == 3  # the other listener ran for each all the same
        for signal_id in ids:
            row = await stored(signal_id)
            assert row["delivered_at"] is None and "the batch broke" in row["last_error"]
            await expire_lease(signal_id)
        failing = False
        assert await signals.sweep(older_than_seconds=0) == 3  # the sweeper: one at a time
        assert sorted(singles) == sorted(ids) and groups == [3]
    finally:
        undo()


async def test_the_dispatcher_waits_for_a_lull_in_the_answers() -> None:
    """While the process answers requests, signals wait (a burst gets its answers first); they
    go when the answers stop, when too many wait, or when someone needs them settled."""
    dispatcher = signals.Dispatcher()
    dispatcher.hand_over([uuid.uuid4()])
    with signals.answering():
        lull = asyncio.create_task(dispatcher._lull())
        await asyncio.sleep(3 * dispatcher.PAUSE_SECONDS)
        assert not lull.done()  # a request is being answered: the signal waits
    await asyncio.wait_for(lull, timeout=30)  # the answer went: the lull has come

    with signals.answering():
        dispatcher.hand_over([uuid.uuid4() for _ in range(dispatcher.MOST_WAITING)])
        await asyncio.wait_for(dispatcher._lull(), timeout=30)  # too many wait: they go anyway
        dispatcher._waiting = dispatcher._waiting[:1]
        dispatcher._hurry = True
        await asyncio.wait_for(dispatcher._lull(), timeout=30)  # settled() asked for them
