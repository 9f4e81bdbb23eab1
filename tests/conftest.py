"""Fixtures: the same tests run on both backends the product supports.

``backend`` is ``sqlite`` (the embedded default: SQLite file, in-process stores) or ``postgres``
(production: PostgreSQL and a real Redis). The servers are throwaway ones the tests start; the
schema comes from ``linli migrate``, run once per database, exactly as a deployment runs it.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import types
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar
from redis.asyncio import Redis

from backend.app import all_tables, create_app
from backend.settings import Settings
from tests.fakes.wechat import FakeWechat, serve_fake_wechat
from tests.servers import PostgresServer, RedisServer, ServerUnavailable, start_postgres, start_redis

REPO = Path(__file__).resolve().parents[1]
SECRET = "test-secret-key-that-is-long-enough-0123456789"
BACKENDS = ("sqlite", "postgres")


# --- a skipped test that needs a service must fail CI ------------------------------------------

_skipped: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped:
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if os.environ.get("CI") and _skipped:
        print(f"\nCI does not allow skipped tests; skipped: {', '.join(_skipped[:10])}", file=sys.stderr)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


# --- rate-limit windows never roll over inside a test -------------------------------------------


@pytest.fixture(autouse=True)
def _still_rate_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """The rate limiter counts in fixed windows of the wall clock; a test that happened to run
    across a window's edge would see its count reset. Inside tests the limiter's clock stands
    still in the middle of one window (only the limiter's: everything else keeps real time)."""
    monkeypatch.setattr("backend.core.stores.time", types.SimpleNamespace(time=lambda: 1_800_000_030.0))


# --- servers --------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="linli-tests-") as path:
        yield Path(path)


@pytest.fixture(scope="session")
def postgres_server(workdir: Path) -> Iterator[PostgresServer]:
    try:
        server = start_postgres(workdir)
    except ServerUnavailable as error:
        pytest.fail(str(error), pytrace=False)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_server(workdir: Path) -> Iterator[RedisServer]:
    try:
        server = start_redis(workdir)
    except ServerUnavailable as error:
        pytest.fail(str(error), pytrace=False)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_url(redis_server: RedisServer) -> str:
    return redis_server.url


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    await client.flushdb()
    yield client
    await client.aclose()


def migrate(database_url: str) -> None:
    """The schema as production gets it: ``linli migrate`` in its own process."""
    env = {**os.environ, "LINLI_DATABASE_URL": database_url, "LINLI_ENV": "test"}
    result = subprocess.run(
        [sys.executable, "-m", "backend.cli", "migrate"], cwd=REPO, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="session")
def sqlite_url(workdir: Path) -> str:
    url = f"sqlite:///{workdir / 'linli.sqlite'}"
    migrate(url)
    return url


@pytest.fixture(scope="session")
def postgres_url(postgres_server: PostgresServer) -> str:
    migrate(postgres_server.url)
    return postgres_server.url


# --- the fake WeChat server -------------------------------------------------------------------


@pytest.fixture(scope="session")
def _wechat_server() -> Iterator[tuple[FakeWechat, str]]:
    fake = FakeWechat()
    with serve_fake_wechat(fake) as base_url:
        yield fake, base_url


@pytest.fixture
def fake_wechat(_wechat_server: tuple[FakeWechat, str]) -> FakeWechat:
    fake, _ = _wechat_server
    fake.reset()
    return fake


@pytest.fixture
def wechat_base_url(_wechat_server: tuple[FakeWechat, str]) -> str:
    return _wechat_server[1]


# --- the app on each backend ------------------------------------------------------------------


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue(f"{backend}_url")


def make_settings(database_url: str, fake: FakeWechat, wechat_base_url: str, workdir: Path, **overrides: Any) -> Settings:
    """The settings every test app runs with (module-scoped worlds call this directly)."""
    return Settings.from_env(
        {},
        **{
            "env": "test",
            "database_url": database_url,
            "secret_key": SECRET,
            "wechat_appid": fake.appid,
            "wechat_secret": fake.secret,
            "wechat_api_base": wechat_base_url,
            "media_root": workdir / "media",
            "log_json": True,
            "log_level": "WARNING",
            "signal_sweep_seconds": 0,  # tests drive sweep() themselves; a background one would race them
            "housekeeping_seconds": 0,
            **overrides,
        },
    )


@pytest.fixture
def settings(database_url: str, fake_wechat: FakeWechat, wechat_base_url: str, workdir: Path) -> Settings:
    return make_settings(database_url, fake_wechat, wechat_base_url, workdir)


async def _clean(app: Litestar) -> None:
    """Every test starts from empty tables (children first, so foreign keys never object)."""
    for table in reversed(all_tables()):
        await table.delete(force=True)


@pytest.fixture
async def shared_redis(backend: str, request: pytest.FixtureRequest) -> AsyncIterator[Redis | None]:
    if backend != "postgres":
        yield None
        return
    client = Redis.from_url(request.getfixturevalue("redis_url"))
    await client.flushdb()
    yield client
    await client.aclose()


def build_app(settings: Settings, redis: Redis | None, **overrides: Any) -> Litestar:
    if overrides:
        settings = Settings.from_env({}, **{**settings.__dict__, **overrides})
    return create_app(settings, redis=redis)


@pytest.fixture
async def app(settings: Settings, shared_redis: Redis | None) -> Litestar:
    return build_app(settings, shared_redis)


@asynccontextmanager
async def serve_in_process(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its lifespan, called over ASGI on the test's own event loop.

    (Litestar 2's AsyncTestClient runs the app on another loop, which breaks resources such as
    a Redis client that the test shares with the app.)
    """
    async with running_lifespan(app):
        transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as test_client:
            yield test_client


@asynccontextmanager
async def running_lifespan(app: Litestar) -> AsyncIterator[None]:
    """Enter and leave the lifespan in one task of its own, as a server does (anyio insists)."""
    started, stop = asyncio.Event(), asyncio.Event()

    async def run() -> None:
        async with app.lifespan():
            started.set()
            await stop.wait()

    task = asyncio.create_task(run())
    waiter = asyncio.create_task(started.wait())
    await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        waiter.cancel()
        task.result()  # start-up failed: raise its error here
    try:
        yield
    finally:
        stop.set()
        await task


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    async with serve_in_process(app) as test_client:
        await _clean(app)
        yield test_client


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5) as client:
        yield client
