"""Background jobs: the in-process runner and scheduler, and the Redis queue (SAQ) with a worker
running on the test's own event loop. No test waits on a clock: sleeps are injected and recorded,
queues are drained, and what a real worker does is polled for in a bounded loop."""

from __future__ import annotations

import asyncio
import math
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from litestar import Litestar
from redis.asyncio import Redis

from backend.core import jobs, runtime
from backend.core.domain import Domain, Schedule
from backend.core.job_queue import QUEUE_NAME, RedisRunner, build_worker, cron_jobs
from backend.core.runtime import Runtime
from backend.core.tables import FailedJob
from backend.core.wiring import assemble
from backend.domains import DOMAINS
from backend.events.registrations.tables import Registration
from backend.settings import Settings
from tests import factories
from tests.conftest import SECRET

Client = httpx.AsyncClient
only_postgres = pytest.mark.parametrize("backend", ["postgres"])  # Redis comes with the postgres backend


@pytest.fixture(autouse=True)
def registry(request: pytest.FixtureRequest) -> Iterator[Runtime]:
    """The runtime a test declares its jobs in: its app's, when it has one (the jobs and schedules
    it adds are taken away after), else one assembled from the domain list, bound for the test."""
    if "client" in request.fixturenames:
        current: Runtime = request.getfixturevalue("app").state.runtime
        saved = dict(current.jobs)
        yield current
        for name in set(current.jobs) - set(saved):
            del current.jobs[name]  # the runtime's own dict, shared with its runner
        return
    current = assemble(DOMAINS, Settings.from_env({}, env="test", secret_key=SECRET))
    current.schedules = {}  # no real periodic job ticks inside a test
    with runtime.bound(current):
        yield current


def declare(name: str, function: Callable[..., Awaitable[Any]], **spec: Any) -> None:
    """A job of the test's own, in the test's runtime."""
    runtime.current().jobs[name] = jobs.JobSpec(name, function, **spec)


@pytest.fixture
def delays() -> list[float]:
    return []


@pytest.fixture
def runner(delays: list[float]) -> Iterator[jobs.ProcessRunner]:
    """An in-process runner whose sleeps are recorded instead of waited."""

    async def sleep(seconds: float) -> None:
        delays.append(seconds)

    current = runtime.current()
    process_runner = jobs.ProcessRunner(current.jobs, sleep=sleep)
    previous, current.runner = current.runner, process_runner
    yield process_runner
    current.runner = previous


def recorded_job(name: str, *, failures: int, retries: int = 5, backoff_seconds: float = 1.5) -> list[dict[str, Any]]:
    """Register job ``name``, failing its first ``failures`` attempts; returns the arguments of each call."""
    calls: list[dict[str, Any]] = []

    async def work(**kwargs: Any) -> None:
        calls.append(kwargs)
        if len(calls) <= failures:
            raise RuntimeError(f"attempt {len(calls)} broke")

    declare(name, work, retries=retries, backoff_seconds=backoff_seconds)
    return calls


