"""Production's shape: two `linli serve` processes and one `linli worker` on one PostgreSQL and one
Redis, with the fake WeChat server. What must hold across processes, checked from outside:
no seat oversold in a storm spread over both instances, one rate limit, one access-token refresh
after a 40001, and a notice that one instance enqueues is sent once by the worker."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from redis.asyncio import Redis

from backend.core.db import bind_tables, close_engine, make_engine, open_engine
from backend.events.registrations.tables import Registration
from backend.settings import Settings
from tests import factories
from tests.conftest import REPO, SECRET, all_tables, migrate
from tests.fakes.wechat import FakeWechat
from tests.servers import PostgresServer, free_port

PROMOTION = "tpl-promotion"
REMINDER = "tpl-reminder"


@dataclass
class Topology:
    instances: list[str]  # base URLs of the two app processes
    database_url: str
    processes: list[subprocess.Popen[bytes]]
    logs: list[Path]
    worker_metrics: str  # the worker's /metrics (linli worker --metrics-port)


def _environ(database_url: str, redis_url: str, fake: FakeWechat, wechat_base_url: str, media: Path) -> dict[str, str]:
    return {
        **os.environ,
        "LINLI_ENV": "test",
        "LINLI_DATABASE_URL": database_url,
        "LINLI_REDIS_URL": redis_url,
        "LINLI_SECRET_KEY": SECRET,
        "LINLI_WECHAT_APPID": fake.appid,
        "LINLI_WECHAT_SECRET": fake.secret,
        "LINLI_WECHAT_API_BASE": wechat_base_url,
        "LINLI_WECHAT_TEMPLATE_PROMOTION": PROMOTION,
        "LINLI_WECHAT_TEMPLATE_EVENT_REMINDER": REMINDER,
        "LINLI_MEDIA_ROOT": str(media),
        "LINLI_LOG_LEVEL": "WARNING",
        "LINLI_WORKER_CONCURRENCY": "4",
        "LINLI_METRICS_TOKEN": METRICS_TOKEN,
    }


METRICS_TOKEN = "metrics-token-of-the-topology-test"


async def metric_totals(http: httpx.AsyncClient, topology: Topology) -> dict[tuple[str, str], float]:
    """Every process's counters summed, as Prometheus sums its scrapes: (name, labels) -> value."""
    totals: dict[tuple[str, str], float] = {}
    for base in [*(f"{instance}/metrics" for instance in topology.instances), topology.worker_metrics]:
        assert (await http.get(base)).status_code == 401  # the token, as on the instances
        answer = await http.get(base, headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
        assert answer.status_code == 200, answer.text
        for family in text_string_to_metric_families(answer.text):
            for sample in family.samples:
                key = (sample.name, ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items())))
                totals[key] = totals.get(key, 0.0) + sample.value
    return totals


def _fresh_database(server: PostgresServer) -> str:
    name = f"topology_{uuid.uuid4().hex[:10]}"
    subprocess.run(
        [str(server.bindir / "createdb"), "-h", "127.0.0.1", "-p", str(server.port), "-U", "linli", name],
        check=True,
        capture_output=True,
    )
    url = server.admin_url(name)
    migrate(url)
    return url


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    for _ in range(300):
        if process.poll() is not None:
            raise AssertionError(f"{url} exited: {log.read_text(errors='replace')[-2000:]}")
        try:
            if httpx.get(f"{url}/ready", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        subprocess.run(["sleep", "0.1"], check=True)  # start-up, not a measurement
    raise AssertionError(f"{url} never became ready: {log.read_text(errors='replace')[-2000:]}")


@pytest.fixture
def topology(
    postgres_server: PostgresServer, redis_url: str, fake_wechat: FakeWechat, wechat_base_url: str, tmp_path: Path
) -> Iterator[Topology]:
    database_url = _fresh_database(postgres_server)
    environ = _environ(database_url, redis_url, fake_wechat, wechat_base_url, tmp_path / "media")
    processes, logs, instances = [], [], []
    worker_metrics_port = free_port()
    commands = [["serve", "--port", str(port)] for port in (free_port(), free_port())] + [
        ["worker", "--metrics-port", str(worker_metrics_port)]
    ]
    try:
        for index, command in enumerate(commands):
            log = tmp_path / f"process-{index}.log"
            with log.open("wb") as out:
                processes.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "backend.cli", *command],
                        cwd=REPO,
                        env=environ,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                    )
                )
            logs.append(log)
            if command[0] == "serve":
                instances.append(f"http://127.0.0.1:{command[2]}")
                _wait_ready(instances[-1], processes[-1], log)
        yield Topology(instances, database_url, processes, logs, f"http://127.0.0.1:{worker_metrics_port}/metrics")
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture
async def database(topology: Topology, redis_url: str) -> AsyncIterator[None]:
    """This test process writes its fixtures (organisations, events) into the same database."""
    await Redis.from_url(redis_url).flushdb()  # earlier tests' keys, not the instances' (they start clean)
    settings = Settings.from_env({}, env="test", database_url=topology.database_url, secret_key=SECRET)
    engine = make_engine(settings)
    previous = {table: table._meta._db for table in all_tables()}
    bind_tables(engine, all_tables())
    await open_engine(engine, settings)
    try:
        yield
    finally:
        for table, earlier in previous.items():
            table._meta._db = earlier
        await close_engine(engine)


