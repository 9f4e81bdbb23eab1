"""Faults under a running app: Redis stopping under load, PostgreSQL restarting, WeChat timing out
or busy. Each test breaks a real dependency (its own throwaway Redis or PostgreSQL server, the
fake WeChat over real HTTP) and checks what residents see and that nothing confirmed is lost.

Why the app behaves so is written where it is decided: ``backend/core/stores.py`` (Redis away),
``backend/core/db.py`` and ``backend/core/errors.py`` (the database away), ``backend/core/wechat.py``
(WeChat away).
"""

from __future__ import annotations

import asyncio
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from litestar import Litestar
from redis.asyncio import Redis

from backend.accounts.tables import User
from backend.core import jobs, runtime, signals
from backend.core import wechat as wechat_module
from backend.core.errors import unavailable_error
from backend.core.tables import FailedJob, OutboxSignal
from backend.core.wechat import WechatUnavailable
from backend.events.catalogue.tables import Event
from backend.events.registrations.tables import Registration
from backend.notifications import reminders
from backend.notifications.tables import Notice, OutboundMessage, SubscriptionBudget
from backend.settings import Settings
from tests import factories
from tests.conftest import build_app, migrate, serve_in_process
from tests.fakes.wechat import FakeWechat
from tests.servers import PostgresServer, start_postgres, start_redis

Client = httpx.AsyncClient
PROBLEM = "application/problem+json"
REGISTRATION_TEMPLATE = "tplRegistrationConfirmed01"
REGISTRATION_KEYWORDS = ("thing1", "time2", "thing3", "thing4")
# Short enough that a stalled WeChat call times out quickly, long enough for a loaded CI box.
WECHAT_TIMEOUT = 0.5


async def _until(deadline: float, probe: Any) -> Any:
    """Call ``probe`` until it returns something other than None, or fail at ``deadline``."""
    while True:
        outcome = await probe()
        if outcome is not None:
            return outcome
        assert time.monotonic() < deadline, "the app did not recover in time"
        await asyncio.sleep(0.1)


def _assert_problem(answer: httpx.Response, status: int, code: str, locale: str) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith(PROBLEM)
    assert answer.headers["content-language"] == locale
    body = answer.json()
    assert (body["status"], body["code"]) == (status, code)
    if status == 503:
        assert int(answer.headers["retry-after"]) > 0
    return body


