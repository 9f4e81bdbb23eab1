"""Redis behind Sentinel (``LINLI_REDIS_URL=redis+sentinel://…``), with real servers: a master, a
replica of it and a Sentinel (``redis-server --sentinel``), the master killed mid-way and the
replica promoted. What the app does meanwhile is ``backend/core/stores.py``'s list: every request
is still answered; once the Sentinel names the new master the same client uses it, and what was
replicated before the failover (rate-limit counts, queued jobs) is still there.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from redis.asyncio import Redis

from backend.app import create_app
from backend.core import jobs, runtime
from backend.core.stores import redis_from_url
from tests.conftest import make_settings, migrate, serve_in_process
from tests.fakes.wechat import FakeWechat
from tests.servers import PostgresServer, free_port

SERVICE = "linli"


@dataclass
class Sentinelled:
    master: subprocess.Popen[bytes]
    master_port: int
    replica: subprocess.Popen[bytes]
    replica_port: int
    sentinel: subprocess.Popen[bytes]
    sentinel_port: int

    @property
    def url(self) -> str:
        return f"redis+sentinel://127.0.0.1:{self.sentinel_port}/{SERVICE}/0"


def _redis_server() -> str:
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    assert Path(binary).exists(), "redis-server is missing (apt-get install redis-server; scripts/test does it)"
    return binary


def _spawn(*arguments: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([_redis_server(), *arguments], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def _until(check: object, what: str) -> None:
    for _ in range(600):
        try:
            if await check():  # type: ignore[operator]
                return
        except (OSError, ConnectionError):
            pass
        except Exception as error:  # redis errors while a server starts or fails over
            if "Connection" not in type(error).__name__ and "Busy" not in type(error).__name__:
                raise
        await asyncio.sleep(0.1)  # a condition of the servers, not a measurement
    raise AssertionError(what)


@pytest.fixture
async def sentinelled() -> AsyncIterator[Sentinelled]:
    directory = Path(tempfile.mkdtemp(prefix="linli-sentinel-"))
    master_port, replica_port, sentinel_port = free_port(), free_port(), free_port()
    common = ("--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(directory))
    master = _spawn("--port", str(master_port), *common)
    replica = _spawn("--port", str(replica_port), *common, "--replicaof", "127.0.0.1", str(master_port))
    config = directory / "sentinel.conf"  # Sentinel rewrites its file: one of its own
    config.write_text(
        f"port {sentinel_port}\nbind 127.0.0.1\ndir {directory}\n"
        f"sentinel monitor {SERVICE} 127.0.0.1 {master_port} 1\n"
        f"sentinel down-after-milliseconds {SERVICE} 1000\n"
        f"sentinel failover-timeout {SERVICE} 10000\n"
    )
    sentinel = _spawn(str(config), "--sentinel")
    servers = Sentinelled(master, master_port, replica, replica_port, sentinel, sentinel_port)
    try:
        on_sentinel = Redis(port=sentinel_port)
        on_replica = Redis(port=replica_port)

        async def replica_linked() -> bool:
            info = await on_replica.info("replication")
            return bool(info.get("master_link_status") == "up")

        async def sentinel_sees_the_replica() -> bool:
            return len(await on_sentinel.execute_command("SENTINEL", "REPLICAS", SERVICE)) == 1

        await _until(replica_linked, "the replica never linked to its master")
        await _until(sentinel_sees_the_replica, "the Sentinel never found the replica")
        await on_sentinel.aclose()
        await on_replica.aclose()
        yield servers
    finally:
        for process in (sentinel, replica, master):
            process.terminate()
        for process in (sentinel, replica, master):
            process.wait(timeout=10)
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def fresh_database(postgres_server: PostgresServer) -> Iterator[str]:
    name = f"sentinel_{uuid.uuid4().hex[:10]}"
    subprocess.run(
        [
            str(postgres_server.bindir / "createdb"),
            "-h",
            "127.0.0.1",
            "-p",
            str(postgres_server.port),
            "-U",
            "linli",
            name,
        ],
        check=True,
        capture_output=True,
    )
    url = postgres_server.admin_url(name)
    migrate(url)
    yield url


def test_a_sentinel_url_is_a_client_of_the_master_it_names() -> None:
    client = redis_from_url("redis+sentinel://:s3cret@10.0.0.1:26379,10.0.0.2:26380/linli/2", socket_timeout=2)
    pool = client.connection_pool
    assert pool.service_name == "linli"  # type: ignore[attr-defined]
    assert [
        (s.connection_pool.connection_kwargs["host"], s.connection_pool.connection_kwargs["port"])
        for s in pool.sentinel_manager.sentinels
    ] == [  # type: ignore[attr-defined]
        ("10.0.0.1", 26379),
        ("10.0.0.2", 26380),
    ]
    assert pool.connection_kwargs["db"] == 2 and pool.connection_kwargs["password"] == "s3cret"
    with pytest.raises(ValueError):
        redis_from_url("redis+sentinel://10.0.0.1:26379")


async def test_the_app_rides_out_a_failover(
    sentinelled: Sentinelled, fresh_database: str, fake_wechat: FakeWechat, wechat_base_url: str, tmp_path: Path
) -> None:
    settings = make_settings(fresh_database, fake_wechat, wechat_base_url, tmp_path, redis_url=sentinelled.url)
    master, replica = Redis(port=sentinelled.master_port), Redis(port=sentinelled.replica_port)
    app = create_app(settings)
    async with serve_in_process(app) as client:
        bound = runtime.bind(app.state.runtime)  # jobs.enqueue as the app's own code does
        ready = await client.get("/ready")
        assert ready.json() == {"status": "ready", "database": True, "redis": True}
        # Before: the limits count in the master, a job waits in its queue.
        assert (await client.post("/api/v1/auth/dev-login", json={})).status_code == 200
        assert await master.keys("linli:ratelimit:*")
        assert await jobs.enqueue("notifications.deliver", notice_id=str(uuid.uuid4()))
        assert await master.llen("saq:linli:queued") == 1
        assert await master.execute_command("WAIT", 1, 5000) == 1  # replicated before the crash

        sentinelled.master.kill()
        sentinelled.master.wait()
        # While the Sentinel decides, every request is answered (Redis away only degrades).
        for _ in range(5):
            assert (await client.get("/ready")).status_code == 200
            assert (await client.post("/api/v1/auth/dev-login", json={})).status_code == 200

        on_sentinel = Redis(port=sentinelled.sentinel_port)

        async def promoted() -> bool:
            address = await on_sentinel.execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", SERVICE)
            return int(address[1]) == sentinelled.replica_port

        await _until(promoted, "the Sentinel never promoted the replica")
        await on_sentinel.aclose()

        async def ready_again() -> bool:
            return bool((await client.get("/ready")).json()["status"] == "ready")

        await _until(ready_again, "the app never found the new master")
        # After: the same client writes to the promoted replica; the job queued before is there.
        await replica.delete(*(await replica.keys("linli:ratelimit:*")) or ["none"])
        assert (await client.post("/api/v1/auth/dev-login", json={})).status_code == 200
        assert await replica.keys("linli:ratelimit:*")
        assert await replica.llen("saq:linli:queued") == 1
        assert await jobs.enqueue("notifications.deliver", notice_id=str(uuid.uuid4()))
        assert await replica.llen("saq:linli:queued") == 2
        runtime.unbind(bound)
    await master.aclose()
    await replica.aclose()
