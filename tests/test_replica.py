"""A read replica (``LINLI_DATABASE_REPLICA_URL``) with a real streaming replica: a PostgreSQL
primary the test starts, a standby made from it with ``pg_basebackup -R`` (Debian's PostgreSQL),
and replay paused on the standby to make it lag as long as the test needs.

- public reads (event page and list, public page) come from the replica: a new event is not
  there until the replica has replayed it, while the organiser's own list (the primary) has it;
- a resident who just signed up reads the event from the primary while the replica lags, and sees
  their seat taken; a reader who wrote nothing keeps the replica's (older) answer;
- a replica that is stopped sends its reads back to the primary: every request is answered.

(``backend/core/replica.py`` says why each rule is there.)
"""

from __future__ import annotations

import os
import pwd
import subprocess
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest
from redis.asyncio import Redis

from backend.accounts.api import Role
from backend.app import create_app
from tests import factories
from tests.conftest import make_settings, migrate, serve_in_process
from tests.fakes.wechat import FakeWechat
from tests.servers import PostgresServer, free_port, start_postgres

Client = httpx.AsyncClient


@dataclass
class Replicated:
    primary: PostgresServer
    standby: PostgresServer

    @property
    def primary_url(self) -> str:
        return self.primary.url

    @property
    def standby_url(self) -> str:
        return self.standby.admin_url("linli_replicated")


@pytest.fixture(scope="module")
def replicated() -> Iterator[Replicated]:
    # Under /tmp itself: PostgreSQL runs as its own account, which must reach the data directories.
    with tempfile.TemporaryDirectory(prefix="linli-replica-") as directory:
        yield from _replicated(Path(directory))


def _replicated(base: Path) -> Iterator[Replicated]:
    os.chmod(base, 0o755)
    (base / "primary").mkdir()
    primary = start_postgres(base / "primary", database="linli_replicated")
    standby_dir = base / "standby" / "data"
    standby_dir.parent.mkdir(parents=True)
    if primary.run_as:
        account = pwd.getpwnam("postgres")
        os.chmod(standby_dir.parent, 0o755)
        os.chown(standby_dir.parent, account.pw_uid, account.pw_gid)
    standby = PostgresServer(
        url="", datadir=standby_dir, bindir=primary.bindir, run_as=primary.run_as, port=free_port()
    )
    try:
        migrate(primary.url)
        made = subprocess.run(
            [
                *primary.run_as,
                str(primary.bindir / "pg_basebackup"),
                "-h",
                "127.0.0.1",
                "-p",
                str(primary.port),
                "-U",
                "linli",
                "-D",
                str(standby_dir),
                "-R",  # standby.signal and primary_conninfo: a streaming replica
                "-X",
                "stream",
                "-c",
                "fast",  # the primary's checkpoint at once, not spread over minutes
            ],
            capture_output=True,
            text=True,
        )
        assert made.returncode == 0, made.stderr
        standby.start()
        standby.url = standby.admin_url("linli_replicated")
        yield Replicated(primary, standby)
    finally:
        standby.stop()
        primary.stop()


async def _fetchval(url: str, query: str) -> object:
    connection = await asyncpg.connect(url)
    try:
        return await connection.fetchval(query)
    finally:
        await connection.close()


async def replay(replicated: Replicated, *, paused: bool) -> None:
    await _fetchval(replicated.standby_url, f"SELECT pg_wal_replay_{'pause' if paused else 'resume'}()")


async def caught_up(replicated: Replicated) -> None:
    """Wait until the standby has replayed everything the primary has written so far."""
    position = await _fetchval(replicated.primary_url, "SELECT pg_current_wal_lsn()::text")
    for _ in range(600):
        if await _fetchval(replicated.standby_url, f"SELECT pg_last_wal_replay_lsn() >= '{position}'::pg_lsn"):
            return
        await _fetchval(replicated.primary_url, "SELECT pg_sleep(0.05)")  # replication, not a measurement
    raise AssertionError("the standby never caught up")