async def until(condition: Callable[[], Awaitable[bool]], topology: Topology, what: str) -> None:
    """Poll a condition the worker brings about, for at most a minute."""
    for _ in range(600):
        if await condition():
            return
        dead = [p for p in topology.processes if p.poll() is not None]
        assert not dead, "a process exited: " + "\n".join(
            log.read_text(errors="replace")[-1500:] for log in topology.logs
        )
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}: " + topology.logs[-1].read_text(errors="replace")[-2000:])


async def wechat_resident(http: httpx.AsyncClient, fake: FakeWechat, base: str, openid: str) -> dict[str, str]:
    answer = await http.post(f"{base}/api/v1/auth/wechat", json={"code": fake.issue_code(openid)})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


async def a_small_event(capacity: int, **overrides: Any) -> Any:
    tree = await factories.city_tree()
    venue = await factories.venue(tree["community_a"], tree["community_a"])
    return await factories.published_event(tree["street_a"], venue, capacity=capacity, max_party_size=1, **overrides)


async def notices(http: httpx.AsyncClient, base: str, auth: dict[str, str]) -> list[dict[str, Any]]:
    answer = await http.get(f"{base}/api/v1/me/notifications", headers=auth)
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


async def test_a_promotion_on_one_instance_is_one_inbox_entry_and_one_message_from_the_worker(
    topology: Topology, database: None, fake_wechat: FakeWechat
) -> None:
    one, two = topology.instances
    fake_wechat.add_template(PROMOTION)
    event = await a_small_event(capacity=1)
    async with httpx.AsyncClient(timeout=30) as http:
        first = await wechat_resident(http, fake_wechat, one, "o-first")
        waiting = await wechat_resident(http, fake_wechat, two, "o-waiting")
        unsubscribed = await wechat_resident(http, fake_wechat, one, "o-no-budget")
        accepted = await http.post(
            f"{two}/api/v1/me/subscriptions", json={"results": {PROMOTION: "accept"}}, headers=waiting
        )
        assert accepted.status_code in (200, 201), accepted.text
        fake_wechat.grant("o-waiting", PROMOTION)
        places = []
        for base, auth in ((one, first), (two, waiting), (one, unsubscribed)):
            signed = await http.post(f"{base}/api/v1/events/{event.id}/registrations", json={}, headers=auth)
            assert signed.status_code == 201, signed.text
            places.append(signed.json())
        assert [p["status"] for p in places] == ["confirmed", "waitlisted", "waitlisted"]

        # The first cancels on instance two: the head of the line is promoted, the worker sends.
        assert (await http.delete(f"{two}/api/v1/registrations/{places[0]['id']}", headers=first)).status_code == 200

        async def sent() -> bool:
            return fake_wechat.sent_count("o-waiting", PROMOTION) >= 1

        await until(sent, topology, "the promotion's subscribe message")
        promoted = [n for n in await notices(http, one, waiting) if n["kind"] == "registration_promoted"]
        assert len(promoted) == 1

        # The promoted resident cancels too: the next in line has no budget, so the inbox only.
        assert (await http.delete(f"{one}/api/v1/registrations/{places[1]['id']}", headers=waiting)).status_code == 200

        async def inboxed() -> bool:
            return any(n["kind"] == "registration_promoted" for n in await notices(http, two, unsubscribed))

        await until(inboxed, topology, "the second promotion's inbox entry")
        status = await Registration.select(Registration.status).where(Registration.id == places[2]["id"]).first()
        assert status["status"] == "confirmed"
        assert fake_wechat.sent_count("o-no-budget") == 0
        assert fake_wechat.sent_count("o-waiting", PROMOTION) == 1  # and no second one, ever

        # What Prometheus reads from the three processes, summed: the sign-ups and promotions
        # counted on the instances, the messages on the worker that sent them.
        totals = await metric_totals(http, topology)
        assert totals[("linli_signups_total", "code=,outcome=confirmed")] == 1
        assert totals[("linli_signups_total", "code=,outcome=waitlisted")] == 2
        assert totals[("linli_waitlist_promotions_total", "")] == 2
        assert totals[("linli_notices_total", "status=sent")] == 1
        assert totals[("linli_wechat_calls_total", "api=cgi-bin/message/subscribe/send,outcome=ok")] == 1


