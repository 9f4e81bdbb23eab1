"""`linli worker` as an operator runs it: its own process, on PostgreSQL and Redis, next to the app."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import httpx
import pytest
from litestar import Litestar
from redis.asyncio import Redis

from backend.core import jobs
from backend.core.job_queue import RedisRunner
from backend.core.tables import FailedJob
from tests.conftest import REPO
from tests.core.test_jobs import declare, past_registration, registration_status, registry  # noqa: F401 (a fixture)

Client = httpx.AsyncClient


@pytest.fixture
def worker_log(tmp_path: Path) -> Path:
    return tmp_path / "worker.log"


@pytest.fixture
def worker(postgres_url: str, redis_url: str, worker_log: Path) -> Iterator[subprocess.Popen[bytes]]:
    environ = {
        **os.environ,
        "LINLI_ENV": "test",
        "LINLI_DATABASE_URL": postgres_url,
        "LINLI_REDIS_URL": redis_url,
        "LINLI_LOG_LEVEL": "INFO",
        "LINLI_WORKER_CONCURRENCY": "4",
    }
    with worker_log.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "backend.cli", "worker"], cwd=REPO, env=environ, stdout=log, stderr=subprocess.STDOUT
        )
    yield process
    if process.poll() is None:
        process.kill()
        process.wait(timeout=30)


async def until(
    condition: Callable[[], Awaitable[bool]], *, what: str, process: subprocess.Popen[bytes], log: Path
) -> None:
    """Poll ``condition`` while the worker lives, for at most a minute (its start-up included)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 60
    while not await condition():
        assert process.poll() is None, f"the worker exited with {process.returncode}:\n{log.read_text()[-3000:]}"
        assert loop.time() < deadline, f"gave up waiting: {what}\n{log.read_text()[-3000:]}"
        await asyncio.sleep(0.1)


@pytest.mark.parametrize("backend", ["postgres"])
async def test_the_worker_runs_what_an_instance_enqueued_and_stops_on_sigterm(
    client: Client, app: Litestar, worker: subprocess.Popen[bytes], worker_log: Path, redis: Redis
) -> None:
    assert isinstance(app.state.jobs, RedisRunner)  # the instance only enqueues
    registration_id = await past_registration(client)
    assert await jobs.enqueue("chore.event_no_shows", key="no-shows:worker-test")

    # A job this instance knows and the worker does not (newer code on the app): it fails there,
    # and is recorded, not lost.
    async def only_in_the_app(n: int) -> None:
        raise AssertionError("never runs here")

    declare("test.only_in_the_app", only_in_the_app, retries=1)
    assert await jobs.enqueue("test.only_in_the_app", key="unknown:1", n=7)

    async def no_show() -> bool:
        return await registration_status(registration_id) == "no_show"

    async def recorded() -> bool:
        return await FailedJob.count().where(FailedJob.key == "unknown:1") == 1

    async def cron_planned() -> bool:
        return bool(await redis.exists("saq:job:linli:cron:chore.event_no_shows"))

    await until(no_show, what="the chore ran in the worker", process=worker, log=worker_log)
    await until(recorded, what="the failed job was recorded", process=worker, log=worker_log)
    await until(cron_planned, what="the worker planned the next tick of each chore", process=worker, log=worker_log)
    row = await FailedJob.select().where(FailedJob.key == "unknown:1").first()
    assert row is not None
    assert (row["name"], row["attempts"], row["queue"]) == ("test.only_in_the_app", 1, "redis")
    assert "test.only_in_the_app" in row["error"]

    worker.send_signal(signal.SIGTERM)
    code = await asyncio.to_thread(worker.wait, 30)
    assert code == 0, worker_log.read_text()[-3000:]


def test_the_worker_refuses_to_start_without_redis(tmp_path: Path) -> None:
    environ = {k: v for k, v in os.environ.items() if k != "LINLI_REDIS_URL"}
    environ.update({"LINLI_ENV": "test", "LINLI_DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite'}"})
    result = subprocess.run(
        [sys.executable, "-m", "backend.cli", "worker"],
        cwd=REPO,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "LINLI_REDIS_URL" in result.stderr and "in-process" in result.stderr