# --- Redis stops under load ------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["postgres"])  # SQLite mode has no Redis to lose
async def test_redis_stopping_under_load_loses_no_sign_up_and_no_read(
    settings: Settings, tmp_path: Path, client: Client
) -> None:
    tree = await factories.city_tree()
    venue = await factories.venue(tree["community_a"], tree["community_a"])
    # Seats for two thirds: the sign-ups answered while Redis is away are confirmed ones too.
    capacity, people = 24, 36
    event = await factories.published_event(tree["street_a"], venue, capacity=capacity, max_party_size=1)
    other = await factories.published_event(tree["street_a"], venue, capacity=5)
    residents = [await factories.resident() for _ in range(people)]
    server = start_redis(tmp_path)  # this test's own: stopping it disturbs nobody else
    redis = Redis.from_url(server.url, socket_timeout=2, socket_connect_timeout=2)
    # A template, so each sign-up's notice queues a delivery job (into Redis) after its commit.
    app = build_app(settings, redis, wechat_template_registration=REGISTRATION_TEMPLATE)
    phase = "up"
    reads: Counter[tuple[str, int]] = Counter()
    answers: dict[int, httpx.Response] = {}
    answered_while: dict[int, str] = {}
    half_way, went_down, stopped, done = asyncio.Event(), asyncio.Event(), asyncio.Event(), asyncio.Event()

    async def read_forever(api: Client, lang: str) -> None:
        paths = ["/api/v1/events", f"/api/v1/events/{event.id}", f"/api/v1/events/{other.id}", "/api/v1/events?limit=5"]
        turn = 0
        while not done.is_set():
            answer = await api.get(paths[turn % len(paths)], headers={"Accept-Language": lang})
            reads[(phase, answer.status_code)] += 1
            turn += 1

    async def sign_up(api: Client, index: int, gate: asyncio.Semaphore) -> None:
        if index >= people // 3:
            # The rest are sent once Redis is gone: answers come fast now (their notices follow
            # them), and could all be in before the stop has finished.
            await went_down.wait()
        async with gate:
            answers[index] = await api.post(
                f"/api/v1/events/{event.id}/registrations",
                json={"party_size": 1},
                headers={**factories.token_for(residents[index]), "Idempotency-Key": f"storm-{index}"},
            )
            answered_while[index] = phase
        if len(answers) == people // 3:
            half_way.set()  # a third answered with Redis up: stop it now
        if len(answers) == 2 * people // 3:
            stopped.set()  # another third answered without Redis: bring it back

    async def break_and_mend() -> None:
        nonlocal phase
        await half_way.wait()
        await asyncio.to_thread(server.stop)
        phase = "down"
        went_down.set()
        await stopped.wait()
        await asyncio.to_thread(server.start)  # empty, as after a crash without persistence
        phase = "back"

    try:
        async with serve_in_process(app) as api:
            gate = asyncio.Semaphore(6)
            readers = [asyncio.create_task(read_forever(api, lang)) for lang in ("zh-Hans", "ja", "en")]
            try:
                await asyncio.gather(*(sign_up(api, index, gate) for index in range(people)), break_and_mend())
            finally:
                done.set()
                await asyncio.gather(*readers)
            assert (await api.get("/ready")).json()["status"] == "ready"  # Redis is back
            # An Idempotency-Key lives in the database: a retry replays the answer given without Redis.
            without = next(index for index, when in answered_while.items() if when == "down")
            again = await api.post(
                f"/api/v1/events/{event.id}/registrations",
                json={"party_size": 1},
                headers={**factories.token_for(residents[without]), "Idempotency-Key": f"storm-{without}"},
            )
            assert again.status_code == 201, again.text
            assert again.json()["id"] == answers[without].json()["id"]
            listed = await api.get(f"/api/v1/events/{event.id}")
            assert listed.json()["seats_left"] == 0

            # A listener could not queue its delivery job while Redis was away: the signal stayed in
            # the outbox, and the sweeper delivers it again (once its lease, 60 s, has run out).
            undelivered = await OutboxSignal.count().where(OutboxSignal.delivered_at.is_null())
            assert undelivered > 0  # the outage really hit the enqueue after commit
            await OutboxSignal.update(
                {OutboxSignal.claimed_until: None, OutboxSignal.created_at: datetime.now(UTC) - timedelta(minutes=2)}
            ).where(OutboxSignal.delivered_at.is_null())
            with runtime.bound(app.state.runtime):  # this app's listeners and job queue
                assert await signals.sweep(limit=1000) == undelivered
                # The jobs queued before the crash went with Redis (it kept nothing on disk); the
                # periodic round queues again every message still waiting for its job, ten minutes on.
                await reminders.requeue_stranded(now=datetime.now(UTC) + timedelta(minutes=11))
            assert await app.state.jobs.queue.count("queued") == capacity  # one job per message
    finally:
        server.stop()
        await redis.aclose()

    # Public reads answered all along, while Redis was away too.
    assert {status for _, status in reads} == {200}, reads
    assert reads[("down", 200)] > 0 and reads[("back", 200)] > 0
    # Every sign-up was answered 201: none needed Redis.
    assert sorted(answer.status_code for answer in answers.values()) == [201] * people, {
        i: a.text for i, a in answers.items() if a.status_code != 201
    }
    answered = {uuid.UUID(answer.json()["id"]): answer.json()["status"] for answer in answers.values()}
    rows = await Registration.select(Registration.id, Registration.status, Registration.queue_number).where(
        Registration.event == event.id
    )
    # Nothing lost, nothing made up: the database holds exactly what was answered, as answered.
    assert {row["id"]: row["status"] for row in rows} == answered
    statuses = Counter(row["status"] for row in rows)
    assert statuses == {"confirmed": capacity, "waitlisted": people - capacity}
    assert len({row["queue_number"] for row in rows}) == people
    seats = await Event.select(Event.seats_taken).where(Event.id == event.id).first()
    assert seats["seats_taken"] == capacity
    # Every sign-up got its notice, and every confirmed one its (single) message waiting to go.
    kinds = Counter(row["kind"] for row in await Notice.select(Notice.kind))
    assert kinds == {"registration_confirmed": capacity, "registration_waitlisted": people - capacity}
    assert await OutboundMessage.count().where(OutboundMessage.status == "queued") == capacity


