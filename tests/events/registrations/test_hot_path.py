"""The sign-up's hot path: a handful of statements, nothing after COMMIT, listeners after the
answer, and the same rules as the careful path (seats, line, one place each, the limit)."""

from __future__ import annotations

import asyncio
import importlib
import uuid
from typing import Any

import httpx
import pytest
from litestar import Litestar
from redis.asyncio import Redis

from backend.core import clock, signals
from backend.core.db import is_postgres
from backend.core.tables import OutboxSignal
from backend.events.api import RegistrationConfirmed
from backend.events.catalogue.tables import Event
from backend.events.registrations.tables import Registration
from backend.events.sharing.tables import ShareLink
from backend.notifications.tables import Notice
from backend.settings import Settings
from tests import factories
from tests.conftest import build_app, serve_in_process
from tests.events.registrations.test_registrations import event, place  # noqa: F401  (place: a fixture)
from tests.statements import round_trips_to_postgres, statements_run

Client = httpx.AsyncClient


def signing_up(event_id: uuid.UUID, user: Any, **body: Any) -> dict[str, Any]:
    return {
        "url": f"/api/v1/events/{event_id}/registrations",
        "json": {"party_size": 1, **body},
        "headers": {**factories.token_for(user), "Idempotency-Key": uuid.uuid4().hex},
    }


async def test_a_sign_up_runs_four_statements_and_none_after_its_insert(client: Client, place: dict[str, Any]) -> None:
    """Who is asking, then on PostgreSQL one statement (the person held inside it, the UPDATE of
    the event, the INSERT of the registration with its signal), on SQLite the UPDATE and two
    INSERTs after BEGIN IMMEDIATE (which holds everyone): the answer is built from what they
    returned, so nothing can fail after the commit."""
    ev = await event(place, capacity=1, max_party_size=1)
    first, second = await factories.resident(), await factories.resident()
    for resident, status, position in ((first, "confirmed", None), (second, "waitlisted", 1)):
        call = signing_up(ev.id, resident)
        with statements_run(this_task_only=True) as seen:
            answer = await client.post(call["url"], json=call["json"], headers=call["headers"])
        assert answer.status_code == 201, answer.text
        body = answer.json()
        assert (body["status"], body["waitlist_position"], body["seats_left"]) == (status, position, 0)
        assert body["event"]["title"] and body["event"]["venue_name"]
        assert len(seen) <= (2 if is_postgres(Event._meta.db) else 4), seen
        # The last statement before COMMIT writes the signal: on PostgreSQL it is also the
        # UPDATE and the INSERT (one statement), on SQLite they come just before it.
        assert "core_outbox_signal" in seen[-1], seen
        assert "UPDATE event_event" in "".join(seen[-3:]) and "INSERT INTO event_registration" in "".join(seen[-2:])


async def test_the_answer_does_not_wait_for_the_listeners(app: Litestar, client: Client, place: dict[str, Any]) -> None:
    ev = await event(place, capacity=5)
    resident = await factories.resident()
    release = asyncio.Event()
    started = asyncio.Event()

    async def slow_listener(message: signals.SignalMessage[RegistrationConfirmed]) -> None:
        started.set()
        await release.wait()

    undo = app.state.runtime.subscribe(RegistrationConfirmed, slow_listener)
    try:
        # A client without the tests' wait for the dispatcher: as the mini-program sees it.
        transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as bare:
            call = signing_up(ev.id, resident)
            answer = await bare.post(call["url"], json=call["json"], headers=call["headers"])
        assert answer.status_code == 201, answer.text
        await asyncio.wait_for(started.wait(), timeout=10)  # the dispatcher is on it, the answer has gone
        [row] = await OutboxSignal.select(OutboxSignal.delivered_at).where(
            OutboxSignal.name == RegistrationConfirmed.NAME
        )
        assert row["delivered_at"] is None
    finally:
        release.set()
        await signals_settled(app)
        undo()
    [row] = await OutboxSignal.select(OutboxSignal.delivered_at).where(OutboxSignal.name == RegistrationConfirmed.NAME)
    assert row["delivered_at"] is not None
    assert await Notice.count().where(Notice.recipient == resident.id) == 1  # the inbox notice, after the answer


