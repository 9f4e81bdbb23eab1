"""Fixtures: the same tests run on both backends the product supports.

``backend`` is ``sqlite`` (the embedded default: SQLite file, in-process stores) or ``postgres``
(production: PostgreSQL and a real Redis). The servers are throwaway ones the tests start; the
schema comes from ``linli migrate``, run once per database, exactly as a deployment runs it.
"""

from __future__ import annotations

import asyncio
import functools
import os
import subprocess
import sys
import tempfile
import types
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from litestar import Litestar
from piccolo.table import Table
from redis.asyncio import Redis

from backend.app import create_app
from backend.core import jobs, runtime, wiring
from backend.core.cache import VersionedCache
from backend.core.db import bind_tables, is_postgres, transaction
from backend.core.resources import Resources
from backend.core.runtime import Runtime
from backend.core.signals import Signal, SignalMessage
from backend.core.stores import build_stores
from backend.core.wechat import WechatClient
from backend.domains import DOMAINS
from backend.settings import Settings
from tests.fakes.wechat import FakeWechat, serve_fake_wechat
from tests.servers import PostgresServer, RedisServer, ServerUnavailable, start_postgres, start_redis

REPO = Path(__file__).resolve().parents[1]
SECRET = "test-secret-key-that-is-long-enough-0123456789"
BACKENDS = ("sqlite", "postgres")


# --- TEST ONLY: processes the tests start reuse compiled bytecode ------------------------------

# With PYTHONDONTWRITEBYTECODE set (as on the shared test machine) every process compiles every
# module it imports from source: 2.3 s of CPU (10 s wall on the busy machine) before `linli
# migrate`, `linli serve` or an xdist worker does anything, against 0.9 s with bytecode cached.
# The suite starts dozens of them. Their bytecode goes to a temporary directory of this run
# instead (never next to the sources, which the variable was set to prevent), removed at exit.
if os.environ.get("PYTHONDONTWRITEBYTECODE") and not os.environ.get("PYTHONPYCACHEPREFIX"):
    _pycache = tempfile.TemporaryDirectory(prefix="linli-pycache-")
    os.environ["PYTHONPYCACHEPREFIX"] = _pycache.name
    del os.environ["PYTHONDONTWRITEBYTECODE"]
    sys.pycache_prefix, sys.dont_write_bytecode = _pycache.name, False


# --- how the suite runs: two workers for the whole suite, optionally reversed ----------------


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    """The whole suite (pytest without paths) runs on ``LINLI_TEST_WORKERS`` pytest-xdist workers
    (default 2), each test file on one worker so module-wide worlds are built once; each worker
    starts its own PostgreSQL, Redis and fake WeChat (session fixtures are per process). A chosen
    file or test, ``-n`` given, ``--pdb`` or ``LINLI_TEST_WORKERS=0`` run in this one process."""
    workers = int(os.environ.get("LINLI_TEST_WORKERS", "2"))
    whole_suite = config.args_source == pytest.Config.ArgsSource.TESTPATHS
    chosen = getattr(config.option, "numprocesses", "absent")  # absent: -p no:xdist
    if workers < 2 or not whole_suite or chosen is not None or hasattr(config, "workerinput"):
        return
    if config.getoption("usepdb") or config.getoption("collectonly"):
        return
    config.option.numprocesses, config.option.tx = workers, ["popen"] * workers
    if config.option.dist == "no":
        config.option.dist = "loadfile"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """``LINLI_TESTS_REVERSED=1`` runs the tests in reverse order: a test that leans on rows or
    state another left behind shows up (every test must start from the same empty world)."""
    if os.environ.get("LINLI_TESTS_REVERSED") == "1":
        items.reverse()


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


# --- TEST ONLY: cheap password hashes -----------------------------------------------------------


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashes() -> Iterator[None]:
    """TEST ONLY. Production's argon2 parameters (64 MiB, 3 passes) cost 0.1-0.9 s a hash on this
    machine, and every staff account a test makes hashes a password: that was half of many tests'
    set-up. In this process hashes are still argon2id, verified by the same code, only with the
    smallest cost; a hash records its own parameters, so either kind verifies (``linli
    create-admin`` run in a subprocess keeps production's)."""
    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("backend.core.auth._hasher", cheap)
        yield


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


def make_settings(
    database_url: str, fake: FakeWechat, wechat_base_url: str, workdir: Path, **overrides: Any
) -> Settings:
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


def all_tables() -> list[type[Table]]:
    return list(_tables())


@functools.cache
def _tables() -> tuple[type[Table], ...]:
    return tuple(wiring.all_tables(DOMAINS))


@functools.cache
def _emptying_sql(postgres: bool) -> str:
    """The statement that empties every table holding rows, children first so foreign keys never
    object. A test fills a handful of the ~40 tables, and a DELETE costs a round trip even on an
    empty table: PostgreSQL runs the whole loop server-side in one statement (one round trip, one
    transaction); SQLite gets one query naming the tables that hold rows."""
    names = [table._meta.tablename for table in reversed(_tables())]
    if postgres:
        steps = "\n".join(f'IF EXISTS (SELECT 1 FROM "{name}") THEN DELETE FROM "{name}"; END IF;' for name in names)
        return f"DO $$ BEGIN\n{steps}\nEND $$"
    return " UNION ALL ".join(f"SELECT '{name}' AS name WHERE EXISTS (SELECT 1 FROM \"{name}\")" for name in names)