# --- PostgreSQL restarts ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def restartable_postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL of this module's own (restarting the shared one would disturb other tests),
    durable: an acknowledged commit survives the immediate stop."""
    with tempfile.TemporaryDirectory(prefix="linli-faults-") as base:
        server = start_postgres(Path(base), durable=True)
        try:
            migrate(server.url)
            yield server
        finally:
            server.stop()


async def _sign_up(api: Client, event_id: uuid.UUID, user: User, key: str, lang: str = "zh-Hans") -> httpx.Response:
    return await api.post(
        f"/api/v1/events/{event_id}/registrations",
        json={"party_size": 1},
        headers={**factories.token_for(user), "Idempotency-Key": key, "Accept-Language": lang},
    )


@pytest.mark.parametrize("backend", ["postgres"])
async def test_postgres_restarting_is_a_503_then_the_app_recovers_by_itself(
    settings: Settings, shared_redis: Redis | None, restartable_postgres: PostgresServer
) -> None:
    pool = 3  # small, so a connection lost by a broken transaction would starve the app at once
    app = build_app(settings, shared_redis, database_url=restartable_postgres.url, database_pool_size=pool)
    async with serve_in_process(app) as api:
        tree = await factories.city_tree()
        venue = await factories.venue(tree["community_a"], tree["community_a"])
        event = await factories.published_event(tree["street_a"], venue, capacity=20, max_party_size=1)
        residents = [await factories.resident() for _ in range(12)]
        before = [await _sign_up(api, event.id, resident, f"before-{i}") for i, resident in enumerate(residents[:4])]
        assert [answer.status_code for answer in before] == [201] * 4
        confirmed = {answer.json()["id"] for answer in before}

        # Transactions in flight on every pooled connection when PostgreSQL goes down.
        engine = app.state["engine"]
        inside, crashed = asyncio.Event(), asyncio.Event()
        entered: list[int] = []

        async def in_flight() -> None:
            async with engine.transaction():
                await Event.select(Event.id).where(Event.id == event.id)
                entered.append(1)
                if len(entered) == pool:
                    inside.set()
                await crashed.wait()
                await Event.select(Event.id).where(Event.id == event.id)

        flights = [asyncio.create_task(in_flight()) for _ in range(pool)]
        await inside.wait()
        await asyncio.to_thread(restartable_postgres.stop)
        crashed.set()
        failures = await asyncio.gather(*flights, return_exceptions=True)
        assert all(isinstance(failure, Exception) and unavailable_error(failure) for failure in failures), failures

        try:
            # Down: 503 problem+json in the caller's language, with Retry-After; never a 500.
            down = await _sign_up(api, event.id, residents[4], "during", lang="ja")
            assert (
                _assert_problem(down, 503, "service_unavailable", "ja")["detail"]
                == "サービスは一時的にご利用いただけません。"
            )
            me = await api.get("/api/v1/me", headers={**factories.token_for(residents[0]), "Accept-Language": "ko"})
            _assert_problem(me, 503, "service_unavailable", "ko")
            ready = await api.get("/ready", headers={"Accept-Language": "en"})
            assert _assert_problem(ready, 503, "not_ready", "en")["params"]["database"] is False
            public = await api.get(f"/api/v1/events/{event.id}")
            assert public.status_code in (200, 503)  # 200 only from the cache
        finally:
            await asyncio.to_thread(restartable_postgres.start)

        # Back: the app answers again by itself, within seconds.
        deadline = time.monotonic() + 10

        async def ready() -> bool | None:
            answer = await api.get("/ready")
            assert answer.status_code in (200, 503), answer.text
            return True if answer.status_code == 200 else None

        await _until(deadline, ready)

        async def retried() -> httpx.Response | None:
            answer = await _sign_up(api, event.id, residents[4], "during")
            assert answer.status_code in (200, 201, 503), answer.text
            return None if answer.status_code == 503 else answer

        after = await _until(deadline, retried)

        async def refused_commit() -> None:
            async with engine.transaction():
                await engine.run_ddl(
                    "CREATE TEMP TABLE refused (x int UNIQUE DEFERRABLE INITIALLY DEFERRED) ON COMMIT DROP"
                )
                await engine.run_ddl("INSERT INTO refused VALUES (1), (1)")

        # A lost connection shows as requests waiting for ever: fail instead of hanging.
        async with asyncio.timeout(30):
            # A COMMIT refused on a live connection gives the connection back too (Piccolo's own
            # transaction kept it: ``pool`` of those, and every request would wait forever).
            for _ in range(pool):
                with pytest.raises(asyncpg.UniqueViolationError):
                    await asyncio.create_task(refused_commit())  # a task of its own, as a request is
            # More requests at once than the pool has connections: no connection was lost for good.
            burst = await asyncio.gather(
                *(_sign_up(api, event.id, resident, f"after-{i}") for i, resident in enumerate(residents[5:])),
                *(api.get("/api/v1/me", headers=factories.token_for(resident)) for resident in residents[:4]),
                *(api.get(f"/api/v1/events/{event.id}") for _ in range(4)),
            )
        assert [answer.status_code for answer in burst] == [201] * 7 + [200] * 8, [a.text for a in burst]

        rows = await Registration.select(Registration.id, Registration.user, Registration.status).where(
            Registration.event == event.id
        )
        by_id = {str(row["id"]): row for row in rows}
        assert all(by_id[registration]["status"] == "confirmed" for registration in confirmed)  # survived the crash
        assert str(after.json()["id"]) in by_id
        assert len(rows) == len({row["user"] for row in rows}) == 12  # the retried sign-up counted once
        seats = await Event.select(Event.seats_taken).where(Event.id == event.id).first()
        assert seats["seats_taken"] == 12


# --- WeChat timing out or busy ---------------------------------------------------------------------


@pytest.fixture
async def patient_app(
    settings: Settings, shared_redis: Redis | None, fake_wechat: FakeWechat, client: Client
) -> AsyncIterator[tuple[Litestar, Client]]:
    """The app with a short WeChat timeout and the registration template, on empty tables."""
    fake_wechat.add_template(REGISTRATION_TEMPLATE, REGISTRATION_KEYWORDS)
    app = build_app(
        settings, shared_redis, http_timeout_seconds=WECHAT_TIMEOUT, wechat_template_registration=REGISTRATION_TEMPLATE
    )
    async with serve_in_process(app) as api:
        yield app, api


async def test_wechat_login_timing_out_or_busy_fails_cleanly_then_works(
    patient_app: tuple[Litestar, Client], fake_wechat: FakeWechat
) -> None:
    _, api = patient_app

    async def log_in(openid: str, lang: str) -> httpx.Response:
        return await api.post(
            "/api/v1/auth/wechat", json={"code": fake_wechat.issue_code(openid)}, headers={"Accept-Language": lang}
        )

    # WeChat never answers any of the client's attempts.
    fake_wechat.stall(3, seconds=WECHAT_TIMEOUT * 4, mode="lost")
    body = _assert_problem(await log_in("o-timeout", "ko"), 503, "wechat_unavailable", "ko")
    assert body["detail"] == "위챗이 응답하지 않습니다. 잠시 후 다시 시도해 주세요."
    # WeChat answers "system busy" to every attempt.
    fake_wechat.busy(3)
    _assert_problem(await log_in("o-busy", "zh-Hant"), 503, "wechat_unavailable", "zh-Hant")
    # WeChat used the code up but its answer came too late: the retry hears 40163. That is WeChat
    # not answering, not a client sending a used code.
    fake_wechat.stall(1, seconds=WECHAT_TIMEOUT * 3, mode="answered_late")
    _assert_problem(await log_in("o-late", "en"), 503, "wechat_unavailable", "en")
    assert await User.count() == 0  # nothing half-written

    # WeChat is back: the mini-program asks for a new code, and the login works.
    recovered = await log_in("o-late", "en")
    assert recovered.status_code == 200, recovered.text
    assert recovered.json()["created"] is True
    assert await User.count() == 1


async def test_a_busy_wechat_gets_one_token_refresh_not_a_stampede(
    patient_app: tuple[Litestar, Client], fake_wechat: FakeWechat, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(wechat_module, "REFRESH_HOLD_SECONDS", 1.0)
    app, _ = patient_app
    wechat = app.state.wechat
    fake_wechat.busy(1000)

    outcomes = await asyncio.gather(*(wechat.access_token() for _ in range(20)), return_exceptions=True)
    assert all(isinstance(outcome, WechatUnavailable) for outcome in outcomes), outcomes
    assert fake_wechat.token_calls == 3  # one refresh (its three attempts) for twenty callers

    fake_wechat.busy(0)  # WeChat recovers; callers are turned away at once until the hold ends

    async def token() -> str | None:
        try:
            return await wechat.access_token()
        except WechatUnavailable:
            assert fake_wechat.token_calls == 3  # turned away without asking WeChat
            return None

    fresh = await _until(time.monotonic() + 10, token)
    assert fresh == fake_wechat.current_token
    assert set(await asyncio.gather(*(wechat.access_token() for _ in range(20)))) == {fresh}
    assert fake_wechat.token_calls == 4


@pytest.mark.parametrize("backend", ["postgres"])  # the shared refresh: Redis comes with postgres
async def test_a_caller_that_looked_before_the_hold_was_set_does_not_ask_wechat_again(
    patient_app: tuple[Litestar, Client], shared_redis: Redis | None, fake_wechat: FakeWechat
) -> None:
    """The race CI once lost: a caller looks for the hold, the refresh fails and sets it, the
    caller then wins the lock. It must see the hold under the lock, not refresh a second time."""
    assert shared_redis is not None
    app, _ = patient_app
    wechat = app.state.wechat
    fake_wechat.busy(1000)
    with pytest.raises(WechatUnavailable):
        await wechat.access_token()  # the failed refresh: three attempts, then the hold is set
    assert fake_wechat.token_calls == 3

    real_exists = shared_redis.exists
    looks: list[str] = []

    async def exists_as_before_the_hold(*keys: str) -> int:
        looks.append(keys[0])
        return 0 if len(looks) == 1 else await real_exists(*keys)  # the first look came too early

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(wechat._redis, "exists", exists_as_before_the_hold)
        with pytest.raises(WechatUnavailable):
            await wechat.access_token()
    assert len(looks) == 2  # the early look, then the one under the lock
    assert fake_wechat.token_calls == 3  # WeChat was not asked again


async def test_a_notice_waits_while_wechat_times_out_then_goes_exactly_once(
    patient_app: tuple[Litestar, Client], fake_wechat: FakeWechat
) -> None:
    app, api = patient_app
    tree = await factories.city_tree()
    venue = await factories.venue(tree["community_a"], tree["community_a"])
    event = await factories.published_event(tree["street_a"], venue)
    resident = await factories.resident()
    openid = "o" + uuid.uuid4().hex[:27]
    await User.update({User.openid: openid}).where(User.id == resident.id)
    fake_wechat.grant(openid, REGISTRATION_TEMPLATE)
    granted = await api.post(
        "/api/v1/me/subscriptions",
        json={"results": {REGISTRATION_TEMPLATE: "accept"}},
        headers=factories.token_for(resident),
    )
    assert granted.status_code == 200, granted.text
    await app.state.wechat.access_token()

    pauses: list[tuple[float, str, int]] = []

    async def backoff(seconds: float) -> None:
        """The runner's wait between attempts: recorded with what the notice looks like meanwhile."""
        [row] = await OutboundMessage.select(OutboundMessage.status).where(OutboundMessage.recipient == resident.id)
        pauses.append((seconds, row["status"], fake_wechat.sent_count(openid)))

    current = app.state.runtime
    runner = jobs.ProcessRunner(current.jobs, sleep=backoff)
    previous_runner, current.runner = current.runner, runner
    try:
        # First run: every attempt times out (WeChat never took the message); second: busy.
        fake_wechat.stall(3, seconds=WECHAT_TIMEOUT * 4, mode="lost")
        signed = await _sign_up(api, event.id, resident, "notice-1")
        assert signed.status_code == 201, signed.text
        fake_wechat.busy(3)
        await runner.drain()
    finally:
        current.runner = previous_runner

    # Between the runs the notice waited, unsent, in the queue; the runner backed off.
    assert pauses == [(10.0, "queued", 0), (20.0, "queued", 0)]
    [message] = await OutboundMessage.select().where(OutboundMessage.recipient == resident.id)
    assert (message["status"], message["attempts"]) == ("sent", 3)
    assert fake_wechat.sent_count(openid) == 1
    assert fake_wechat.sent_count(openid, REGISTRATION_TEMPLATE) == 1
    budget = (
        await SubscriptionBudget.select(SubscriptionBudget.remaining)
        .where(SubscriptionBudget.user == resident.id)
        .first()
    )
    assert budget["remaining"] == 0  # spent once, given back after each failed run
    assert await FailedJob.count() == 0
    assert await Notice.count().where(Notice.recipient == resident.id) == 1


# --- what counts as "away" ---------------------------------------------------------------------------


def test_only_a_dependency_that_is_away_is_a_503() -> None:
    import sqlite3

    import redis.exceptions

    away = [
        asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
        asyncpg.CannotConnectNowError("the database system is starting up"),
        asyncpg.InterfaceError("cannot call Connection.fetch(): connection has been released back to the pool"),
        ConnectionRefusedError(111, "Connect call failed"),
        TimeoutError(),  # no pooled connection within the wait
        sqlite3.OperationalError("database is locked"),
        redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:6379."),
    ]
    wrapped = RuntimeError("could not record the change")
    wrapped.__cause__ = away[0]
    assert all(unavailable_error(error) for error in [*away, wrapped])
    bugs = [
        asyncpg.InterfaceError("cannot perform operation: another operation is in progress"),
        asyncpg.UniqueViolationError("duplicate key"),
        sqlite3.OperationalError("no such column: nickname"),
        redis.exceptions.ResponseError("WRONGTYPE"),
        ValueError("bad"),
    ]
    assert not any(unavailable_error(error) for error in bugs)