async def signals_settled(app: Litestar) -> None:
    await app.state.runtime.extra["dispatcher"].settled()


async def test_a_share_card_credits_its_sharer_on_the_hot_path(client: Client, place: dict[str, Any]) -> None:
    ev = await event(place)
    sharer, neighbour = await factories.resident(), await factories.resident()
    code = "Nb" + uuid.uuid4().hex[:8]  # as a share card makes it
    await ShareLink.insert(ShareLink(id=uuid.uuid4(), code=code, event=ev.id, sharer=sharer.id, created_at=clock.now()))
    for who, expected in ((neighbour, sharer.id), (sharer, None)):  # one's own card credits nobody
        call = signing_up(ev.id, who, share_code=code)
        with statements_run(this_task_only=True) as seen:
            answer = await client.post(call["url"], json=call["json"], headers=call["headers"])
        assert answer.status_code == 201, answer.text
        assert len(seen) <= (2 if is_postgres(Event._meta.db) else 4), seen
        row = await Registration.select(Registration.referred_by).where(Registration.user == who.id).first()
        assert (row["referred_by"] and str(row["referred_by"])) == (expected and str(expected))


async def test_one_person_racing_themselves_holds_the_limit(
    client: Client, place: dict[str, Any], settings: Settings, shared_redis: Redis | None
) -> None:
    """Sign-ups of one resident for six events at once, with a limit of two upcoming places: the
    hold queues them, and each UPDATE counts the places the ones before it committed."""
    app = build_app(settings, shared_redis, max_upcoming_registrations=2, signup_rate_limit=100)
    events = [await event(place) for _ in range(6)]
    resident = await factories.resident()
    async with serve_in_process(app) as api:
        calls = [signing_up(e.id, resident) for e in events]
        answers = await asyncio.gather(*(api.post(c["url"], json=c["json"], headers=c["headers"]) for c in calls))
    codes = sorted(a.status_code for a in answers)
    assert codes == [201, 201, 409, 409, 409, 409], [a.text for a in answers]
    assert {a.json()["code"] for a in answers if a.status_code == 409} == {"too_many_registrations"}
    assert await Registration.count().where(Registration.user == resident.id) == 2


async def test_a_retry_of_a_committed_sign_up_gets_the_same_place(client: Client, place: dict[str, Any]) -> None:
    ev = await event(place, capacity=1, max_party_size=1)
    resident = await factories.resident()
    call = signing_up(ev.id, resident)
    answers = await asyncio.gather(
        *(client.post(call["url"], json=call["json"], headers=call["headers"]) for _ in range(5))
    )
    assert {a.status_code for a in answers} == {201}
    assert len({a.json()["id"] for a in answers}) == 1
    assert await Registration.count().where(Registration.event == ev.id) == 1
    row = (
        await Event.select(Event.seats_taken, Event.waitlist_count, Event.queue_counter)
        .where(Event.id == ev.id)
        .first()
    )
    assert (row["seats_taken"], row["waitlist_count"]) == (1, 0)