async def test_a_reminder_goes_out_once_however_often_its_job_runs(
    topology: Topology, database: None, fake_wechat: FakeWechat, redis_url: str
) -> None:
    from backend.core import jobs, runtime
    from backend.core.job_queue import RedisRunner
    from backend.core.wiring import assemble
    from backend.domains import DOMAINS

    one, _two = topology.instances
    fake_wechat.add_template(REMINDER)
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=2, minutes=-1)
    event = await a_small_event(
        capacity=5, starts_at=start.isoformat(), ends_at=(start + timedelta(hours=1)).isoformat()
    )
    async with httpx.AsyncClient(timeout=30) as http:
        resident = await wechat_resident(http, fake_wechat, one, "o-reminded")
        await http.post(f"{one}/api/v1/me/subscriptions", json={"results": {REMINDER: "accept"}}, headers=resident)
        fake_wechat.grant("o-reminded", REMINDER, 5)
        assert (
            await http.post(f"{one}/api/v1/events/{event.id}/registrations", json={}, headers=resident)
        ).status_code == 201

        redis = Redis.from_url(redis_url)
        current = assemble(DOMAINS, Settings.from_env({}, env="test", secret_key=SECRET))
        current.runner = RedisRunner(redis, specs=current.jobs)
        try:
            with runtime.bound(current):
                for run in range(3):  # as if the schedule fired again, or on two workers
                    assert await jobs.enqueue("notifications.reminders", key=f"test-reminders-{run}")
        finally:
            await redis.aclose()

        async def reminded() -> bool:
            return fake_wechat.sent_count("o-reminded", REMINDER) >= 1

        await until(reminded, topology, "the reminder")
        reminders = [n for n in await notices(http, one, resident) if n["kind"] == "event_reminder"]
        assert len(reminders) == 1
        assert fake_wechat.sent_count("o-reminded", REMINDER) == 1


async def test_no_seat_is_oversold_when_a_storm_hits_both_instances(topology: Topology, database: None) -> None:
    event = await a_small_event(capacity=10)
    residents = [await factories.resident() for _ in range(60)]
    async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=60)) as http:
        answers = await asyncio.gather(
            *(
                http.post(
                    f"{topology.instances[i % 2]}/api/v1/events/{event.id}/registrations",
                    json={},
                    headers=factories.token_for(r),
                )
                for i, r in enumerate(residents)
            )
        )
    assert all(a.status_code == 201 for a in answers), [a.text for a in answers if a.status_code != 201][:3]
    confirmed = await Registration.count().where(
        (Registration.event == event.id) & (Registration.status == "confirmed")
    )
    assert confirmed == 10
    assert sorted(a.json()["status"] for a in answers).count("waitlisted") == 50


async def test_one_rate_limit_and_one_token_refresh_across_instances(
    topology: Topology, database: None, fake_wechat: FakeWechat
) -> None:
    one, two = topology.instances
    async with httpx.AsyncClient(timeout=30) as http:
        # The instances count logins per minute in fixed windows of the wall clock (theirs, not
        # this process's frozen one): all eleven must fall in one window, so near a window's end
        # wait for the next one to begin.
        left = 60 - time.time() % 60
        if left < 20:
            await asyncio.sleep(left + 0.5)
        answers = [
            (
                await http.post(f"{(one, two)[i % 2]}/api/v1/auth/login", json={"username": f"x{i}", "password": "y"})
            ).status_code
            for i in range(11)
        ]
        assert answers == [401] * 10 + [429]

        # Both instances draw share cards (a mini-program code each, with the access token).
        event = await a_small_event(capacity=5)
        for base in (one, two):
            assert (await http.get(f"{base}/api/v1/events/{event.id}/share-card")).status_code == 200
        fetched = fake_wechat.token_calls
        fake_wechat.expire_tokens()
        other = await a_small_event(capacity=5)
        cards = await asyncio.gather(
            *(http.get(f"{base}/api/v1/events/{other.id}/share-card") for base in (one, two, one, two))
        )
        assert all(card.status_code == 200 for card in cards)
        assert fake_wechat.token_calls - fetched == 1  # one refresh after the 40001s, not one per instance