async def until(condition: Callable[[], Awaitable[bool]], *, what: str, seconds: float = 20.0) -> None:
    """Poll ``condition`` until it holds, failing after ``seconds``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not await condition():
        assert loop.time() < deadline, f"gave up waiting: {what}"
        await asyncio.sleep(0.02)


# --- the in-process runner ----------------------------------------------------------------------


async def test_retries_back_off_exponentially(runner: jobs.ProcessRunner, delays: list[float]) -> None:
    calls = recorded_job("test.flaky", failures=3, backoff_seconds=1.5)
    assert await jobs.enqueue("test.flaky", note="hello")
    await jobs.drain()
    assert len(calls) == 4 and calls[-1] == {"note": "hello"}
    assert delays == [1.5, 3.0, 6.0]


async def test_a_job_that_always_fails_is_recorded(
    client: Client, runner: jobs.ProcessRunner, delays: list[float]
) -> None:
    calls = recorded_job("test.broken", failures=99, retries=3, backoff_seconds=2.0)
    assert await jobs.enqueue("test.broken", key="broken:1", registration_id="r-1")
    await jobs.drain()
    assert len(calls) == 3 and delays == [2.0, 4.0]
    rows = await FailedJob.select()
    assert len(rows) == 1
    row = rows[0]
    assert (row["name"], row["key"], row["attempts"], row["queue"]) == ("test.broken", "broken:1", 3, "process")
    assert row["arguments"] in ({"registration_id": "r-1"}, '{"registration_id": "r-1"}')
    assert "RuntimeError: attempt 3 broke" in row["error"]


async def test_a_key_is_taken_while_its_job_is_queued_or_running(runner: jobs.ProcessRunner) -> None:
    gate = asyncio.Event()
    runs: list[str] = []

    async def gated(who: str) -> None:
        await gate.wait()
        runs.append(who)

    declare("test.gated", gated)

    assert await jobs.enqueue("test.gated", key="same", who="first")
    assert not await jobs.enqueue("test.gated", key="same", who="second")
    assert await jobs.enqueue("test.gated", key="other", who="third")
    assert await jobs.enqueue("test.gated", who="no key")  # no key, no dedupe
    gate.set()
    await jobs.drain()
    assert sorted(runs) == ["first", "no key", "third"]
    assert await jobs.enqueue("test.gated", key="same", who="again")  # done, so free again
    await jobs.drain()
    assert runs[-1] == "again"


async def test_run_at_waits_until_then(runner: jobs.ProcessRunner, delays: list[float]) -> None:
    calls = recorded_job("test.later", failures=0)
    assert await jobs.enqueue("test.later", run_at=datetime.now(UTC) + timedelta(hours=1))
    assert await jobs.enqueue("test.later", run_at=datetime.now(UTC) - timedelta(minutes=5))
    await jobs.drain()
    assert len(calls) == 2
    assert sorted(delays)[0] == 0.0  # already due: at once
    assert 3590 < sorted(delays)[1] <= 3600


async def test_arguments_are_plain_json_on_every_runner(runner: jobs.ProcessRunner) -> None:
    calls = recorded_job("test.args", failures=0)
    with pytest.raises(TypeError, match="plain JSON"):
        await jobs.enqueue("test.args", user_id=uuid.uuid4())
    await jobs.enqueue("test.args", pair=(1, 2), when=datetime(2026, 5, 1, tzinfo=UTC).isoformat())
    await jobs.drain()
    assert calls == [{"pair": [1, 2], "when": "2026-05-01T00:00:00+00:00"}]  # what the Redis queue would hand over


async def test_unknown_jobs_and_bad_schedules_are_refused(runner: jobs.ProcessRunner) -> None:
    with pytest.raises(LookupError):
        await jobs.enqueue("test.nobody")
    with pytest.raises(ValueError):
        jobs.check_cron("every five minutes")
    with pytest.raises(ValueError, match="does not declare"):
        assemble(
            [Domain(name="test", schedules=(Schedule("test.nobody", cron="*/5 * * * *"),))], runtime.current().settings
        )


async def test_stopping_records_what_did_not_run(client: Client) -> None:
    current = runtime.current()
    started, never = asyncio.Event(), asyncio.Event()

    async def slow() -> None:
        started.set()
        await never.wait()

    declare("test.slow", slow)
    process_runner = jobs.ProcessRunner(current.jobs)  # real sleeps: it is stopped before any ends
    previous, current.runner = current.runner, process_runner
    try:
        await jobs.enqueue("test.slow", key="running")
        await jobs.enqueue("test.slow", key="tomorrow", run_at=datetime.now(UTC) + timedelta(days=1))
        await started.wait()
        await process_runner.close()
    finally:
        current.runner = previous
    rows = {row["key"]: row for row in await FailedJob.select()}
    assert {key: row["attempts"] for key, row in rows.items()} == {"running": 1, "tomorrow": 0}
    assert all(row["error"].startswith("cancelled") and row["queue"] == "process" for row in rows.values())


# --- the in-process scheduler --------------------------------------------------------------------


class RecordingRunner:
    def __init__(self) -> None:
        self.enqueued: list[tuple[str, str | None]] = []

    async def enqueue(self, name: str, *, key: str | None, run_at: datetime | None, kwargs: dict[str, Any]) -> bool:
        self.enqueued.append((name, key))
        return True

    async def drain(self) -> None:
        return None


async def test_the_scheduler_enqueues_each_periodic_job_at_its_ticks() -> None:
    recorded_job("test.every_five", failures=0)
    recorded_job("test.hourly", failures=0)
    schedules = {"test.every_five": "*/5 * * * *", "test.hourly": "0 * * * *"}
    current = runtime.current()
    recording = RecordingRunner()
    previous, current.runner = current.runner, recording
    now = [datetime(2026, 5, 1, 11, 48, 30, tzinfo=UTC)]
    stop = asyncio.Event()
    waits: list[float] = []

    async def wait(event: asyncio.Event, seconds: float) -> None:
        waits.append(seconds)
        now[0] += timedelta(seconds=seconds)
        if now[0] >= datetime(2026, 5, 1, 12, 10, tzinfo=UTC):
            event.set()

    try:
        await jobs.run_periodic(schedules=schedules, stop=stop, now=lambda: now[0], wait=wait)
    finally:
        current.runner = previous
    assert waits[0] == 90.0  # 11:48:30 → 11:50
    assert recording.enqueued == [
        ("test.every_five", "cron:test.every_five"),  # 11:50
        ("test.every_five", "cron:test.every_five"),  # 11:55
        ("test.every_five", "cron:test.every_five"),  # 12:00, with…
        ("test.hourly", "cron:test.hourly"),
        ("test.every_five", "cron:test.every_five"),  # 12:05
    ]


# --- the app --------------------------------------------------------------------------------------


async def past_registration(client: Client) -> uuid.UUID:
    """A confirmed place at an event that ended hours ago: a no-show for the chore to mark."""
    from backend.events.catalogue.tables import Event

    tree = await factories.city_tree()
    venue = await factories.venue(tree["community_a"], tree["community_a"])
    event = await factories.published_event(tree["street_a"], venue)
    resident = await factories.resident()
    answer = await client.post(
        f"/api/v1/events/{event.id}/registrations", json={"party_size": 1}, headers=factories.token_for(resident)
    )
    assert answer.status_code == 201, answer.text
    ended = datetime.now(UTC) - timedelta(hours=4)
    await Event.update({Event.starts_at: ended - timedelta(hours=2), Event.ends_at: ended}).where(Event.id == event.id)
    return uuid.UUID(answer.json()["id"])


async def registration_status(registration_id: uuid.UUID) -> str:
    row = await Registration.select(Registration.status).where(Registration.id == registration_id).first()
    assert row is not None
    return row["status"]


async def test_the_app_runs_a_chore_enqueued_through_its_runner(client: Client, app: Litestar, backend: str) -> None:
    """Without Redis the app runs the job itself; with Redis it lands on the queue a worker runs."""
    assert isinstance(app.state.jobs, jobs.ProcessRunner if backend == "sqlite" else RedisRunner)
    registration_id = await past_registration(client)
    assert await jobs.enqueue("chore.event_no_shows", key="no-shows:test")
    await jobs.drain()
    assert await registration_status(registration_id) == "no_show"
    assert await FailedJob.count() == 0


# --- the Redis queue ------------------------------------------------------------------------------


@only_postgres
async def test_one_key_enqueued_by_two_instances_at_once_runs_once(client: Client, redis_url: str) -> None:
    runs: list[int] = []

    async def once(n: int) -> None:
        runs.append(n)

    declare("test.once", once)
    specs = runtime.current().jobs
    one, two = RedisRunner(Redis.from_url(redis_url), specs=specs), RedisRunner(Redis.from_url(redis_url), specs=specs)
    try:
        answers = await asyncio.gather(
            *(
                runner.enqueue("test.once", key="once:1", run_at=None, kwargs={"n": n})
                for n, runner in enumerate([one, two] * 10)
            )
        )
        assert answers.count(True) == 1
        worker = build_worker(one.queue, specs=specs, schedules={}, concurrency=4, dequeue_timeout=0.05)
        working = asyncio.create_task(worker.start())
        try:

            async def finished() -> bool:
                job = await one.queue.job("once:1")
                return job is not None and job.status.value == "complete"

            await until(finished, what="the worker ran the job")
            assert await two.enqueue("test.once", key="twice:1", run_at=None, kwargs={"n": 99})
            await until(lambda: _ran(runs, 99), what="a second key runs too")
        finally:
            await worker.stop()
            await working
        assert sorted(runs) == [answers.index(True), 99]
    finally:
        await one.queue.disconnect()
        await two.queue.disconnect()


async def _ran(runs: list[int], n: int) -> bool:
    return n in runs


@only_postgres
async def test_a_failing_job_is_retried_then_recorded(client: Client, app: Litestar) -> None:
    calls = recorded_job("test.always_fails", failures=99, retries=3, backoff_seconds=0)
    assert isinstance(app.state.jobs, RedisRunner)
    assert await jobs.enqueue("test.always_fails", key="fails:1", reminder="r-9")
    assert not await jobs.enqueue("test.always_fails", key="fails:1", reminder="r-9")
    await jobs.drain()
    assert len(calls) == 3
    rows = await FailedJob.select()
    assert len(rows) == 1
    row = rows[0]
    assert (row["name"], row["key"], row["attempts"], row["queue"]) == ("test.always_fails", "fails:1", 3, "redis")
    assert row["arguments"] in ({"reminder": "r-9"}, '{"reminder": "r-9"}')
    assert "RuntimeError: attempt 3 broke" in row["error"]


@only_postgres
async def test_enqueue_hands_saq_the_job_spec(client: Client, app: Litestar) -> None:
    calls: list[dict[str, Any]] = []

    async def spec_job(**kwargs: Any) -> None:
        calls.append(kwargs)

    declare("test.spec", spec_job, retries=4, backoff_seconds=2.5, timeout_seconds=30.5)

    runner: RedisRunner = app.state.jobs
    at = datetime.now(UTC) + timedelta(hours=2)
    assert await jobs.enqueue("test.spec", key="spec:1", run_at=at, timeout="an argument", key_name="k")
    assert not await jobs.enqueue("test.spec", key="spec:1")  # scheduled counts as queued
    job = await runner.queue.job("spec:1")
    assert job is not None and job.queue is not None and job.queue.name == QUEUE_NAME
    assert (job.function, job.retries, job.retry_delay, job.retry_backoff, job.timeout) == (
        "test.spec",
        4,
        2.5,
        True,
        31,
    )
    assert job.scheduled == math.ceil(at.timestamp())
    assert job.kwargs == {"timeout": "an argument", "key_name": "k"}
    await jobs.drain()
    assert calls == []  # not due yet: a drain leaves it for later
    assert await runner.queue.count("incomplete") == 1


@only_postgres
async def test_periodic_jobs_are_unique_cron_jobs_of_the_worker(
    client: Client, app: Litestar, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorded_job("test.tick", failures=0, retries=2, backoff_seconds=4.0)
    specs, schedules = runtime.current().jobs, {"test.tick": "*/5 * * * *"}  # this test's schedule only
    (cron,) = cron_jobs(specs, schedules)
    assert (cron.function.__qualname__, cron.cron, cron.unique, cron.retries) == ("test.tick", "*/5 * * * *", True, 2)
    queue = app.state.jobs.queue
    one, two = (
        build_worker(queue, specs=specs, schedules=schedules),
        build_worker(queue, specs=specs, schedules=schedules),
    )
    assert {"test.tick", "chore.event_no_shows"} <= set(one.functions)
    await asyncio.gather(one.schedule(), two.schedule())  # two workers at the same tick
    assert await queue.count("incomplete") == 1
    job = await queue.job("cron:test.tick")
    assert job is not None and job.scheduled > datetime.now(UTC).timestamp() - 1
    assert (job.retry_delay, job.retry_backoff) == (4.0, True)


@only_postgres
async def test_the_sweep_spares_a_job_a_worker_has_only_just_taken(client: Client, redis_url: str) -> None:
    """A job moved to the active list but not yet marked active is not re-queued by the next
    sweep (SAQ's race, tobymao/saq#277); still there a sweep later, its worker is gone: it is."""
    recorded_job("test.taken", failures=0, backoff_seconds=0)
    runner = RedisRunner(Redis.from_url(redis_url), specs=runtime.current().jobs)
    try:
        assert await runner.enqueue("test.taken", key="taken:1", run_at=None, kwargs={})
        taken = await runner.queue.dequeue(timeout=1)  # what a worker does first
        assert taken is not None and taken.status.value == "queued"
        assert await runner.queue.sweep(abort=0.05) == []
        assert await runner.queue.count("active") == 1
        await runner.queue.redis.delete(runner.queue.namespace("sweep"))  # the sweep lock ran out: a minute later
        assert await runner.queue.sweep(abort=0.05) == [taken.id]
        job = await runner.queue.job("taken:1")
        assert job is not None and job.status.value == "queued"  # re-queued for another worker
        assert await runner.queue.count("queued") == 1 and await runner.queue.count("active") == 0
    finally:
        await runner.queue.disconnect()