async def test_one_batch_of_notices_reads_their_event_once(
    app: Litestar, client: Client, place: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sign-ups answered while the dispatcher is busy wait for it together; their notices name
    the same event, read once for the batch."""
    from backend.notifications import sources

    ev = await event(place, capacity=10)
    residents = [await factories.resident() for _ in range(4)]
    reads: list[uuid.UUID] = []
    summary = sources.event_summary

    async def counted(event_id: uuid.UUID) -> Any:
        reads.append(event_id)
        return await summary(event_id)

    monkeypatch.setattr(sources, "event_summary", counted)
    release, started = asyncio.Event(), asyncio.Event()

    async def hold_first(message: signals.SignalMessage[RegistrationConfirmed]) -> None:
        if not started.is_set():
            started.set()
            await release.wait()

    undo = app.state.runtime.subscribe(RegistrationConfirmed, hold_first)
    try:
        transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as bare:
            first = signing_up(ev.id, residents[0])
            assert (await bare.post(first["url"], json=first["json"], headers=first["headers"])).status_code == 201
            await asyncio.wait_for(started.wait(), timeout=10)
            for resident in residents[1:]:  # answered while the dispatcher holds the first batch
                call = signing_up(ev.id, resident)
                assert (await bare.post(call["url"], json=call["json"], headers=call["headers"])).status_code == 201
    finally:
        release.set()
        await signals_settled(app)
        undo()
    assert reads == [ev.id, ev.id]  # the first batch, then the three that waited together
    assert await Notice.count().where(Notice.recipient.is_in([r.id for r in residents])) == 4


@pytest.mark.parametrize("backend", ["postgres"])  # SQLite is in the process: no round trips
async def test_a_sign_up_is_two_round_trips_to_postgres(client: Client, backend: str, place: dict[str, Any]) -> None:
    """PostgreSQL: who is asking, then one statement that is a transaction by itself: the UPDATE
    (whose count of the person's places holds the person first, ``event_places_held``) with the
    INSERT and the signal; no BEGIN, no COMMIT. The hold still serialises one person's requests
    (``test_one_person_racing_themselves_holds_the_limit``)."""
    ev = await event(place, capacity=5)
    resident = await factories.resident()
    call = signing_up(ev.id, resident)
    with round_trips_to_postgres() as sent:
        answer = await client.post(call["url"], json=call["json"], headers=call["headers"])
    assert answer.status_code == 201, answer.text
    assert len(sent) == 2, sent
    statement = sent[1]
    assert "UPDATE event_event" in statement and "INSERT INTO event_registration" in statement, sent
    assert "event_places_held(" in statement and "core_outbox_signal" in statement, sent
    assert not any(message.startswith(("BEGIN", "COMMIT")) for message in sent), sent


@pytest.mark.parametrize("backend", ["postgres"])  # the function is PostgreSQL's; SQLite's writes take turns
async def test_the_places_held_are_counted_after_the_person_is_held(
    client: Client, backend: str, place: dict[str, Any]
) -> None:
    """``event_places_held`` holds the person's row, then counts with what committed meanwhile:
    a sign-up that waited for another of the same person's sees its place (the statement's own
    snapshot, taken before the wait, would not)."""
    ev = await event(place)
    resident = await factories.resident()
    engine = Event._meta.db
    first, second = await engine.get_new_connection(), await engine.get_new_connection()
    held = "SELECT event_places_held('account_user', $1, $2)"
    try:
        await first.execute("BEGIN")
        assert await first.fetchval(held, resident.id, clock.now()) == 0
        await first.execute(
            'INSERT INTO event_registration (id, event, "user", party_size, status, queue_number, created_at) '
            "VALUES ($1, $2, $3, 1, 'confirmed', 1, $4)",
            uuid.uuid4(),
            ev.id,
            resident.id,
            clock.now(),
        )
        waiting = asyncio.create_task(second.fetchval(held, resident.id, clock.now()))
        pid = second.get_server_pid()
        for _ in range(400):  # until PostgreSQL says the second waits for a lock: the person's
            if await first.fetchval("SELECT wait_event_type FROM pg_stat_activity WHERE pid = $1", pid) == "Lock":
                break
            await asyncio.sleep(0.025)
        else:
            raise AssertionError("the second count never waited for the person")
        assert not waiting.done()
        await first.execute("COMMIT")
        assert await asyncio.wait_for(waiting, 10) == 1
    finally:
        await first.close()
        await second.close()


@pytest.mark.parametrize("backend", ["postgres", "sqlite"])
async def test_the_functions_migration_goes_back_and_forth(client: Client, backend: str) -> None:
    """Backwards drops ``event_places_held`` (PostgreSQL) and forwards makes it again, as often as
    `linli migrate` runs; on SQLite it does nothing either way."""
    migration = importlib.import_module("backend.events.piccolo_migrations.events_2026_12_06t06_20_00_000000")
    migration.Registration._meta.db = Event._meta.db  # the test's database, as `linli migrate` sets its own

    async def present() -> bool:
        if backend == "sqlite":
            return False
        rows = await Event.raw("SELECT count(*) AS n FROM pg_proc WHERE proname = 'event_places_held'")
        return bool(rows[0]["n"])

    assert await present() is (backend == "postgres")
    try:
        await (await migration.forwards()).run(backwards=True)
        assert await present() is False
    finally:
        await (await migration.forwards()).run()
        await (await migration.forwards()).run()
    assert await present() is (backend == "postgres")