async def _clean(app: Litestar | None = None) -> None:
    """Every test starts from empty tables, emptied in one transaction. (TRUNCATE was measured
    too: slower than these DELETEs on PostgreSQL, even of only the tables holding rows.)"""
    tables = _tables()
    engine = tables[0]._meta.db
    if is_postgres(engine):
        await tables[0].raw(_emptying_sql(True))
        return
    holding = {row["name"] for row in await tables[0].raw(_emptying_sql(False))}
    if holding:
        async with transaction(engine):
            for table in reversed(tables):
                if table._meta.tablename in holding:
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


class RunningApps:
    """Apps built and started once per session, one per distinct settings, and handed to each test
    reset: tables emptied, Redis flushed, fresh stores, cache, WeChat client and job runner.
    Building an app and running its lifespan cost more than most tests' bodies."""

    def __init__(self) -> None:
        self.apps: dict[Settings, Litestar] = {}
        self.stack = AsyncExitStack()

    async def get(self, settings: Settings) -> Litestar:
        if settings not in self.apps:
            app = create_app(settings)
            await self.stack.enter_async_context(running_lifespan(app))
            self.apps[settings] = app
        return self.apps[settings]

    def started(self, app: Litestar) -> bool:
        return any(app is running for running in self.apps.values())


@pytest.fixture(scope="session")
async def running_apps() -> AsyncIterator[RunningApps]:
    apps = RunningApps()
    async with apps.stack:
        yield apps


def app_settings(settings: Settings, request: pytest.FixtureRequest, **overrides: Any) -> Settings:
    """The settings of a shared app: on PostgreSQL it opens its own Redis client."""
    if settings.uses_postgres:
        overrides.setdefault("redis_url", request.getfixturevalue("redis_url"))
    return Settings.from_env({}, **{**settings.__dict__, **overrides}) if overrides else settings


@pytest.fixture
async def app(settings: Settings, running_apps: RunningApps, request: pytest.FixtureRequest) -> Litestar:
    return await running_apps.get(app_settings(settings, request))


@asynccontextmanager
async def serve_in_process(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its lifespan, called over ASGI on the test's own event loop.

    (Litestar 2's AsyncTestClient runs the app on another loop, which breaks resources such as
    a Redis client that the test shares with the app.)
    """
    async with running_lifespan(app), asgi_client(app) as test_client:
        yield test_client


@asynccontextmanager
async def asgi_client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 40000))

    async def after_answer(_response: httpx.Response) -> None:
        # A sign-up's listeners run after its answer (``signals.Dispatcher``); a test reads on
        # once they have, as a resident's next tap would, not in the millisecond between.
        dispatcher = app.state.runtime.extra.get("dispatcher")
        if dispatcher is not None:
            await dispatcher.settled()

    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", event_hooks={"response": [after_answer]}
    ) as test_client:
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


async def reset(app: Litestar) -> None:
    """A started shared app as a new one would be: its tables bound and emptied, Redis flushed,
    fresh in-process state (stores, cache, WeChat client's token, job runner)."""
    current: Runtime = app.state.runtime
    opened: Resources = app.state.resources
    bind_tables(opened.engine, all_tables())
    if isinstance(current.runner, jobs.ProcessRunner):
        await current.runner.close()  # a job the last test left running stops here
        current.runner = app.state.jobs = jobs.ProcessRunner(current.jobs)
    if opened.redis is not None:
        await opened.redis.flushdb()
    stores = build_stores(opened.redis)
    wechat = WechatClient(
        http=opened.http,
        base_url=app.state.settings.wechat_api_base,
        appid=app.state.settings.wechat_appid,
        secret=app.state.settings.wechat_secret,
        redis=opened.redis,
    )
    app.state.stores, app.state.cache, app.state.wechat = stores, VersionedCache(stores), wechat
    current.stores, current.cache, current.wechat = stores, app.state.cache, wechat
    await _clean()


@pytest.fixture
async def client(app: Litestar, running_apps: RunningApps) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client of the test's app, whose runtime is also the test's own (a service called
    directly delivers its signals to the same listeners)."""
    async with AsyncExitStack() as stack:
        if running_apps.started(app):
            await reset(app)
        else:  # an app the test built itself: started for this test only
            await stack.enter_async_context(running_lifespan(app))
            await _clean()
        test_client = await stack.enter_async_context(asgi_client(app))
        token = runtime.bind(app.state.runtime)
        try:
            yield test_client
        finally:
            runtime.unbind(token)


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5) as client:
        yield client


@pytest.fixture
def listen(client: httpx.AsyncClient, app: Litestar) -> Iterator[Callable[[type[Signal]], list[SignalMessage[Any]]]]:
    """Watch a signal in the test's app: ``seen = listen(AttendanceRecorded)`` collects every
    delivery of it (after the other listeners, as a new domain's would run)."""
    undo: list[Callable[[], None]] = []

    def watch(payload_type: type[Signal]) -> list[SignalMessage[Any]]:
        seen: list[SignalMessage[Any]] = []

        async def record(message: SignalMessage[Any]) -> None:
            seen.append(message)

        undo.append(app.state.runtime.subscribe(payload_type, record))
        return seen

    yield watch
    for step in undo:
        step()