@pytest.fixture
async def client(
    replicated: Replicated, redis_url: str, fake_wechat: FakeWechat, wechat_base_url: str, tmp_path: Path
) -> AsyncIterator[Client]:
    """An app on the primary with the standby as its replica, and Redis, as production runs."""
    await Redis.from_url(redis_url).flushdb()
    settings = make_settings(
        replicated.primary_url,
        fake_wechat,
        wechat_base_url,
        tmp_path,
        database_replica_url=replicated.standby_url,
        redis_url=redis_url,
    )
    await replay(replicated, paused=False)
    async with serve_in_process(create_app(settings)) as test_client:
        await caught_up(replicated)
        yield test_client
    await replay(replicated, paused=False)


async def test_public_reads_come_from_the_replica_and_the_rest_from_the_primary(
    client: Client, replicated: Replicated
) -> None:
    tree = await factories.city_tree()
    venue = await factories.venue(tree["community_a"], tree["community_a"])
    organiser = await factories.staff(Role.organiser, tree["street_a"])
    await caught_up(replicated)
    await replay(replicated, paused=True)

    event = await factories.published_event(tree["street_a"], venue, capacity=5)
    # Not replayed yet: the public reads do not know it...
    assert (await client.get(f"/api/v1/events/{event.id}")).status_code == 404
    listed = await client.get("/api/v1/events")
    assert listed.status_code == 200
    assert str(event.id) not in {item["id"] for item in listed.json()["items"]}
    assert (await client.get(f"/events/{event.id}")).status_code == 404
    # ...while what reads the primary does (the organiser's list of its sign-ups).
    attendees = await client.get(f"/api/v1/events/{event.id}/registrations", headers=factories.token_for(organiser))
    assert attendees.status_code == 200, attendees.text

    await replay(replicated, paused=False)
    await caught_up(replicated)
    answer = await client.get(f"/api/v1/events/{event.id}")
    assert answer.status_code == 200 and answer.json()["seats_left"] == 5


async def test_a_resident_reads_their_own_sign_up_even_while_the_replica_lags(
    client: Client, replicated: Replicated
) -> None:
    tree = await factories.city_tree()
    venue = await factories.venue(tree["community_a"], tree["community_a"])
    event = await factories.published_event(tree["street_a"], venue, capacity=5, max_party_size=2)
    resident, bystander = await factories.resident(), await factories.resident()
    await caught_up(replicated)
    page = await client.get(f"/api/v1/events/{event.id}", headers=factories.token_for(resident))
    assert page.json()["seats_left"] == 5
    await replay(replicated, paused=True)

    signed = await client.post(
        f"/api/v1/events/{event.id}/registrations", json={"party_size": 2}, headers=factories.token_for(resident)
    )
    assert signed.status_code == 201, signed.text
    # The resident who wrote: the primary, their two seats gone (however often they look).
    for _ in range(3):
        mine = await client.get(f"/api/v1/events/{event.id}", headers=factories.token_for(resident))
        assert mine.json()["seats_left"] == 3
    own = await client.get("/api/v1/me/registrations", headers=factories.token_for(resident))
    assert [r["id"] for r in own.json()] == [signed.json()["id"]]
    # Someone who wrote nothing: the replica, which has not replayed the sign-up yet.
    other = await client.get(f"/api/v1/events/{event.id}", headers=factories.token_for(bystander))
    assert other.json()["seats_left"] == 5
    anonymous = await client.get(f"/api/v1/events/{event.id}")
    assert anonymous.json()["seats_left"] == 5


async def test_a_stopped_replica_sends_its_reads_to_the_primary(client: Client, replicated: Replicated) -> None:
    tree = await factories.city_tree()
    venue = await factories.venue(tree["community_a"], tree["community_a"])
    event = await factories.published_event(tree["street_a"], venue, capacity=5)
    replicated.standby.stop()
    try:
        for _ in range(3):
            answer = await client.get(f"/api/v1/events/{event.id}")
            assert answer.status_code == 200, answer.text
    finally:
        replicated.standby.start()
